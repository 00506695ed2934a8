"""What every check needs: the definition's parameters and steps, and where problems go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from definition_check.problems import Problem, Report


@dataclass
class Context:
    """The definition indexed once: parameters by name, every step (also inside conditions)."""

    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: Report = field(default_factory=Report)
    # step name -> names of the steps it reads from (for the cycle check)
    references: dict[str, set[str]] = field(default_factory=dict)

    def problem(self, step: str | None, path: str, message: str) -> None:
        self.report.problems.append(Problem(step, path, message))

    def note(self, message: str) -> None:
        if message not in self.report.notes:
            self.report.notes.append(message)

    def referenced(self, step: str | None, other: str) -> None:
        if step is not None:
            self.references.setdefault(step, set()).add(other)


def child(path: str, key: str | int) -> str:
    """`Arguments.ProcessingInputs[0]`, `Arguments.Environment['A B']`: how fields are named."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def describe(value: Any) -> str:
    """A short description of a JSON value for a message: its type, and the value if small."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"string {shown!r}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        keys = ", ".join(list(value)[:4])
        return f"an object with {keys}" if value else "an empty object"
    return type(value).__name__
