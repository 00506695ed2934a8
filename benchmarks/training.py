"""Benchmark: preprocess + train + evaluate on a synthetic 1M-row x 30-feature dataset.

Each step runs as its own process, as in SageMaker; the figure is wall time per step and the peak
resident memory of each (goal: peak RSS <= 4 GB). Run with `make benchmark`.
"""

from __future__ import annotations

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
    """`python -m benchmarks training [ROWS]` (default 1,000,000)."""
    from local_runner.jobs import pack_model

    rows = int(argv[0]) if argv else 1_000_000
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
    print(f"training benchmark: {rows:,} rows x 30 features, one process per step")
    for step, (wall, peak) in figures.items():
        print(f"  {step:<11} wall {wall:7.1f} s   peak RSS so far {peak:5.2f} GiB")
    total = sum(wall for wall, _ in figures.values())
    print(
        f"  total       wall {total:7.1f} s   peak RSS {max(p for _, p in figures.values()):5.2f} GiB (goal <= 4)"
    )
    return 0
