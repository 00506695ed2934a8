"""Assertions every row of the bad-input matrix makes."""

from __future__ import annotations

import hashlib
from pathlib import Path


def first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def assert_refused(code: int, expected_code: int, output: str, fragment: str) -> str:
    """Exit code, first line of the message, and never a traceback; returns the first line."""
    line = first_line(output)
    assert "Traceback (most recent call last)" not in output, output
    assert code == expected_code, (code, output)
    assert fragment in line, f"first line {line!r} lacks {fragment!r}; whole output:\n{output}"
    return line


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root with the SHA-256 of its content: "nothing changed" is equality."""
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
