"""`python -m benchmarks test-suite` (benchmarks/suite_times.py): what `make test` runs, read
from the Makefile, and the per-folder breakdown from pytest's JUnit report. Nothing is timed
here: the JUnit report is a small synthetic one and the dry run measures nothing."""

from __future__ import annotations

import subprocess
import sys

from benchmarks import report, suite_times
from env_config import REPO_ROOT

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="5">
<testcase classname="tests.local_runner.test_jobs" name="test_a" time="1.5"/>
<testcase classname="tests.local_runner.test_jobs.TestKinds" name="test_b" time="0.5">
  <failure message="boom">trace</failure></testcase>
<testcase classname="tests.proof.test_access_proof" name="test_c" time="2.0">
  <skipped message="no node"/></testcase>
<testcase classname="tests.proof.test_access_proof" name="test_d" time="0.25">
  <error message="fixture">trace</error></testcase>
<testcase classname="test_top" name="test_e" time="0.1"/>
</testsuite></testsuites>
"""


def test_the_junit_report_gives_tests_failures_skips_and_seconds_per_folder(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    found = suite_times.breakdown(path)
    assert found.tests == 5
    assert list(found.folders) == ["(top level)", "local_runner", "proof"]
    assert vars(found.folders["local_runner"]) == {
        "tests": 2, "failed": 1, "skipped": 0, "seconds": 2.0
    }  # fmt: skip
    assert vars(found.folders["proof"]) == {"tests": 2, "failed": 1, "skipped": 1, "seconds": 2.25}


def test_what_make_test_runs_is_read_from_the_makefile():
    alongside, after = suite_times.test_targets()
    assert alongside == ["tf-test"] and after == ["proof"]
    listed = subprocess.run(["make", "-s", "help"], cwd=REPO_ROOT, capture_output=True, text=True)
    for target in ["test-fast", "test", *alongside, *after]:
        assert f" {target} " in listed.stdout.replace("\x1b[36m", " ").replace("\x1b[0m", " ")


def test_make_test_is_timed_whole_and_a_failed_suite_is_flagged(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    tests = suite_times.breakdown(path)
    fast = suite_times.Timed("test-fast", 50.0, 0)
    full = suite_times.Timed(
        "test", 270.0, 1, suite_times.what_make_test_runs(["tf-test"], ["proof"])
    )
    others = [
        suite_times.Timed(
            "proof", 300.0, 0, "render not cached: rendered on moto, once per change"
        ),
        suite_times.Timed("tf-test", 60.0, 0, "alone"),
        suite_times.Timed("proof", 10.0, 0, "alone, render cached"),
    ]
    tables = suite_times.tables(fast, tests, full, tests, others)
    run = report.Run("test-suite", "python -m benchmarks test-suite", 0.5)
    result = report.publish(run, conditions="synthetic", tables=tables)
    suites, folders = result["tables"]
    assert suites["headline"] == {"figure": "`make test` wall time, s", "value": 270.0,
                                  "goal": "<= 300"}  # fmt: skip
    assert suites["rows"][1] == [
        "`make test` (every pytest test with tf-test alongside, then proof)", "**270.0 s**", "5",
        "**failed** (exit 1)",
    ]  # fmt: skip
    assert suites["rows"][2][0] == (
        "`make proof` (render not cached: rendered on moto, once per change)"
    )
    assert suites["rows"][-1] == ["`make proof` (alone, render cached)", "10.0 s", "", "passed"]
    assert folders["headline"]["value"] == 50.0
    assert folders["rows"][1] == ["tests/local_runner", "2", "2.0", "2", "2.0", "1"]


def test_the_dry_run_lists_the_suites_and_measures_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "test-suite", "--dry-run"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == "  make test-fast"
    assert "  make test (every pytest test with tf-test alongside, then proof)" in lines
    assert "  make proof (alone)" in lines and "  make tf-test (alone)" in lines
    assert "the proof's render is" in done.stdout
