"""Reading an environment file as YAML, refusing what PyYAML would silently accept.

PyYAML keeps the last of two equal keys without a word, so a key pasted twice (the second one
stale) would silently win. The loader here refuses it, naming both lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class YamlFileError(ValueError):
    """A file that is not readable as one YAML mapping; the message names file, line and fix."""


def _strict_loader() -> type:
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise YamlFileError(
                        f"key '{key}' appears twice (lines {seen[key]} and {line}); the second "
                        "would silently win. Keep one."
                    )
                seen[key] = line
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


def read_mapping(path: Path, shown: str) -> dict[str, Any]:
    """The file's top-level mapping; `shown` is the path as the user should read it."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise YamlFileError(
            f"{shown}: not UTF-8 text (byte {error.start}). Save it as UTF-8 YAML."
        ) from None
    try:
        raw = yaml.load(text, Loader=_strict_loader())  # noqa: S506 (a SafeLoader subclass)
    except YamlFileError as error:
        raise YamlFileError(f"{shown}: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise YamlFileError(
            f"{shown}: not valid YAML ({where}{problem}). Fix the syntax."
        ) from None
    if not isinstance(raw, dict):
        raise YamlFileError(
            f"{shown}: expected a mapping of keys at the top level, got "
            f"{type(raw).__name__ if raw is not None else 'an empty file'}. "
            "Start from environments/local.yaml."
        )
    return raw
