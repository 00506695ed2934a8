"""`python -m benchmarks <name>`: one runner for every benchmark (figures go to
docs/benchmarks.md; tests never time anything)."""

from __future__ import annotations

import importlib
import subprocess
import sys

from benchmarks.__main__ import COMMANDS


def test_every_benchmark_is_a_module_with_a_main():
    for module in COMMANDS.values():
        assert callable(importlib.import_module(module).main), module


def test_help_lists_every_benchmark_and_an_unknown_one_is_refused():
    listed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"], capture_output=True, text=True
    )
    assert listed.returncode == 0 and all(name in listed.stdout for name in COMMANDS)
    unknown = subprocess.run(
        [sys.executable, "-m", "benchmarks", "nope"], capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "usage: python -m benchmarks" in unknown.stderr


def test_a_benchmark_replaces_only_its_own_section(tmp_path, monkeypatch):
    from benchmarks import report

    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## A\n\nold a\n\n## B\n\nb stays\n")
    monkeypatch.setattr(report, "DOC", doc)
    report.write_section("## A", "## A\n\nnew a\n")
    report.write_section("## C", "## C\n\nc\n")
    assert doc.read_text() == "# Benchmarks\n\n## A\n\nnew a\n## B\n\nb stays\n\n## C\n\nc\n"
