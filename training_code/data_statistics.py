"""Statistics of the splits, kept as mergeable partial sums so that N hosts' parts add up exactly.

Each preprocessing host sees only its shard, so it writes its own partial statistics
(statistics/part-<host>.json): per split the row and positive counts, per feature count, mean, M2
(sum of squared deviations), min and max, and the SHA-256 of every part file it wrote. Train and
Evaluate combine all hosts' parts (Chan et al.'s pairwise update for mean and M2), so the class
balance, the feature scaling and the checks on them are the whole dataset's, never one host's.
The part-file digests also identify the data a checkpoint was trained on without any host having
to read the others' shards.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from contract import StepInputError
from split import SPLITS

MIN_ROWS = 20


@dataclass
class FeatureMoments:
    """count, mean, M2, min, max of one feature: enough to merge and to give mean and std."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = float("inf")
    maximum: float = float("-inf")

    @classmethod
    def of(cls, values: np.ndarray) -> FeatureMoments:
        if len(values) == 0:
            return cls()
        mean = float(np.mean(values))
        return cls(
            count=len(values),
            mean=mean,
            m2=float(np.sum((values - mean) ** 2)),
            minimum=float(np.min(values)),
            maximum=float(np.max(values)),
        )

    def merge(self, other: FeatureMoments) -> FeatureMoments:
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        count = self.count + other.count
        delta = other.mean - self.mean
        return FeatureMoments(
            count=count,
            mean=self.mean + delta * other.count / count,
            m2=self.m2 + other.m2 + delta * delta * self.count * other.count / count,
            minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum),
        )

    @property
    def std(self) -> float:
        return float(np.sqrt(self.m2 / self.count)) if self.count else 0.0

    def to_json(self) -> dict:
        return {
            "count": self.count,
            "mean": self.mean,
            "m2": self.m2,
            "min": self.minimum if self.count else None,
            "max": self.maximum if self.count else None,
        }

    @classmethod
    def from_json(cls, raw: dict) -> FeatureMoments:
        if not raw["count"]:
            return cls()
        return cls(raw["count"], raw["mean"], raw["m2"], raw["min"], raw["max"])


@dataclass
class SplitStatistics:
    """One split's rows, positives and feature moments."""

    rows: int = 0
    positives: int = 0
    features: dict[str, FeatureMoments] = field(default_factory=dict)

    def add(self, features: dict[str, np.ndarray], labels: np.ndarray) -> None:
        self.rows += len(labels)
        self.positives += int(np.sum(labels == 1))
        for name, values in features.items():
            self.features[name] = self.features.get(name, FeatureMoments()).merge(
                FeatureMoments.of(values)
            )

    def merge(self, other: SplitStatistics) -> SplitStatistics:
        names = list(dict.fromkeys([*self.features, *other.features]))
        empty = FeatureMoments()
        return SplitStatistics(
            rows=self.rows + other.rows,
            positives=self.positives + other.positives,
            features={
                n: self.features.get(n, empty).merge(other.features.get(n, empty)) for n in names
            },
        )

    @property
    def positive_rate(self) -> float:
        return self.positives / self.rows if self.rows else 0.0


@dataclass
class Statistics:
    """A host's partial statistics, or the combination of every host's."""

    features: tuple[str, ...]
    label: str
    splits: dict[str, SplitStatistics] = field(default_factory=dict)
    files: dict[str, dict] = field(default_factory=dict)  # "<split>/<part>" -> rows, sha256
    hosts: tuple[str, ...] = ()

    def split(self, name: str) -> SplitStatistics:
        return self.splits.setdefault(name, SplitStatistics())

    def to_json(self) -> dict:
        return {
            "schema": {"features": list(self.features), "label": self.label},
            "hosts": list(self.hosts),
            "splits": {
                name: {
                    "rows": s.rows,
                    "positives": s.positives,
                    "features": {n: m.to_json() for n, m in s.features.items()},
                }
                for name, s in sorted(self.splits.items())
            },
            "files": dict(sorted(self.files.items())),
        }

    @classmethod
    def from_json(cls, raw: dict) -> Statistics:
        splits = {
            name: SplitStatistics(
                rows=s["rows"],
                positives=s["positives"],
                features={n: FeatureMoments.from_json(m) for n, m in s["features"].items()},
            )
            for name, s in raw["splits"].items()
        }
        schema = raw["schema"]
        return cls(
            tuple(schema["features"]), schema["label"], splits, raw["files"], tuple(raw["hosts"])
        )

    def merge(self, other: Statistics, source: str) -> Statistics:
        if (other.features, other.label) != (self.features, self.label):
            raise StepInputError(
                f"{source}: written with another schema than the other hosts' statistics. Run "
                "Preprocess again so that every host uses the same training_code/schema.json."
            )
        clash = sorted(set(self.files) & set(other.files))
        if clash:
            raise StepInputError(
                f"{source}: part file '{clash[0]}' is also listed by another host; two hosts "
                "wrote the same output key. Each host must have a distinct name in SM_HOSTS."
            )
        empty = SplitStatistics()
        names = sorted(set(self.splits) | set(other.splits))
        return Statistics(
            self.features,
            self.label,
            {n: self.splits.get(n, empty).merge(other.splits.get(n, empty)) for n in names},
            {**self.files, **other.files},
            (*self.hosts, *other.hosts),
        )

    def data_digest(self, split_names: tuple[str, ...]) -> str:
        """Identifies the exact content of the named splits across all hosts' part files."""
        digest = hashlib.sha256()
        for key, info in sorted(self.files.items()):
            if key.split("/")[0] in split_names:
                digest.update(f"{key}={info['sha256']};".encode())
        return digest.hexdigest()


def statistics_name(host: str) -> str:
    return f"part-{host}.json"


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write(statistics: Statistics, folder: Path, host: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / statistics_name(host)
    path.write_text(json.dumps(statistics.to_json(), indent=1, sort_keys=True), encoding="utf-8")
    return path


def combine(folder: Path) -> Statistics:
    """Every host's statistics part under folder, merged; a clear error if there is none."""
    parts = sorted(folder.glob("part-*.json")) if folder.is_dir() else []
    if not parts:
        raise StepInputError(
            f"{folder}: no statistics part (part-<host>.json). Wire this input to the Preprocess "
            "step's 'statistics' output in the pipeline definition."
        )
    combined: Statistics | None = None
    for path in parts:
        try:
            part = Statistics.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise StepInputError(
                f"{path}: not a statistics part written by preprocess.py ({error}). Run "
                "Preprocess again."
            ) from error
        combined = part if combined is None else combined.merge(part, str(path))
    assert combined is not None
    return combined


def check_trainable(statistics: Statistics, source: str) -> None:
    """The whole dataset's checks, on the combined counts: enough rows, both classes in train,
    no empty split. One host's shard may hold a single class; only the total matters."""
    total = sum(statistics.split(name).rows for name in SPLITS)
    if total < MIN_ROWS:
        raise StepInputError(
            f"{source}: only {total} data rows; at least {MIN_ROWS} are needed to make train, "
            "validation and test splits. Add rows."
        )
    train = statistics.split("train")
    if train.positives in (0, train.rows):
        single = 1 if train.positives else 0
        raise StepInputError(
            f"{source}: label column '{statistics.label}' has a single class ({single}) in the "
            "training split. A binary classifier needs rows of both classes 0 and 1: add rows of "
            "the missing class."
        )
    for name in SPLITS:
        if statistics.split(name).rows == 0:
            raise StepInputError(
                f"{source}: the {name} split is empty ({total} rows in all). Add rows, or change "
                "--validation-fraction/--test-fraction."
            )
