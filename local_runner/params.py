"""PARAMS (`make run ENV=local PARAMS="AccuracyThreshold=0.95 MaxIter=50"`): parsed and checked
before anything runs.

Three layers, each with a one-line message naming the parameter and the fix:
1. the text: shell-like quoting (shlex), so `PARAMS="Name='a b'"` works; an unbalanced quote is a
   message, not a traceback;
2. the definition: the name must be a declared parameter (a typo gets "did you mean"), the value
   must parse as its Type (Integer, Float, Boolean, String; no NaN or infinity) and be one of its
   EnumValues when it has them;
3. the environment schema: a parameter whose default comes from environments/<env>.yaml (the
   schema marks the key with `x-pipeline-parameter`) takes only what that key allows, so
   `AccuracyThreshold=2` is refused here rather than "rejected" by the gate after a whole run.
"""

from __future__ import annotations

import difflib
import math
import re
import shlex
from typing import Any

from env_config import schema as env_schema

INTEGER = re.compile(r"^[+-]?[0-9]+$")


class ParamsError(ValueError):
    """PARAMS that cannot be used; the message names the parameter and the fix."""


def parse(text: str | None) -> dict[str, str]:
    """Name=Value pairs of a PARAMS string (shell quoting rules); a name given twice is refused."""
    try:
        items = shlex.split(text or "")
    except ValueError as error:
        raise ParamsError(
            f'PARAMS="{_cut(text or "")}": {error}. Close the quote, or quote a value with spaces '
            "as Name='a b'."
        ) from None
    overrides: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParamsError(
                f"PARAMS item '{_cut(item)}' is not Name=Value (e.g. PARAMS=\"AccuracyThreshold=0.95\")."
            )
        if name in overrides:
            raise ParamsError(
                f"PARAMS gives {name} twice ({overrides[name]!r} and {value!r}). Keep one."
            )
        overrides[name] = value.strip()
    return overrides


def check(overrides: dict[str, str], definition: dict[str, Any]) -> None:
    """Refuse an override the definition or the environment schema would not accept."""
    declared = {p["Name"]: p for p in definition.get("Parameters", []) if "Name" in p}
    limits = schema_by_parameter()
    for name, text in overrides.items():
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ParamsError(
                f"PARAMS: unknown parameter {name}; {hint}The definition declares: "
                f"{', '.join(sorted(declared))}."
            )
        parameter = declared[name]
        value = typed(name, parameter.get("Type", "String"), text)
        allowed = parameter.get("EnumValues")
        if allowed and value not in allowed:
            raise ParamsError(
                f"PARAMS {name}={text}: not one of {', '.join(map(str, allowed))} (the "
                "definition's EnumValues)."
            )
        if name in limits:
            _check_schema(name, text, value, limits[name])


def typed(name: str, kind: str, text: str) -> Any:
    """The value as the parameter's Type, or a message saying what the Type accepts."""
    if kind == "Integer" and INTEGER.match(text):
        return int(text)
    if kind == "Float":
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if math.isfinite(number) and text.strip().lower() not in ("nan", "inf", "infinity"):
            return number
    if kind == "Boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kind == "String":
        return text
    forms = {
        "Integer": "a whole number such as 50",
        "Float": "a finite number such as 0.95",
        "Boolean": "true or false",
    }
    if kind not in forms:
        raise ParamsError(f"PARAMS {name}: parameter type '{kind}' is not supported.")
    raise ParamsError(f"PARAMS {name}={_cut(text)}: not {forms[kind]} ({name} is {kind}).")


def schema_by_parameter() -> dict[str, dict[str, Any]]:
    """Pipeline parameter name -> the schema of the environment key that sets its default."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "x-pipeline-parameter" in node:
                found[node["x-pipeline-parameter"]] = node
            for child in node.get("properties", {}).values():
                walk(child)

    walk(env_schema.load_schema())
    return found


def _check_schema(name: str, text: str, value: Any, key_schema: dict[str, Any]) -> None:
    import jsonschema

    errors = list(jsonschema.Draft202012Validator(key_schema).iter_errors(value))
    if errors:
        reason = env_schema.reason(errors[0])  # the same words as for the file
        raise ParamsError(
            f"PARAMS {name}={_cut(text)}: {reason}. Allowed: {key_schema.get('description', '')}"
        )


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
