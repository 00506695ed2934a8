"""Property references `Steps.X.<path>` checked against the response shape of X's step type.

SageMaker resolves `Steps.Train.ModelArtifacts.S3ModelArtifacts` from DescribeTrainingJob's
response: a path that is not in that shape never resolves, and the run fails when it gets there.
A list may be indexed by position (`[0]`) or, for lists of named items, by name
(`Outputs['train']`); that name must then be one the step's own Arguments define.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from botocore.model import Shape

from definition_check import service_model
from definition_check.step_types import step_type

_TOKEN = re.compile(r"""\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]""")
_OUTPUT_TYPES = {"String": "string", "Integer": "integer", "Float": "float", "Boolean": "boolean"}


class PropertyError(ValueError):
    """A property path that does not exist; the message says what does."""


def tokens(path: str) -> list[str | int]:
    """`Outputs['train'].S3Output` -> ['Outputs', "'train'", 'S3Output'] (names, ints, 'keys')."""
    found: list[str | int] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if not match or match.end() == position:
            raise PropertyError(f"cannot parse the property path at {path[position:]!r}")
        name, index, key1, key2 = match.groups()
        if name is not None:
            found.append(name)
        elif index is not None:
            found.append(int(index))
        else:
            found.append(repr(key1 if key1 is not None else key2))
        position = match.end()
    return found


def resolve(step: dict[str, Any], path: str) -> str:
    """The type of property `path` of `step` ("string", "structure", ...); PropertyError if none."""
    kind = step_type(str(step.get("Type")))
    if kind is None:
        return "any"
    parts = tokens(path)
    if not parts:
        raise PropertyError("names no property")
    head = parts[0]
    if head in kind.custom_properties and len(parts) == 1:
        return kind.custom_properties[head]
    if head == "OutputParameters" and "OutputParameters" in kind.extra_keys:
        return _output_parameter(step, parts)
    roots = [service_model.shape(name, kind.output_service) for name in kind.outputs]
    root = next((r for r in roots if head in r.members), None)
    if root is None:
        known = sorted({m for r in roots for m in r.members} | set(kind.custom_properties))
        if not known:
            raise PropertyError(f"a {step.get('Type')} step has no properties")
        raise PropertyError(_unknown(str(head), known, " / ".join(kind.outputs)))
    return _walk(root, parts, step.get("Arguments") or {})


def _output_parameter(step: dict[str, Any], parts: list[str | int]) -> str:
    entries = step.get("OutputParameters")
    declared = {
        p["OutputName"]: p.get("OutputType", "String")
        for p in (entries if isinstance(entries, list) else [])
        if isinstance(p, dict) and isinstance(p.get("OutputName"), str)
    }
    if len(parts) != 2 or not isinstance(parts[1], str) or not parts[1].startswith("'"):
        raise PropertyError("read an output parameter as OutputParameters['<OutputName>']")
    name = parts[1][1:-1]
    if name not in declared:
        raise PropertyError(f"output parameter {name!r} is not declared ({sorted(declared)})")
    return _OUTPUT_TYPES.get(str(declared[name]), "any")


def _walk(shape: Shape, parts: list[str | int], arguments: Any) -> str:
    trail: list[str] = []  # the member names so far: where the same list lives in Arguments
    for part in parts:
        where = f"{shape.name}"
        if shape.type_name == "structure":
            if not isinstance(part, str) or part.startswith("'"):
                raise PropertyError(
                    f"{where} is a structure: read a member with .Name, not [{part}]"
                )
            if part not in shape.members:
                raise PropertyError(_unknown(part, list(shape.members), where))
            trail.append(part)
            shape = shape.members[part]
        elif shape.type_name == "list":
            if isinstance(part, str) and not part.startswith("'"):
                raise PropertyError(
                    f"{where} is a list: index it with [0] or ['<name>'], not .{part}"
                )
            if isinstance(part, str):
                _check_named_item(arguments, trail, part[1:-1], shape.member)
            shape = shape.member
        elif shape.type_name == "map":
            if not (isinstance(part, str) and part.startswith("'")):
                raise PropertyError(f"{where} is a map: read a value with ['<key>'], not {part}")
            shape = shape.value
        else:
            raise PropertyError(f"{where} is a {shape.type_name}: it has no {part}")
    return shape.type_name


def _check_named_item(arguments: Any, trail: list[str], name: str, item: Shape) -> None:
    """`Outputs['x']`: when the step's Arguments hold that list, 'x' must name one of its items."""
    node = arguments
    for member in trail:
        if not isinstance(node, dict) or member not in node:
            return  # the list is the service's (e.g. a tuning job's summaries): any name may do
        node = node[member]
    if not isinstance(node, list):
        return
    name_keys = (
        [m for m in item.members if m.endswith("Name")] if item.type_name == "structure" else []
    )
    names = {
        entry.get(key)
        for entry in node
        if isinstance(entry, dict)
        for key in name_keys
        if isinstance(entry.get(key), str)
    }
    if names and name not in names:
        raise PropertyError(
            f"{'.'.join(trail)} has no item named {name!r} in this step's Arguments "
            f"(it has {', '.join(sorted(names))})"
        )


def _unknown(name: str, known: list[str], where: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"it has {', '.join(sorted(known)[:12])}"
    return f"{where} has no {name!r}: {hint}"
