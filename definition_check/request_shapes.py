"""A step's Arguments against the botocore input shape of the request it becomes.

Checks what botocore models: required members, unknown members, JSON types, enums, min/max
(lengths, sizes and ranges) and patterns. botocore's own ParamValidator is not used: it knows no
pipeline expressions, checks neither enums, patterns nor maxima, and its messages do not say which
step a field belongs to. An expression stands for a value of the type its reference has: fine in a
primitive field, reported where a structure, list or map is required.
"""

from __future__ import annotations

import difflib
from typing import Any

from botocore.model import Shape

from definition_check import service_model
from definition_check.context import Context, child, describe
from definition_check.expressions import Typed, evaluate, is_expression

_NUMBER = {"integer", "long", "float", "double"}
_CONTAINERS = {"structure", "list", "map"}
# Which kind of Parameter a field of each botocore type accepts.
_PARAMETER_FITS = {
    "string": {"string"},
    "integer": {"integer"},
    "long": {"integer"},
    "float": {"integer", "float"},
    "double": {"integer", "float"},
    "boolean": {"boolean"},
    "timestamp": {"string"},
    "blob": {"string"},
}


def check_request(
    arguments: Any, operation: str, supplied: frozenset[str], ctx: Context, step: str
) -> None:
    """Check a step's Arguments as the `operation` request (minus the members SageMaker fills in)."""
    shape = service_model.input_shape(operation)
    check_value(arguments, shape, ctx, step, "Arguments", supplied)


def check_value(
    value: Any,
    shape: Shape,
    ctx: Context,
    step: str | None,
    path: str,
    supplied: frozenset[str] = frozenset(),
) -> None:
    """Check one value against a botocore shape; `supplied` members are not required."""
    _value(value, shape, ctx, step, path, supplied)


def _value(
    value: Any,
    shape: Shape,
    ctx: Context,
    step: str | None,
    path: str,
    supplied: frozenset[str] = frozenset(),
) -> None:
    if is_expression(value):
        _expression(value, shape, ctx, step, path)
    elif shape.type_name == "structure":
        _structure(value, shape, ctx, step, path, supplied)
    elif shape.type_name == "list":
        _list(value, shape, ctx, step, path)
    elif shape.type_name == "map":
        _map(value, shape, ctx, step, path)
    else:
        _primitive(value, shape, ctx, step, path)


def _structure(
    value: Any, shape: Shape, ctx: Context, step: str | None, path: str, supplied: frozenset[str]
) -> None:
    if not isinstance(value, dict):
        ctx.problem(step, path, f"expects a structure ({shape.name}), got {describe(value)}")
        return
    members = shape.members
    for key, item in value.items():
        if key not in members:
            close = difflib.get_close_matches(key, list(members), n=1)
            hint = (
                f"did you mean {close[0]!r}?" if close else f"{shape.name} has {', '.join(members)}"
            )
            ctx.problem(step, child(path, key), f"unknown field: {hint}")
        elif item is not None:
            _value(item, members[key], ctx, step, child(path, key))
        else:
            ctx.problem(step, child(path, key), "is null: leave the field out instead")
    for required in shape.required_members:
        if required not in value and required not in supplied:
            ctx.problem(step, child(path, required), f"required by {shape.name} but missing")
    if shape.metadata.get("union") and len(value) != 1:
        ctx.problem(step, path, f"{shape.name} takes exactly one of {', '.join(members)}")


def _list(value: Any, shape: Shape, ctx: Context, step: str | None, path: str) -> None:
    if not isinstance(value, list):
        ctx.problem(step, path, f"expects a list ({shape.name}), got {describe(value)}")
        return
    _size(len(value), shape, ctx, step, path, "items")
    for index, item in enumerate(value):
        _value(item, shape.member, ctx, step, child(path, index))


def _map(value: Any, shape: Shape, ctx: Context, step: str | None, path: str) -> None:
    if not isinstance(value, dict):
        ctx.problem(step, path, f"expects a map ({shape.name}), got {describe(value)}")
        return
    _size(len(value), shape, ctx, step, path, "entries")
    for key, item in value.items():
        _primitive(key, shape.key, ctx, step, child(path, key), what="key")
        _value(item, shape.value, ctx, step, child(path, key))


def _size(count: int, shape: Shape, ctx: Context, step: str | None, path: str, unit: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and count < low:
        ctx.problem(step, path, f"has {count} {unit}, {shape.name} needs at least {low}")
    if high is not None and count > high:
        ctx.problem(step, path, f"has {count} {unit}, {shape.name} allows at most {high}")


def _primitive(
    value: Any, shape: Shape, ctx: Context, step: str | None, path: str, what: str = "value"
) -> None:
    kind = shape.type_name
    if not _has_type(value, kind):
        ctx.problem(step, path, f"expects {_article(kind)} ({shape.name}), got {describe(value)}")
        return
    problem = constraint_problem(value, shape)
    if problem:
        ctx.problem(step, path, f"{what} {problem}")


def _has_type(value: Any, kind: str) -> bool:
    if kind in ("string", "blob"):
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("float", "double"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "timestamp":
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return True


def constraint_problem(value: Any, shape: Shape) -> str | None:
    """Why a primitive value breaks the shape's enum, min/max or pattern; None when it does not."""
    meta = shape.metadata
    if isinstance(value, str):
        enum = shape.enum if hasattr(shape, "enum") else meta.get("enum")
        if enum and value not in enum:
            close = difflib.get_close_matches(value, enum, n=3)
            shown = ", ".join(close or enum[:12]) + ("" if close or len(enum) <= 12 else ", ...")
            label = "closest" if close else "values"
            return f"{describe(value)} is not one of {shape.name}'s {len(enum)} values ({label}: {shown})"
        if "min" in meta and len(value) < meta["min"]:
            return f"{describe(value)} is shorter than {meta['min']} characters ({shape.name})"
        if "max" in meta and len(value) > meta["max"]:
            return f"{describe(value)} is longer than {meta['max']} characters ({shape.name})"
        pattern = meta.get("pattern")
        if pattern and not service_model.matches_pattern(pattern, value):
            return f"{describe(value)} does not match {shape.name}'s pattern {pattern}"
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if "min" in meta and value < meta["min"]:
            return f"{value} is below {shape.name}'s minimum {meta['min']}"
        if "max" in meta and value > meta["max"]:
            return f"{value} is above {shape.name}'s maximum {meta['max']}"
    return None


def _expression(value: dict, shape: Shape, ctx: Context, step: str | None, path: str) -> None:
    typed = evaluate(value, ctx, step, path)
    if shape.type_name in _CONTAINERS:
        ctx.problem(
            step,
            path,
            f"expects {_article(shape.type_name)} ({shape.name}), got the expression {typed.text}: an expression stands for a single value",
        )
        return
    if typed.kind in _CONTAINERS:
        ctx.problem(
            step,
            path,
            f"expects {_article(shape.type_name)} ({shape.name}), {typed.text} is {_article(typed.kind)}",
        )
        return
    if typed.parameter is not None:
        _parameter(typed, shape, ctx, step, path)


def _parameter(typed: Typed, shape: Shape, ctx: Context, step: str | None, path: str) -> None:
    """A Parameter's declared type must fit the field, and so must its default and enum values."""
    if typed.kind not in _PARAMETER_FITS.get(shape.type_name, {typed.kind}):
        hint = " (wrap it in Std:Join; SDK: .to_string())" if shape.type_name == "string" else ""
        ctx.problem(
            step,
            path,
            f"{typed.text} is {_article(typed.kind)}, the field expects {_article(shape.type_name)} ({shape.name}){hint}",
        )
        return
    declared = ctx.parameters[str(typed.parameter)]
    values = [("default", declared["DefaultValue"])] if "DefaultValue" in declared else []
    enum = declared.get("EnumValues")
    values += [("enum value", v) for v in (enum if isinstance(enum, list) else [])]
    for label, candidate in values:
        problem = (
            constraint_problem(candidate, shape) if _has_type(candidate, shape.type_name) else None
        )
        if problem:
            ctx.problem(step, path, f"{typed.text}'s {label}: {problem}")


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
