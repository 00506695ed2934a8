"""Benchmark: preprocess + train + evaluate on a synthetic 1M-row x 30-feature dataset.

Each step runs as its own process, as in SageMaker; the figure is wall time per step and the peak
resident memory of each (goal: peak RSS <= 4 GB). Run with `make benchmark`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import report

REPO_ROOT = Path(__file__).resolve().parent.parent
CODE = REPO_ROOT / "training_code"


def synthetic(rows: int, seed: int = 0) -> pd.DataFrame:
    schema = json.loads((CODE / "schema.json").read_text())
    generator = np.random.default_rng(seed)
    features = generator.normal(size=(rows, len(schema["features"])))
    weights = generator.normal(size=len(schema["features"]))
    logits = features @ weights + generator.normal(scale=2.0, size=rows)
    frame = pd.DataFrame(features, columns=schema["features"])
    frame[schema["label"]] = (logits > 0).astype(int)
    return frame


def run_step(script: str, root: Path, env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (GiB) of one step process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(CODE / script)],
        env={**env, "SM_OPT_ML": str(root)},
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak_kib, before) / 1024 / 1024


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks training [ROWS] [--write]` (default 1,000,000 rows)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    report.add_write_flag(parser)
    args = parser.parse_args(argv)
    rows = args.rows
    run = report.start("training", argv)
    from local_runner.jobs import pack_model

    root = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        data = root / "processing" / "input" / "data"
        data.mkdir(parents=True)
        synthetic(rows).to_csv(data / "raw.csv", index=False, float_format="%.6g")
        env = dict(os.environ)
        figures = {"preprocess": run_step("preprocess.py", root, env)}
        channels = root / "input" / "data"
        channels.mkdir(parents=True)
        for split in ("train", "validation", "statistics"):
            (channels / split).symlink_to(root / "processing" / split)
        figures["train"] = run_step("train.py", root, env)
        pack_model(root / "model", root / "processing" / "model" / "model.tar.gz")
        figures["evaluate"] = run_step("evaluate.py", root, env)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report.publish(
        run,
        conditions=(
            f"A synthetic {rows:,} rows x 30 features (the schema's features, a noisy linear "
            "label); each step runs as its own process, as on SageMaker, one after the other."
        ),
        tables=tables(rows, figures),
        write=args.write,
    )
    return 0


def tables(rows: int, figures: dict[str, tuple[float, float]]) -> list[report.Table]:
    """figures: step -> (wall seconds, peak RSS in GiB of the step processes so far)."""
    peak = max(p for _, p in figures.values())
    walls = " / ".join(f"{wall:.0f} s" for wall, _ in figures.values())
    return [
        report.Table(
            ["figure", "value", "goal"],
            [
                [
                    f"preprocess + train + evaluate, {rows:,} rows x 30 features: peak RSS of "
                    "any step",
                    f"**{peak:.2f} GiB**",
                    "<= 4 GB",
                ],
                [f"same run, wall time: {' / '.join(figures)}", walls, "(figure only)"],
            ],
            "peak RSS of any step <= 4 GB",
            report.Headline("peak RSS of any step, GiB (4 GB = 3.7 GiB)", round(peak, 2), "<= 3.7"),
        )
    ]
