"""`python -m benchmarks <name>`: one runner for every benchmark and for the report that
generates docs/benchmarks.md (tests never time anything)."""

from __future__ import annotations

import argparse
import importlib
import inspect
import subprocess
import sys

import pytest

from benchmarks import report
from benchmarks.__main__ import BENCHMARKS, COMMANDS


def test_every_command_is_a_module_with_a_main():
    for module in COMMANDS.values():
        assert callable(importlib.import_module(module).main), module


def test_every_benchmark_has_a_section_of_the_doc_and_the_report_is_a_command():
    assert list(report.SECTIONS) == [name for name in report.SECTIONS if name in BENCHMARKS]
    assert set(report.SECTIONS) == set(BENCHMARKS)
    assert COMMANDS["report"] == "benchmarks.report"


def test_every_benchmark_accepts_write_and_record(monkeypatch):
    """Every benchmark's parser takes --write (alias --record): recording is one flag for all."""
    seen = {}
    original = argparse.ArgumentParser.parse_args

    class Parsed(Exception):
        """Raised once the arguments are parsed, so nothing is measured; a refused flag raises
        argparse's SystemExit instead, which this test does not catch."""

    def stop_after_parsing(self, args=None, namespace=None):
        seen[self.prog] = original(self, args, namespace)
        raise Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", stop_after_parsing)
    for name, module in BENCHMARKS.items():
        for flag in ("--write", "--record"):
            with pytest.raises(Parsed):
                importlib.import_module(module).main([flag])
            parsed = seen.pop(next(iter(seen)))
            assert parsed.write is True, (name, flag)


def test_every_benchmark_reports_through_the_one_function():
    """The one output path: each module calls report.start and report.publish, and none writes
    the doc or a result file itself."""
    for name, module in BENCHMARKS.items():
        source = inspect.getsource(importlib.import_module(module))
        assert f'report.start("{name}", argv)' in source, name
        assert "report.publish(" in source, name
        for writer in ("report.DOC", "report.RESULTS", "report.save(", "write_section"):
            assert writer not in source, (name, writer)


def test_help_lists_every_command_and_an_unknown_one_is_refused():
    listed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"], capture_output=True, text=True
    )
    assert listed.returncode == 0 and all(name in listed.stdout for name in COMMANDS)
    unknown = subprocess.run(
        [sys.executable, "-m", "benchmarks", "nope"], capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "usage: python -m benchmarks" in unknown.stderr
