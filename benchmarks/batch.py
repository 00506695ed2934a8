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

Usage: python -m benchmarks batch [--rows 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
    """train.py's model on the sample dataset, registered and approved in the local registry."""
    import joblib
    from sklearn.ensemble import HistGradientBoostingClassifier

    from env_config import load
    from local_runner import objectstore
    from local_runner.jobs import pack_model
    from local_runner.registry import APPROVED, Registry
    from sample_data import sample_frame

    config = load("local")
    frame = sample_frame()
    features = [c for c in frame.columns if c != "malignant"]
    hyper = config.get("pipeline.hyperparameters")
    model = HistGradientBoostingClassifier(
        max_iter=int(hyper["max_iter"]),
        learning_rate=float(hyper["learning_rate"]),
        max_leaf_nodes=int(hyper["max_leaf_nodes"]),
        random_state=int(hyper["random_state"]),
        early_stopping=False,
    ).fit(frame[features].to_numpy(), frame["malignant"].to_numpy())
    folder = scratch / "model"
    folder.mkdir(parents=True)
    joblib.dump(model, folder / "model.joblib")
    (folder / "model_metadata.json").write_text(json.dumps({"features": features}))
    archive = scratch / "model.tar.gz"
    pack_model(folder, archive)
    uri = config.s3_uri("models", "benchmark", "output", "model.tar.gz")
    objectstore.put_file(archive, uri)
    registry = Registry(
        config.s3_uri("champion", "current") + "/", region=config.region, account=config.account_id
    )
    registry.register(config.model_package_group, model_data_url=uri, status=APPROVED)
    return model, features, folder


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


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    os.environ["LOCAL_RUNNER_HOME"] = str(scratch / "home")
    from local_runner import batch

    model, features, _model = make_champion(scratch)
    frame = make_rows(args.rows)
    source = scratch / "input" / "rows.csv"
    source.parent.mkdir()
    frame.to_csv(source, index=False)
    matrix = frame[features].to_numpy(dtype="float64")
    champion_dir = scratch / "champion"
    champion_dir.mkdir()
    champion_dir.joinpath("model.tar.gz").write_bytes((scratch / "model.tar.gz").read_bytes())
    champion_dir.joinpath("champion.json").write_text(json.dumps({"ModelPackageArn": "arn:bench"}))
    batch.run(source, use_cache=False, out=lambda line: None)  # warm: definition, code staging
    times: dict[str, list[float]] = {"raw": [], "scorer": [], "pipeline": []}
    for round_ in range(args.repeat):
        times["raw"].append(timed(lambda: model.predict_proba(matrix)))
        output = scratch / f"out-{round_}"
        times["scorer"].append(scorer_seconds(champion_dir, source.parent, output))
        times["pipeline"].append(
            timed(lambda: batch.run(source, use_cache=False, out=lambda line: None))
        )
    median = {name: statistics.median(values) for name, values in times.items()}
    load = os.getloadavg()[0]
    print(
        f"batch scoring, {args.rows} rows x {len(features)} features, medians of {args.repeat} "
        f"(Linux {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"1-minute load {load:.1f}):"
    )
    for name in ("raw", "scorer", "pipeline"):
        rate = args.rows / median[name]
        print(
            f"  {name:<9} {median[name]:7.2f} s  {rate:>10,.0f} rows/s  "
            f"ratio to raw {median['raw'] / median[name]:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
