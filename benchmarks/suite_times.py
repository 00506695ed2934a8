"""Benchmark: the test suite's wall time, side by side in one run (issue 17's goals).

Why: "make test <= 5 min, make test-fast <= 60 s on 2 cores" is only checkable with every part
timed in the same conditions. One run times, one after the other: `make test-fast`; the access
proof's cold render when build/proof/ has none (what only a first run pays); `make test` itself
(pytest with the Makefile's TEST_ALONGSIDE targets running beside it, then its TEST_TARGETS, both
read from the Makefile: terraform test + checkov beside, the proof after); then each of those
targets alone, for the breakdown. pytest writes a JUnit report per run, which gives the test
counts and the seconds spent per top-level tests/ folder.

Usage: python -m benchmarks test-suite [--dry-run] [--write]
(--dry-run prints what would run and measures nothing.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import report
from env_config import REPO_ROOT

MAKE_TEST_GOAL = 300  # seconds, issue 17
TEST_FAST_GOAL = 60
PRINT_TEST_TARGETS = "print-test-targets:\n\t@echo $(TEST_ALONGSIDE)\n\t@echo $(TEST_TARGETS)\n"


@dataclass
class Timed:
    """One `make <target>` run: wall seconds and exit code."""

    target: str
    seconds: float
    returncode: int
    note: str = ""


@dataclass
class Folder:
    """The tests of one top-level tests/ folder in one pytest run."""

    tests: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0


@dataclass
class Breakdown:
    folders: dict[str, Folder] = field(default_factory=dict)

    @property
    def tests(self) -> int:
        return sum(f.tests for f in self.folders.values())


def test_targets() -> tuple[list[str], list[str]]:
    """What `make test` runs besides pytest, from the Makefile itself: (TEST_ALONGSIDE, run
    while pytest does; TEST_TARGETS, run after it)."""
    listed = subprocess.run(
        ["make", "--no-print-directory", "-s", "-f", "Makefile", "-f", "-", "print-test-targets"],
        input=PRINT_TEST_TARGETS,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    alongside, after = [*listed.stdout.splitlines(), "", ""][:2]
    return alongside.split(), after.split()


def proof_cached() -> bool:
    """Whether `make proof` will find its render and recordings in build/proof/."""
    from proof import prove

    world = prove.BUILD / f"world-{prove.fingerprint(prove.WORLD_INPUTS)}" / "complete"
    deploy = prove.BUILD / f"deploy-tests-{prove.fingerprint(prove.DEPLOY_INPUTS)}.jsonl"
    return world.exists() and deploy.exists()


def timed_make(target: str, junit: Path | None = None) -> Timed:
    env = dict(os.environ)
    if junit is not None:  # pytest reads extra options from here; the make target stays as is
        env["PYTEST_ADDOPTS"] = f"{env.get('PYTEST_ADDOPTS', '')} --junitxml={junit}".strip()
    started = time.perf_counter()
    done = subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return Timed(target, time.perf_counter() - started, done.returncode)


def folder_of(classname: str) -> str:
    """`tests.local_runner.test_jobs.TestX` -> `local_runner`; a test module at the top of
    tests/ counts as `(top level)`."""
    parts = classname.split(".")
    if len(parts) >= 3 and parts[0] == "tests":
        return parts[1]
    return "(top level)"


def breakdown(junit: Path) -> Breakdown:
    """Tests, failures, skips and test seconds per top-level tests/ folder, from a JUnit XML."""
    result = Breakdown()
    # our own pytest run wrote it, into a private temporary folder: not untrusted input
    for case in ElementTree.parse(junit).getroot().iter("testcase"):  # noqa: S314
        folder = result.folders.setdefault(folder_of(case.get("classname", "")), Folder())
        folder.tests += 1
        folder.seconds += float(case.get("time") or 0)
        kinds = Counter(child.tag for child in case)
        folder.failed += 1 if kinds["failure"] or kinds["error"] else 0
        folder.skipped += 1 if kinds["skipped"] else 0
    result.folders = dict(sorted(result.folders.items()))
    return result


def outcome(run: Timed) -> str:
    return "passed" if run.returncode == 0 else f"**failed** (exit {run.returncode})"


def tables(
    fast: Timed, fast_tests: Breakdown, full: Timed, full_tests: Breakdown, others: list[Timed]
) -> list[report.Table]:
    """fast: the test-fast run; full: the `make test` run (full.note says what it ran), each with
    its JUnit breakdown; others: the proof's cold render if there was one, then each of make
    test's other targets alone."""
    rows = [
        ["`make test-fast` (not slow, not integration)", f"{fast.seconds:.1f} s",
         f"{fast_tests.tests}", outcome(fast)],
        [f"`make test` ({full.note})", f"**{full.seconds:.1f} s**", f"{full_tests.tests}",
         outcome(full)],
        *[[f"`make {t.target}`" + (f" ({t.note})" if t.note else ""), f"{t.seconds:.1f} s", "",
           outcome(t)] for t in others],
    ]  # fmt: skip
    folders = sorted(set(fast_tests.folders) | set(full_tests.folders))
    empty = Folder()
    per_folder = [
        [f"tests/{name}" if name != "(top level)" else name,
         str(fast_tests.folders.get(name, empty).tests),
         f"{fast_tests.folders.get(name, empty).seconds:.1f}",
         str(full_tests.folders.get(name, empty).tests),
         f"{full_tests.folders.get(name, empty).seconds:.1f}",
         str(full_tests.folders.get(name, empty).failed)]
        for name in folders
    ]  # fmt: skip
    return [
        report.Table(
            ["suite", "wall time", "tests", "result"],
            rows,
            f"`make test` <= {MAKE_TEST_GOAL} s and `make test-fast` <= {TEST_FAST_GOAL} s on a "
            "quiet 2-core machine (issue 17)",
            report.Headline("`make test` wall time, s", round(full.seconds, 1),
                            f"<= {MAKE_TEST_GOAL}"),
        ),
        report.Table(
            ["folder", "tests (fast)", "test seconds (fast)", "tests (make test)",
             "test seconds (make test)", "failed (make test)"],
            per_folder,
            f"`make test-fast` <= {TEST_FAST_GOAL} s",
            report.Headline("`make test-fast` wall time, s", round(fast.seconds, 1),
                            f"<= {TEST_FAST_GOAL}"),
            caption="Per top-level tests/ folder, from pytest's JUnit reports of the two runs "
            "above. Test seconds are summed over the pytest workers (each test's own time, "
            "fixtures included), so with -n 2 they add up to about twice a folder's share of the "
            "wall time.",
        ),
    ]  # fmt: skip


def what_make_test_runs(alongside: list[str], after: list[str]) -> str:
    beside = f" with {', '.join(alongside)} alongside" if alongside else ""
    then = f", then {', '.join(after)}" if after else ""
    return f"every pytest test{beside}{then}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would run; measure nothing"
    )
    report.add_write_flag(parser)
    args = parser.parse_args(argv)
    alongside, after = test_targets()
    cold = "proof" in after and not proof_cached()
    if args.dry_run:
        print("would run, in this order, timing each (make, in the repository):")
        print("  make test-fast")
        if cold:
            print("  make proof (its render is not cached: rendered first, timed apart)")
        print(f"  make test ({what_make_test_runs(alongside, after)})")
        for target in [*alongside, *after]:
            print(f"  make {target} (alone)")
        print(f"the proof's render is {'not cached' if cold else 'cached'}")
        return 0
    run = report.start("test-suite", argv)
    others = []
    with tempfile.TemporaryDirectory(prefix="bench-test-suite-") as scratch:
        fast = timed_make("test-fast", Path(scratch) / "fast.xml")
        if cold:
            first = timed_make("proof")
            first.note = "render not cached: rendered on moto, once per change"
            others.append(first)
        full = timed_make("test", Path(scratch) / "full.xml")
        full.note = what_make_test_runs(alongside, after)
        fast_tests = breakdown(Path(scratch) / "fast.xml")
        full_tests = breakdown(Path(scratch) / "full.xml")
    for target in [*alongside, *after]:
        alone = timed_make(target)
        alone.note = "alone" + (", render cached" if target == "proof" else "")
        others.append(alone)
    workers = os.environ.get("PYTEST_WORKERS") or str(os.cpu_count())
    conditions = (
        "One after the other in one run, each `make` target as a developer runs it "
        f"(PYTEST_WORKERS={workers}); `make test` is timed whole, with the proof's render "
        "cached (what every run after the first pays; the cold render is its own row)."
    )
    report.publish(
        run,
        conditions=conditions,
        tables=tables(fast, fast_tests, full, full_tests, others),
        write=args.write,
    )
    return 0
