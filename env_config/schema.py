"""Validation of an environment file against environments/schema.json, with messages for people.

The schema is the single description of every key (type, range, enum, pattern, a description
that says the allowed form); this module only runs it with the `jsonschema` library and turns
each error into one line: file, key path, value, what is wrong, the allowed form, and for a typo
the closest valid name ("did you mean"). Every error is reported at once, so a user fixes a file
in one pass instead of one key per run.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "environments" / "schema.json"
MAX_VALUE_CHARS = 60


@functools.cache
def load_schema(path: Path = SCHEMA_PATH) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _validator(path: Path = SCHEMA_PATH) -> Any:
    import jsonschema  # deferred: `make help` and ENV checks never pay for it

    schema = load_schema(path)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def problems(document: Any, path: Path = SCHEMA_PATH) -> list[str]:
    """Every schema violation of a parsed environment file, one sentence each, in file order."""
    errors = sorted(_validator(path).iter_errors(document), key=_order)
    lines: dict[str, str] = {}  # one line per key path: the first error there says enough
    for error in errors:
        for where, line in _describe(error, load_schema(path)):
            lines.setdefault(where, line)
    return list(lines.values())


def _order(error: Any) -> tuple[tuple[str, ...], bool]:
    """File order; at one place an unknown key (a typo) before the "missing" it explains."""
    return (
        tuple(str(part) for part in error.absolute_path),
        error.validator != "additionalProperties",
    )


def dotted(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def show(value: Any) -> str:
    """A value as the user wrote it (JSON spelling), cut short: never echo a huge blob."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def subschema_at(schema: dict[str, Any], parts: Iterable[Any]) -> dict[str, Any]:
    """The schema of the key at a path (arrays descend into items), or {} if it has none."""
    node: Any = schema
    for part in parts:
        if not isinstance(node, dict):
            return {}
        node = (
            node.get("items", {})
            if isinstance(part, int)
            else node.get("properties", {}).get(part, {})
        )
    return node if isinstance(node, dict) else {}


def _allowed(error: Any, root: dict[str, Any]) -> str:
    """The failing subschema's description, else the nearest described key above it."""
    own = error.schema.get("description") if isinstance(error.schema, dict) else None
    parts = list(error.absolute_path)
    while not own and parts:
        own = subschema_at(root, parts).get("description")
        parts.pop()
    return own or ""


def _suggest(word: Any, choices: Iterable[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(error: Any, root: dict[str, Any]) -> list[tuple[str, str]]:
    """(key path, sentence) pairs; a typo's "missing" twin is keyed to the typo, so it drops."""
    where = list(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        return [
            (
                _close(key, known, where),
                f"{dotted([*where, key])}: unknown key{_suggest(key, known)}. "
                f"Allowed here: {', '.join(known)}.",
            )
            for key in unknown
        ]
    if kind == "required":
        key = error.message.split("'")[1]
        wanted = subschema_at(root, [*where, key]).get("description", "")
        return [(dotted([*where, key]), f"{dotted([*where, key])}: missing. Add it: {wanted}")]
    allowed = _allowed(error, root)
    line = f"{dotted(where)} = {show(error.instance)}: {reason(error)}. Allowed: {allowed}"
    return [(dotted(where), line)]


def _close(key: str, known: list[str], where: list[Any]) -> str:
    """The path a typo belongs to: its closest valid key's, else its own."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6) if isinstance(key, str) else []
    return dotted([*where, close[0] if close else key])


def reason(error: Any) -> str:
    """What is wrong with the value, in a few words (the allowed form follows it)."""
    kind, limit, value = error.validator, error.validator_value, error.instance
    if kind == "type":
        return f"is {_kind_of(value)}, expected {limit if isinstance(limit, str) else ' or '.join(limit)}"
    if kind == "enum":
        return "is not one of " + ", ".join(map(str, limit)) + _suggest(value, map(str, limit))
    words = {
        "const": f"must be {show(limit)}",
        "pattern": "has the wrong form",
        "minimum": f"is below the minimum {limit}",
        "maximum": f"is above the maximum {limit}",
        "exclusiveMinimum": f"must be greater than {limit}",
        "exclusiveMaximum": f"must be less than {limit}",
        "minItems": f"needs at least {limit} items",
        "maxItems": f"takes at most {limit} items",
        "minProperties": "must not be empty",
        "uniqueItems": "repeats an item",
        "not": "is not allowed here",
    }
    return words.get(kind, error.message)


def _kind_of(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names.update({list: "a list", dict: "a mapping", type(None): "empty (null)"})
    return names.get(type(value), type(value).__name__)


def schema_line(path: Path) -> str | None:
    """The `# yaml-language-server: $schema=...` modeline of a file, if it has one."""
    for line in path.read_text(encoding="utf-8").splitlines()[:5]:
        if line.startswith("# yaml-language-server: $schema="):
            return line.split("=", 1)[1].strip()
    return None
