"""Batch scoring throughput: the batch pipeline run by the local runner vs raw model.predict.

On the same rows (the sample dataset resampled with noise to --rows rows, an id column added) and
the same champion (train.py's model settings), side by side, medians of --repeat interleaved
rounds:
  raw      model.predict_proba on the feature matrix already in memory (the ceiling);
  scorer   training_code/batch_score.py as a process, its own timing of the scoring (parse the
           CSV, predict, write every row with its scores: the Score job once its process started);
  pipeline `make batch ENV=local INPUT=...` end to end: definition, staging the input in the
           object store, the Score job as a process (interpreter and imports included), upload.
Throughput ratios are rows/s divided by raw's rows/s (goal >= 0.8 for the scorer).

Usage: python -m benchmarks batch [--rows 200000] [--repeat 3] [--write]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from benchmarks import report

REPO = Path(__file__).resolve().parent.parent


def make_rows(rows: int, seed: int = 3):
    import numpy as np

    from sample_data import sample_frame

    frame = sample_frame().drop(columns=["malignant"])
    generator = np.random.default_rng(seed)
    picked = frame.iloc[generator.integers(0, len(frame), rows)].reset_index(drop=True)
    noise = generator.normal(1.0, 0.01, size=picked.shape)
    picked = picked * noise
    picked.insert(0, "id", [f"row-{i:08d}" for i in range(rows)])
    return picked


def make_champion(scratch: Path):
    """The champion a user has: `python -m local_runner run` (the local pipeline: Preprocess, the
    XGBoost Train, Evaluate, RegisterModel) on the sample data in this scratch LOCAL_RUNNER_HOME,
    approved at registration by local's policy; returns its model, features and champion folder.
    (Until 2026-12-05 this trained a HistGradientBoosting model by hand, after train.py had moved
    to XGBoost: the benchmark scored with a model the template no longer makes.)"""
    import joblib

    from local_runner import objectstore
    from local_runner.lifecycle import Local

    completed = subprocess.run(
        [sys.executable, "-m", "local_runner", "run"],
        capture_output=True,
        text=True,
        env={**os.environ, "LOCAL_RUNNER_HOME": str(scratch / "home")},
        cwd=REPO,
    )
    if completed.returncode != 0:
        raise SystemExit(f"the local pipeline run failed:\n{completed.stdout}{completed.stderr}")
    champion_uri = Local.load().champion_uri
    folder = scratch / "champion"
    folder.mkdir()
    for name in ("model.tar.gz", "champion.json"):
        uri = champion_uri + name
        if not objectstore.exists(uri):
            raise SystemExit(f"the local run approved no champion ({uri}):\n{completed.stdout}")
        (folder / name).write_bytes(objectstore.read_bytes(uri))
    with tarfile.open(folder / "model.tar.gz") as bundle:
        bundle.extractall(scratch / "model", filter="data")
    features = json.loads((scratch / "model" / "model_metadata.json").read_text())["features"]
    return joblib.load(scratch / "model" / "model.joblib"), features, folder


def scorer_seconds(champion_dir: Path, input_dir: Path, output: Path) -> float:
    """Run the Score job's script as its job runs it; its own figure excludes process start."""
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO / "training_code" / "batch_score.py"),
            "--champion-dir",
            str(champion_dir),
            "--input-dir",
            str(input_dir),
            "--output-dir",
            str(output),
            "--date",
            "2026-01-01",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "SM_OPT_ML": str(output / "opt_ml")},
    )
    return float(completed.stdout.rsplit("seconds=", 1)[1].split()[0])


def hand_written(model, features: list[str], source: Path, target: Path) -> None:
    """The shortest correct script a user would write for the same file: read it whole with
    pandas, predict, append the two scores, write it (the baseline of the goal: the same rows,
    read from and written to CSV as batch scoring must)."""
    import pandas as pd

    frame = pd.read_csv(source)
    probabilities = model.predict_proba(frame[features].to_numpy(dtype="float64"))[:, 1]
    frame["prediction"] = (probabilities >= 0.5).astype(int)
    frame["probability"] = probabilities.round(6)
    frame.to_csv(target, index=False)


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(scratch: Path, rows: int, repeat: int) -> tuple[dict[str, list[float]], list[str]]:
    """Seconds of each side per round, and the feature names."""
    os.environ["LOCAL_RUNNER_HOME"] = str(scratch / "home")
    from local_runner import batch

    model, features, champion_dir = make_champion(scratch)
    frame = make_rows(rows)
    source = scratch / "input" / "rows.csv"
    source.parent.mkdir()
    frame.to_csv(source, index=False)
    matrix = frame[features].to_numpy(dtype="float64")
    batch.run(source, use_cache=False, out=lambda line: None)  # warm: definition, code staging
    times: dict[str, list[float]] = {"raw": [], "script": [], "scorer": [], "pipeline": []}
    for round_ in range(repeat):
        times["raw"].append(timed(lambda: model.predict_proba(matrix)))
        script_out = scratch / f"script-{round_}.csv"
        times["script"].append(
            timed(functools.partial(hand_written, model, features, source, script_out))
        )
        output = scratch / f"out-{round_}"
        times["scorer"].append(scorer_seconds(champion_dir, source.parent, output))
        times["pipeline"].append(
            timed(lambda: batch.run(source, use_cache=False, out=lambda line: None))
        )
    return times, features


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    report.add_write_flag(parser)
    args = parser.parse_args(argv)
    run = report.start("batch", argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        times, features = measure(scratch, args.rows, args.repeat)
    finally:  # 200,000 rows and every round's output: not left behind in the temp folder
        os.environ.pop("LOCAL_RUNNER_HOME", None)
        shutil.rmtree(scratch, ignore_errors=True)
    median = {name: statistics.median(values) for name, values in times.items()}
    conditions = (
        f"Medians of {args.repeat} interleaved rounds, the same rows for every side: the sample "
        f"dataset resampled to {args.rows:,} rows with 1 % noise and an id column, "
        f"{len(features)} features; the champion is train.py's model."
    )
    report.publish(run, conditions=conditions, tables=tables(median, args.rows), write=args.write)
    return 0


WHAT = {
    "raw": "`model.predict_proba` on the feature matrix in memory (no file read or written)",
    "script": "a hand-written pandas script: read the CSV, `model.predict_proba`, append the "
    "scores, write the CSV",
    "scorer": "`batch_score.py`'s own timing: parse the CSV, predict, write every row with its "
    "scores",
    "pipeline": "`make batch ENV=local INPUT=...` end to end: definition, staging, the Score job "
    "as a process, upload",
}


def tables(median: dict[str, float], rows: int) -> list[report.Table]:
    """median: seconds of each side (raw, script, scorer, pipeline) for `rows` rows."""
    lines = []
    for name in ("raw", "script", "scorer", "pipeline"):
        ratio = f"{median['script'] / median[name]:.2f}"
        lines.append([
            name, WHAT[name], f"{median[name]:.2f} s", f"{rows / median[name]:,.0f}",
            f"**{ratio}**" if name == "scorer" else ratio,
            f"{median['raw'] / median[name]:.2f}",
        ])  # fmt: skip
    return [
        report.Table(
            ["side", "what is timed", "median", "rows/s", "throughput / script's",
             "throughput / in-memory predict's"],
            lines,
            "the scorer's throughput >= 0.8 of model.predict on the same rows, read from and "
            "written to CSV by the hand-written script",
            report.Headline(
                "scorer / hand-written script throughput",
                round(median["script"] / median["scorer"], 2),
                ">= 0.8",
            ),
        )
    ]  # fmt: skip
