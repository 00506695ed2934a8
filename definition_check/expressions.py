"""Pipeline expressions: Get (Parameters, Execution, Steps, PipelineExperimentConfig), Std:Join,
Std:JsonGet. Each is checked for what it refers to and typed by the value it becomes at run time,
so the request-shape check can put "a value of that type" where the expression stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from definition_check.context import Context, child
from definition_check.properties import PropertyError, resolve

EXPRESSION_KEYS = frozenset({"Get", "Std:Join", "Std:JsonGet"})
EXECUTION_VARIABLES = frozenset(
    {"StartDateTime", "CurrentDateTime", "PipelineName", "PipelineArn", "PipelineExecutionId",
     "PipelineExecutionArn", "TrainingJobName", "ProcessingJobName"}
)  # fmt: skip
EXPERIMENT_CONFIG = frozenset({"ExperimentName", "TrialName"})
PARAMETER_KINDS = {"String": "string", "Integer": "integer", "Float": "float", "Boolean": "boolean"}
# Roots the checker cannot resolve without running the pipeline (ForEach iterations).
_DYNAMIC_ROOTS = ("ForEach.", "IterationOutput.")


@dataclass(frozen=True)
class Typed:
    """What an expression becomes: its kind and, for a Parameter, which one (for its default)."""

    kind: str  # string, integer, float, boolean, any, or a container kind (structure, list, map)
    text: str  # how to name it in a message
    parameter: str | None = None


def is_expression(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in EXPRESSION_KEYS


def evaluate(value: dict[str, Any], ctx: Context, step: str | None, path: str) -> Typed:
    """Check what the expression refers to (problems go to ctx) and return its type."""
    key, body = next(iter(value.items()))
    if key == "Get":
        return _get(body, ctx, step, path)
    if key == "Std:Join":
        return _join(body, ctx, step, path)
    return _json_get(body, ctx, step, path)


def scan(value: Any, ctx: Context, step: str | None, path: str) -> None:
    """Check every expression inside any JSON value (for fields with no shape to check)."""
    if is_expression(value):
        evaluate(value, ctx, step, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            scan(item, ctx, step, child(path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            scan(item, ctx, step, child(path, index))


def _get(body: Any, ctx: Context, step: str | None, path: str) -> Typed:
    where = child(path, "Get")
    if not isinstance(body, str) or not body:
        ctx.problem(step, where, "a Get takes a reference string such as 'Parameters.Name'")
        return Typed("any", repr(body))
    root, _, rest = body.partition(".")
    if root == "Parameters":
        return _parameter(rest, ctx, step, where)
    if root == "Execution":
        if rest not in EXECUTION_VARIABLES:
            ctx.problem(
                step,
                where,
                f"{body!r} is not an execution variable (known: {', '.join(sorted(EXECUTION_VARIABLES))})",
            )
        return Typed("string", body)
    if root == "PipelineExperimentConfig":
        if rest not in EXPERIMENT_CONFIG:
            ctx.problem(
                step, where, f"{body!r}: PipelineExperimentConfig has ExperimentName and TrialName"
            )
        return Typed("string", body)
    if root == "Steps":
        return _step_property(body, rest, ctx, step, where)
    if body.startswith(_DYNAMIC_ROOTS):
        ctx.note(f"{body.split('.')[0]} references are resolved per iteration and not checked")
        return Typed("any", body)
    ctx.problem(
        step,
        where,
        f"{body!r} is not a reference: it must start with Parameters., Execution., Steps. or PipelineExperimentConfig.",
    )
    return Typed("any", body)


def _parameter(name: str, ctx: Context, step: str | None, where: str) -> Typed:
    declared = ctx.parameters.get(name)
    if declared is None:
        known = ", ".join(sorted(ctx.parameters)) or "none"
        ctx.problem(
            step, where, f"Parameters.{name} is not declared in Parameters (declared: {known})"
        )
        return Typed("any", f"Parameters.{name}")
    kind = PARAMETER_KINDS.get(str(declared.get("Type", "String")), "any")
    return Typed(kind, f"Parameters.{name}", parameter=name)


def _step_property(body: str, rest: str, ctx: Context, step: str | None, where: str) -> Typed:
    name, _, prop = rest.partition(".")
    target = ctx.steps.get(name)
    if target is None:
        ctx.problem(
            step, where, f"{body!r} refers to step {name!r}, which the definition does not have"
        )
        return Typed("any", body)
    if name == step:
        ctx.problem(step, where, f"{body!r}: a step cannot read its own properties")
        return Typed("any", body)
    ctx.referenced(step, name)
    if prop.startswith("PropertyFiles"):
        ctx.problem(step, where, f"{body!r}: a property file is read with Std:JsonGet, not Get")
        return Typed("any", body)
    try:
        kind = resolve(target, prop)
    except PropertyError as error:
        ctx.problem(step, where, f"{body!r} does not resolve: {error}")
        return Typed("any", body)
    return Typed(kind, body)


def _join(body: Any, ctx: Context, step: str | None, path: str) -> Typed:
    where = child(path, "Std:Join")
    if not isinstance(body, dict) or set(body) - {"On", "Values"} or "Values" not in body:
        ctx.problem(step, where, "Std:Join takes {'On': <string>, 'Values': [...]}")
        return Typed("string", "Std:Join")
    if not isinstance(body.get("On", ""), str):
        ctx.problem(step, child(where, "On"), "the separator must be a string")
    values = body["Values"]
    if not isinstance(values, list):
        ctx.problem(step, child(where, "Values"), "Values must be a list")
        return Typed("string", "Std:Join")
    for index, item in enumerate(values):
        item_path = child(child(where, "Values"), index)
        if is_expression(item):
            typed = evaluate(item, ctx, step, item_path)
            if typed.kind in ("structure", "list", "map"):
                ctx.problem(
                    step,
                    item_path,
                    f"{typed.text} is a {typed.kind}: Std:Join joins strings and numbers",
                )
        elif isinstance(item, (dict, list)):
            ctx.problem(
                step,
                item_path,
                "Std:Join joins strings, numbers and expressions, not objects or lists",
            )
    return Typed("string", "Std:Join")


def _json_get(body: Any, ctx: Context, step: str | None, path: str) -> Typed:
    where = child(path, "Std:JsonGet")
    if not isinstance(body, dict) or not isinstance(body.get("Path"), str) or not body["Path"]:
        ctx.problem(step, where, "Std:JsonGet takes a PropertyFile (or S3Uri) and a non-empty Path")
        return Typed("any", "Std:JsonGet")
    unknown = set(body) - {"PropertyFile", "S3Uri", "Path"}
    if unknown or ("PropertyFile" in body) == ("S3Uri" in body):
        ctx.problem(
            step, where, "Std:JsonGet takes exactly one of PropertyFile and S3Uri, and Path"
        )
        return Typed("any", "Std:JsonGet")
    if "S3Uri" in body:
        uri = body["S3Uri"]
        if is_expression(uri):
            evaluate(uri, ctx, step, child(where, "S3Uri"))
        elif not isinstance(uri, str):
            ctx.problem(step, child(where, "S3Uri"), "S3Uri must be a string or an expression")
        return Typed("any", f"Std:JsonGet {body['Path']}")
    _property_file(body["PropertyFile"], ctx, step, child(where, "PropertyFile"))
    return Typed("any", f"Std:JsonGet {body['Path']}")


def _property_file(reference: Any, ctx: Context, step: str | None, where: str) -> None:
    text = reference.get("Get") if isinstance(reference, dict) else None
    parts = text.split(".") if isinstance(text, str) else []
    if len(parts) != 4 or parts[0] != "Steps" or parts[2] != "PropertyFiles":
        ctx.problem(
            step, where, "PropertyFile must be {'Get': 'Steps.<step>.PropertyFiles.<name>'}"
        )
        return
    owner, name = parts[1], parts[3]
    target = ctx.steps.get(owner)
    if target is None:
        ctx.problem(
            step, where, f"{text!r} refers to step {owner!r}, which the definition does not have"
        )
        return
    ctx.referenced(step, owner)
    files = target.get("PropertyFiles")
    declared = [
        f.get("PropertyFileName")
        for f in (files if isinstance(files, list) else [])
        if isinstance(f, dict)
    ]
    if name not in declared:
        have = ", ".join(map(str, declared)) or "none"
        ctx.problem(
            step,
            where,
            f"{text!r}: step {owner} declares no property file {name!r} (it declares: {have})",
        )
