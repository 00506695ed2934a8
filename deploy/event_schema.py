"""The approval event the Lambda accepts, as a JSON Schema, and the small validator it runs.

Why not the `jsonschema` library in the Lambda: the zip is deploy/ alone (no dependencies, no
boto3: the runtime provides it), and jsonschema brings attrs, referencing and rpds-py, a compiled
extension that would tie the zip to one CPU architecture and Python build. So the Lambda runs
`problems()`, which implements exactly the keywords EVENT_SCHEMA uses (type, required,
properties, items, enum, minLength, maxLength, pattern), and the tests check that EVENT_SCHEMA is
a valid Draft 2020-12 schema and that `jsonschema` gives the same verdict on every test input.

The ARN pattern starts with (?!.*\\s): no whitespace anywhere. A trailing `$` alone would not do,
since Python's `$` (and so jsonschema's `pattern`, which uses re.search) also matches before a
final newline.
"""

from __future__ import annotations

import re
from typing import Any

DETAIL_TYPE = "SageMaker Model Package State Change"

ARN_PATTERN = (
    r"^(?!.*\s)arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:"
    r"model-package/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}/[1-9][0-9]{0,9}$"
)

EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "EventBridge: SageMaker Model Package State Change",
    "type": "object",
    "required": ["detail-type", "detail"],
    "properties": {
        "detail-type": {"type": "string", "maxLength": 256},
        "source": {"type": "string", "maxLength": 256},
        "account": {"type": "string", "maxLength": 32},
        "region": {"type": "string", "maxLength": 32},
        "resources": {"type": "array", "items": {"type": "string", "maxLength": 2048}},
        "detail": {
            "type": "object",
            "required": ["ModelPackageArn", "ModelApprovalStatus", "ModelPackageGroupName"],
            "properties": {
                "ModelPackageArn": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 2048,
                    "pattern": ARN_PATTERN,
                },
                "ModelApprovalStatus": {"type": "string", "maxLength": 64},
                "ModelPackageGroupName": {"type": "string", "minLength": 1, "maxLength": 63},
                "ModelPackageVersion": {"type": "integer"},
            },
        },
    },
}

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
}


def problems(value: Any, schema: dict[str, Any] = EVENT_SCHEMA, where: str = "event") -> list[str]:
    """What is wrong with `value` against `schema` (empty list = valid), each problem naming
    where it is ("event.detail.ModelPackageArn")."""
    kind = schema.get("type")
    if kind and not TYPES[kind](value):
        return [
            f"{where} must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}, got "
            f"{type(value).__name__} {repr(value)[:60]}"
        ]
    found: list[str] = []
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{where}.{name} is missing")
        for name, subschema in schema.get("properties", {}).items():
            if name in value:
                found.extend(problems(value[name], subschema, f"{where}.{name}"))
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found.extend(problems(item, schema["items"], f"{where}[{index}]"))
    if isinstance(value, str):
        if "enum" in schema and value not in schema["enum"]:
            found.append(f"{where} must be one of {schema['enum']}")
        if len(value) < schema.get("minLength", 0):
            found.append(f"{where} is empty")
        if len(value) > schema.get("maxLength", len(value)):
            found.append(f"{where} is longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{where} {value[:100]!r} does not match {schema['pattern']}")
    return found
