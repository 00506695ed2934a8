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
