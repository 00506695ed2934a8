"""Benchmark: Preprocess + Train on 1, 2 and 4 simulated hosts, side by side in one run.

A synthetic ROWS x 30 dataset (the schema's features, a noisy linear label) is written as FILES raw
objects. For each host count H, Preprocess runs on H hosts (raw input ShardedByS3Key, --parts H) and
Train on H hosts (train/validation channels sharded, XGBoost's collective), each host a process
with SageMaker's contract (simulated_hosts). Every simulated host gets THREADS cores' worth of
threads (OMP_NUM_THREADS), as a real instance has its own cores; H x THREADS above the machine's
cores oversubscribes it, and the figures say so.

Figures: wall time per step, scaling efficiency T1 / (H x TH), peak RSS per host against the bytes
of its shard, and the test accuracy of each model (Evaluate, one host, all test parts).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import report
from simulated_hosts import Input, JobResult, run_job

REPO_ROOT = Path(__file__).resolve().parent.parent
CODE = REPO_ROOT / "training_code"
SPLITS = ("train", "validation", "test", "statistics")


def write_dataset(rows: int, files: int, folder: Path, seed: int = 0) -> int:
    """ROWS x 30 in FILES CSV objects, generated file by file (bounded memory); returns bytes."""
    schema = json.loads((CODE / "schema.json").read_text(encoding="utf-8"))
    generator = np.random.default_rng(seed)
    weights = generator.normal(size=len(schema["features"]))
    folder.mkdir(parents=True, exist_ok=True)
    for index, chunk in enumerate(np.array_split(np.arange(rows), files)):
        features = generator.normal(size=(len(chunk), len(weights)))
        logits = features @ weights + generator.normal(scale=2.0, size=len(chunk))
        frame = pd.DataFrame(features, columns=schema["features"])
        frame[schema["label"]] = (logits > 0).astype(int)
        frame.to_csv(folder / f"raw-{index:04d}.csv", index=False, float_format="%.6g")
    return sum(p.stat().st_size for p in folder.iterdir())


def shard_bytes(result: JobResult, local: str) -> dict[str, int]:
    """Bytes of input each host received under its /opt/ml/<local>."""
    return {
        h.host: sum(p.stat().st_size for p in (h.opt_ml / local).rglob("*.csv"))
        for h in result.hosts
    }


def check(result: JobResult, step: str, hosts: int) -> None:
    if not result.ok:
        raise SystemExit(f"{step} on {hosts} hosts failed:\n{result.describe_failure()}")
    if result.collisions:
        raise SystemExit(f"{step} on {hosts} hosts: keys written twice: {result.collisions}")


def run_hosts(hosts: int, raw: Path, work: Path, threads: int, max_iter: int) -> dict:
    s3 = work / "s3"
    preprocess = run_job(
        CODE / "preprocess.py",
        hosts,
        work / "preprocess",
        [Input(raw, "processing/input/data", sharded=True)],
        {f"processing/{name}": s3 / name for name in SPLITS},
        args=["--parts", str(hosts)],
        threads_per_host=threads,
        timeout=7200,
    )
    check(preprocess, "Preprocess", hosts)
    pre_shards = shard_bytes(preprocess, "processing/input/data")
    shutil.rmtree(work / "preprocess")  # the raw copies: keep the disk for the next host count
    train = run_job(
        CODE / "train.py",
        hosts,
        work / "train",
        [
            Input(s3 / "train", "input/data/train", sharded=True),
            Input(s3 / "validation", "input/data/validation", sharded=True),
            Input(s3 / "statistics", "input/data/statistics"),
        ],
        {"model": work / "model"},
        training=True,
        hyperparameters={"max_iter": str(max_iter), "checkpoint_every": str(max_iter)},
        checkpoints=work / "checkpoints",
        threads_per_host=threads,
        timeout=7200,
    )
    check(train, "Train", hosts)
    train_shards = shard_bytes(train, "input/data")
    accuracy = evaluate(work, s3)
    shutil.rmtree(work / "train")
    return {
        "preprocess": preprocess.wall_seconds,
        "train": train.wall_seconds,
        "rss_ratio": max(
            [h.max_rss_bytes / max(pre_shards[h.host], 1) for h in preprocess.hosts]
            + [h.max_rss_bytes / max(train_shards[h.host], 1) for h in train.hosts]
        ),
        "peak_rss": max(h.max_rss_bytes for h in [*preprocess.hosts, *train.hosts]),
        "largest_shard": max([*pre_shards.values(), *train_shards.values()]),
        "accuracy": accuracy,
        # CPU seconds summed over hosts: the work, independent of what else ran on the machine
        "preprocess_cpu": sum(h.cpu_seconds for h in preprocess.hosts),
        "train_cpu": sum(h.cpu_seconds for h in train.hosts),
    }


def evaluate(work: Path, s3: Path) -> float:
    """Evaluate.py as the pipeline runs it: one host, every test part, the combined statistics."""
    from local_runner.jobs import pack_model

    archive = work / "evaluate" / "model" / "model.tar.gz"
    pack_model(work / "model", archive)
    out = work / "evaluate" / "evaluation"
    subprocess.run(
        [
            sys.executable,
            str(CODE / "evaluate.py"),
            "--model-dir",
            str(archive.parent),
            "--test-dir",
            str(s3 / "test"),
            "--statistics-dir",
            str(s3 / "statistics"),
            "--champion-dir",
            str(work / "evaluate" / "no-champion"),
            "--output-dir",
            str(out),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "SM_OPT_ML": str(work / "evaluate")},
    )
    evaluation = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    return evaluation["binary_classification_metrics"]["accuracy"]["value"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="dataset rows (default 10M)")
    parser.add_argument("--files", type=int, default=16, help="raw objects (>= the most hosts)")
    parser.add_argument("--hosts", default="1,2,4", help="host counts, comma-separated")
    parser.add_argument("--threads", type=int, default=1, help="threads per simulated host")
    parser.add_argument("--max-iter", type=int, default=200, help="boosting rounds")
    report.add_write_flag(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run = report.start("scale-out", argv)
    counts = [int(h) for h in args.hosts.split(",")]
    root = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        size = write_dataset(args.rows, args.files, root / "raw")
        figures = {
            h: run_hosts(h, root / "raw", root / f"h{h}", args.threads, args.max_iter)
            for h in counts
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    conditions = (
        f"Side by side in one run: a synthetic {args.rows:,} rows x 30 features "
        f"({size / 1e6:,.0f} MB of CSV in {args.files} objects), Preprocess then Train "
        f"({args.max_iter} rounds) on {', '.join(map(str, counts))} simulated hosts "
        "(`simulated_hosts`: one process per host, SageMaker's contract, inputs sharded by key, "
        f"XGBoost's tracker and collective on loopback), {args.threads} thread(s) per host "
        f"(a host's own cores; more host threads than the machine's {os.cpu_count()} cores "
        "oversubscribe it). CPU seconds are user + system, summed over hosts."
    )
    report.publish(run, conditions=conditions, tables=tables(figures), write=args.write)
    return 0


def tables(figures: dict[int, dict]) -> list[report.Table]:
    """figures: host count -> what run_hosts returns; the first count is the baseline."""
    counts = list(figures)
    base = figures[counts[0]]
    base_total = (base["preprocess"] + base["train"]) * counts[0]
    rows, efficiency = [], {}
    for hosts, f in figures.items():
        total = f["preprocess"] + f["train"]
        efficiency[hosts] = base_total / (hosts * total)
        rows.append([
            str(hosts),
            f"{f['preprocess']:.1f} s / {f['preprocess_cpu']:.0f} s",
            f"{f['train']:.1f} s / {f['train_cpu']:.0f} s",
            f"{total:.1f} s",
            f"{base_total:.1f} / ({hosts} x {total:.1f}) = **{efficiency[hosts]:.2f}**",
            f"{f['peak_rss'] / 1e6:.0f} MB",
            f"{f['largest_shard'] / 1e6:.0f} MB",
            f"{f['rss_ratio']:.2f}",
            f"{f['accuracy']:.4f}",
        ])  # fmt: skip
    two = 2 if 2 in efficiency else counts[-1]
    return [
        report.Table(
            ["hosts", "Preprocess wall / CPU", "Train wall / CPU", "total",
             "scaling efficiency T1 / (n x Tn)", "peak RSS of any host", "largest shard",
             "RSS / shard", "test accuracy"],
            rows,
            "scaling efficiency >= 0.7 at 2 hosts on a 2-core machine; peak RSS per host <= 3x "
            "its shard",
            report.Headline(f"scaling efficiency at {two} hosts", round(efficiency[two], 2),
                            ">= 0.7"),
        )
    ]  # fmt: skip
