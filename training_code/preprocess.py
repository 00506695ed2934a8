"""Preprocess: validate the raw CSV files and split them into train, validation and test.

Runs as a SageMaker Processing job on one or more hosts (inputs under
/opt/ml/processing/input/data, outputs under /opt/ml/processing/{train,validation,test,statistics}).
With several hosts the raw input is ShardedByS3Key: each host validates and splits only the files
it received and writes its own part files, `<split>/part-<host>-<k>.csv` (k < --parts, one per
training host so that the Train step's ShardedByS3Key channels stay balanced), plus its partial
statistics `statistics/part-<host>.json`. No two hosts write the same key. A row's split is a hash
of its values (split.py), so 1, 2 or 4 hosts give the same three sets of rows. The files are read
one at a time: a host's memory follows its largest file, not its shard.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

import data_statistics
from contract import StepInputError, fail, opt_ml
from data_statistics import Statistics
from dataset import Schema, find_csv_files, load_schema, read_validated_csv
from hosts import Cluster, discover
from split import SPLITS, assign_parts, assign_splits, part_name, row_hashes

STATISTICS = "statistics"


class PartWriter:
    """Appends rows to a host's part files in a staging folder; publishes them all at the end,
    so a bad file met halfway leaves no output behind."""

    def __init__(self, output_dir: Path, host: str, parts: int):
        self.output_dir = output_dir
        self.host = host
        self.parts = parts
        self.staging = output_dir / f".staging-{host}"
        shutil.rmtree(self.staging, ignore_errors=True)
        self.written: dict[str, int] = {}  # "<split>/<part file>" -> rows
        self.digests: dict = {}  # "<split>/<part file>" -> sha256, fed as written (no re-read)

    def append(self, split: str, part: int, rows: pd.DataFrame) -> None:
        key = f"{split}/{part_name(self.host, part)}"
        path = self.staging / key
        path.parent.mkdir(parents=True, exist_ok=True)
        first = key not in self.written
        data = rows.to_csv(header=first, index=False, float_format="%.10g").encode("utf-8")
        with path.open("ab" if not first else "wb") as handle:
            handle.write(data)
        self.digests.setdefault(key, hashlib.sha256()).update(data)
        self.written[key] = self.written.get(key, 0) + len(rows)

    def publish(self, statistics: Statistics) -> None:
        for key, rows in sorted(self.written.items()):
            source = self.staging / key
            statistics.files[key] = {"rows": rows, "sha256": self.digests[key].hexdigest()}
            target = self.output_dir / key
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        data_statistics.write(statistics, self.output_dir / STATISTICS, self.host)
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def shard_files(input_dir: Path, cluster: Cluster) -> list[Path]:
    """This host's raw files. One host must find data; with several, a host may get none (fewer
    objects than hosts under ShardedByS3Key): it says so and contributes empty statistics."""
    if cluster.is_distributed and not any(input_dir.rglob("*.csv")):
        print(
            f"WARNING: host {cluster.current} received no raw file; the input prefix has fewer "
            f"objects than the {cluster.size} processing hosts. Split the raw data into at least "
            "as many files as ProcessingInstanceCount to use every host.",
            flush=True,
        )
        return []
    return find_csv_files(input_dir)


def preprocess(
    input_dir: Path,
    output_dir: Path,
    schema: Schema,
    cluster: Cluster | None = None,
    parts: int = 1,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 42,
) -> Statistics:
    """Validate this host's CSV files, split them by row hash, write part files and statistics.

    Returns this host's statistics. Raises StepInputError for any bad input, leaving no output.
    """
    cluster = cluster or Cluster(("algo-1",), "algo-1")
    check_arguments(parts, validation_fraction, test_fraction)
    statistics = Statistics(schema.features, schema.label, hosts=(cluster.current,))
    for name in SPLITS:
        statistics.split(name)
    writer = PartWriter(output_dir, cluster.current, parts)
    try:
        for path in shard_files(input_dir, cluster):
            split_file(
                read_validated_csv(path, schema),
                schema,
                writer,
                statistics,
                seed,
                (validation_fraction, test_fraction),
            )
        if not cluster.is_distributed:  # the whole dataset is here: check it before writing
            data_statistics.check_trainable(statistics, str(input_dir))
        writer.publish(statistics)
    except BaseException:
        writer.discard()
        raise
    return statistics


def split_file(
    frame: pd.DataFrame,
    schema: Schema,
    writer: PartWriter,
    statistics: Statistics,
    seed: int,
    fractions: tuple[float, float],
) -> None:
    hashes = row_hashes(frame, seed)
    splits = assign_splits(hashes, *fractions)
    parts = assign_parts(hashes, writer.parts)
    labels = frame[schema.label].to_numpy()
    for index, name in enumerate(SPLITS):
        in_split = splits == index
        statistics.split(name).add(
            {f: frame[f].to_numpy()[in_split] for f in schema.features}, labels[in_split]
        )
        for part in np.unique(parts[in_split]):
            writer.append(name, int(part), frame[in_split & (parts == part)])


def check_arguments(parts: int, validation_fraction: float, test_fraction: float) -> None:
    if parts < 1:
        raise StepInputError(f"--parts must be >= 1 (one per training host), got {parts}.")
    if validation_fraction <= 0 or test_fraction <= 0 or validation_fraction + test_fraction >= 1:
        raise StepInputError(
            f"--validation-fraction ({validation_fraction}) and --test-fraction ({test_fraction}) "
            "must each be > 0 and add up to less than 1."
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    processing = opt_ml("processing")
    parser.add_argument("--input-dir", type=Path, default=processing / "input" / "data")
    parser.add_argument("--output-dir", type=Path, default=processing)
    parser.add_argument("--parts", type=int, default=1, help="part files per split and host")
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        cluster = discover()
        statistics = preprocess(
            args.input_dir,
            args.output_dir,
            load_schema(),
            cluster,
            parts=args.parts,
            validation_fraction=args.validation_fraction,
            test_fraction=args.test_fraction,
            seed=args.seed,
        )
    except StepInputError as error:
        fail(str(error), failure_file=opt_ml("output", "message"))
    counts = " ".join(f"{name}={statistics.split(name).rows}" for name in SPLITS)
    print(f"host {cluster.current} ({cluster.rank + 1}/{cluster.size}) rows: {counts}", flush=True)


if __name__ == "__main__":
    main()
