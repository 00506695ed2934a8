"""Fresh install of the tooling lock: pip versus uv, side by side in one run.

Each tool installs requirements/dev.lock (hash-checked, no dependency resolution) into a new venv
with an empty cache of its own, as on a fresh CI machine. `make setup` uses whichever the figures
in docs/benchmarks.md show to be faster; run `python -m benchmarks setup` to measure again.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import report
from env_config import REPO_ROOT

LOCK = REPO_ROOT / "requirements" / "dev.lock"
UV_LOCK = REPO_ROOT / "requirements" / "uv.lock"


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def with_pip(root: Path) -> float:
    venv = root / "pip-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    argv = [python, "-m", "pip", "install", "--quiet", "--no-cache-dir", "--require-hashes"]
    return timed([*argv, "--no-deps", "-r", str(LOCK)])


def with_uv(root: Path) -> float:
    venv = root / "uv-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    bootstrap = [python, "-m", "pip", "install", "--quiet", "--no-cache-dir", "--require-hashes"]
    seconds = timed([*bootstrap, "-r", str(UV_LOCK)])
    uv = str(venv / "bin" / "uv")
    install = [uv, "pip", "install", "--quiet", "--python", python, "--require-hashes"]
    cache = ["--cache-dir", str(root / "uv-cache")]
    return seconds + timed([*install, *cache, "--no-deps", "-r", str(LOCK)])


def tables(uv: float, pip: float) -> list[report.Table]:
    return [
        report.Table(
            ["figure", "value", "goal"],
            [[
                "fresh install with uv (uv itself included) / with pip",
                f"{uv:.0f} s / {pip:.0f} s = **{uv / pip:.2f}**",
                "the faster one is what `make setup` uses",
            ]],
            "the faster one is what `make setup` uses",
            report.Headline("fresh install with uv (uv itself included) / with pip",
                            round(uv / pip, 2), None),
        )
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    report.add_write_flag(parser)
    args = parser.parse_args(argv)
    run = report.start("setup", argv)
    root = Path(tempfile.mkdtemp(prefix="bench-setup-"))
    try:
        uv, pip = with_uv(root), with_pip(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    conditions = (
        "A fresh venv and an empty cache for each tool, `requirements/dev.lock` installed "
        "hash-checked with `--no-deps` by each, one after the other in the same run."
    )
    report.publish(run, conditions=conditions, tables=tables(uv, pip), write=args.write)
    return 0
