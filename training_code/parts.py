"""Reading a split's part files as written by preprocess.py: one file at a time, checked against
the statistics, so a host holds only its shard and knows it is the data Preprocess wrote."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from contract import StepInputError
from data_statistics import Statistics, file_digest
from dataset import Schema


def part_files(directory: Path) -> list[Path]:
    """The split's CSV part files under directory (sorted); [] when this host's shard is empty."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*.csv") if p.is_file())


def check_written_by_preprocess(path: Path, split: str, statistics: Statistics) -> None:
    """The file must be one that Preprocess listed for this split, with the same content."""
    key = f"{split}/{path.name}"
    listed = statistics.files.get(key)
    if listed is None:
        raise StepInputError(
            f"{path}: not a part file that Preprocess wrote for the {split} split (its statistics "
            f"list {sum(k.startswith(split + '/') for k in statistics.files)} others). Wire the "
            f"'{split}' and 'statistics' inputs to the same Preprocess step."
        )
    if file_digest(path) != listed["sha256"]:
        raise StepInputError(
            f"{path}: its content differs from what Preprocess wrote (SHA-256 mismatch). The "
            "file was changed after Preprocess: run the pipeline again from Preprocess."
        )


def read_parts(
    directory: Path, split: str, schema: Schema, statistics: Statistics
) -> Iterator[tuple[Path, np.ndarray, np.ndarray]]:
    """(path, float32 features, int labels) for each part file of this host's shard."""
    for path in part_files(directory):
        check_written_by_preprocess(path, split, statistics)
        frame = pd.read_csv(path, dtype=np.float32)
        missing = [name for name in schema.columns if name not in frame.columns]
        if missing:
            raise StepInputError(
                f"{path}: column '{missing[0]}' is missing; the part file does not match "
                "training_code/schema.json. Run the pipeline again from Preprocess."
            )
        features = frame[list(schema.features)].to_numpy(dtype=np.float32)
        yield path, features, frame[schema.label].to_numpy(dtype=np.int64)


def load_shard(
    directory: Path, split: str, schema: Schema, statistics: Statistics
) -> tuple[np.ndarray, np.ndarray]:
    """This host's whole shard of a split, as float32 (half the memory of float64; XGBoost
    bins the values anyway)."""
    features, labels = [], []
    for _path, x, y in read_parts(directory, split, schema, statistics):
        features.append(x)
        labels.append(y)
    if not features:
        return np.empty((0, len(schema.features)), dtype=np.float32), np.empty(0, dtype=np.int64)
    return np.concatenate(features), np.concatenate(labels)
