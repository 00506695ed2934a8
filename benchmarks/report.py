"""The one output format of the benchmarks: a `## <section>` of docs/benchmarks.md, replaced whole.

A benchmark prints its section (a figure | value | goal table and how it was measured) and, with
`--write`, puts it in place; the other sections belong to other benchmarks and stay as they are.
"""

from __future__ import annotations

from env_config import REPO_ROOT

DOC = REPO_ROOT / "docs" / "benchmarks.md"


def write_section(heading: str, text: str) -> None:
    """Replace the section that starts with `heading` (a `## ...` line) by `text`, or append it."""
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n\n"
    start = current.find(heading + "\n")
    if start == -1:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(heading))
        updated = current[:start] + text + ("" if end == -1 else current[end + 1 :])
    DOC.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")
