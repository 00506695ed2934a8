"""Evaluate: score the new model (and the current champion) on the held-out test split.

Writes evaluation.json in SageMaker's model-quality format (binary_classification_metrics, each
metric {value, standard_deviation}); the registry shows it as the package's ModelMetrics and the
pipeline's QualityGate reads it through a PropertyFile. The standard deviations are bootstrap
estimates (seeded), so the same model and data give byte-identical reports. It runs on one host
and reads every test part file that the Preprocess hosts wrote, one file at a time (the combined
statistics say which files there must be), so the report covers the whole test split.
"""

from __future__ import annotations

import argparse
import tarfile
import tempfile
from pathlib import Path

import joblib
import numpy as np
from scipy.stats import rankdata

import data_statistics
from contract import StepInputError, fail, opt_ml, write_json_atomically
from dataset import load_schema
from parts import read_parts

NO_CHAMPION_MARKER = "NO_CHAMPION"
METRICS = ("accuracy", "precision", "recall", "f1", "auc")


def metric_values(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """The five metrics from confusion counts and ranks: numpy only, because the bootstrap below
    calls this hundreds of times and scikit-learn's input checks would dominate the run time."""
    predictions = probabilities >= 0.5
    positives = labels == 1
    true_positive = float(np.sum(predictions & positives))
    predicted_positive = float(np.sum(predictions))
    actual_positive = float(np.sum(positives))
    precision = true_positive / predicted_positive if predicted_positive else 0.0
    recall = true_positive / actual_positive if actual_positive else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": float(np.mean(predictions == positives)),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "auc": roc_auc(positives, probabilities),
    }


def roc_auc(positives: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve as the Mann-Whitney U statistic (ties count one half)."""
    n_positive = int(np.sum(positives))
    n_negative = len(positives) - n_positive
    if n_positive == 0 or n_negative == 0:
        return 0.5
    ranks = rankdata(scores)
    rank_sum = float(np.sum(ranks[positives]))
    return (rank_sum - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)


def bootstrap_std(
    labels: np.ndarray, probabilities: np.ndarray, rounds: int = 200, seed: int = 7
) -> dict[str, float]:
    """Standard deviation of each metric over seeded bootstrap resamples of the test set."""
    generator = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {name: [] for name in METRICS}
    size = len(labels)
    for _ in range(rounds):
        index = generator.integers(0, size, size)
        for name, value in metric_values(labels[index], probabilities[index]).items():
            samples[name].append(value)
    return {name: float(np.std(values)) for name, values in samples.items()}


def quality_report(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, dict[str, float]]:
    values = metric_values(labels, probabilities)
    spread = bootstrap_std(labels, probabilities)
    return {
        name: {"value": round(values[name], 6), "standard_deviation": round(spread[name], 6)}
        for name in METRICS
    }


def load_model_archive(archive: Path):
    """Unpack a model.tar.gz as SageMaker would and load model.joblib from it."""
    with tempfile.TemporaryDirectory() as scratch, tarfile.open(archive) as bundle:
        bundle.extractall(scratch, filter="data")
        model_file = Path(scratch) / "model.joblib"
        if not model_file.exists():
            raise StepInputError(
                f"{archive}: no model.joblib inside. Point the input at a model.tar.gz written "
                "by train.py."
            )
        return joblib.load(model_file)


def find_champion(champion_dir: Path) -> Path | None:
    """The champion's model.tar.gz, or None when the folder only holds the NO_CHAMPION marker."""
    if not champion_dir.is_dir():
        return None
    archives = sorted(champion_dir.rglob("model.tar.gz"))
    return archives[0] if archives else None


def evaluate(
    model_archive: Path, test_dir: Path, champion_dir: Path | None, statistics_dir: Path
) -> dict:
    """Score the model (and the champion) on every test part file, one file at a time, and check
    that they are all there: the combined statistics list each host's test parts."""
    schema = load_schema()
    statistics = data_statistics.combine(statistics_dir)
    model = load_model_archive(model_archive)
    champion_archive = find_champion(champion_dir) if champion_dir else None
    champion = load_model_archive(champion_archive) if champion_archive is not None else None
    labels, challenger, defender, seen = [], [], [], set()
    for path, features, truth in read_parts(test_dir, "test", schema, statistics):
        seen.add(f"test/{path.name}")
        labels.append(truth)
        challenger.append(model.predict_proba(features)[:, 1])
        if champion is not None:
            defender.append(champion.predict_proba(features)[:, 1])
    check_every_part(seen, statistics, test_dir)
    if not labels:
        raise StepInputError(
            f"{test_dir}: the test split has no rows (Preprocess listed no test part). Add rows to "
            "the raw data or lower --validation-fraction/--test-fraction."
        )
    truth = np.concatenate(labels)
    report = {"binary_classification_metrics": quality_report(truth, np.concatenate(challenger))}
    challenger_accuracy = report["binary_classification_metrics"]["accuracy"]["value"]
    comparison = {"has_champion": champion is not None, "accuracy_drop": 0.0}
    if champion is not None:
        champion_metrics = metric_values(truth, np.concatenate(defender))
        comparison["champion_accuracy"] = round(champion_metrics["accuracy"], 6)
        comparison["accuracy_drop"] = round(champion_metrics["accuracy"] - challenger_accuracy, 6)
    report["champion_comparison"] = comparison
    report["test_rows"] = len(truth)
    return report


def check_every_part(seen: set[str], statistics, test_dir: Path) -> None:
    expected = {key for key in statistics.files if key.startswith("test/")}
    missing = sorted(expected - seen)
    if missing:
        raise StepInputError(
            f"{test_dir}: {len(missing)} of the {len(expected)} test part files Preprocess wrote "
            f"are missing (first: {missing[0]}). Give Evaluate the whole test output "
            "(FullyReplicated), not a shard."
        )


def find_model_archive(model_dir: Path) -> Path:
    archives = sorted(model_dir.rglob("model.tar.gz"))
    if not archives:
        raise StepInputError(
            f"{model_dir}: no model.tar.gz found. Wire the 'model' input to the Train step's "
            "ModelArtifacts.S3ModelArtifacts."
        )
    return archives[0]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    processing = opt_ml("processing")
    parser.add_argument("--model-dir", type=Path, default=processing / "model")
    parser.add_argument("--test-dir", type=Path, default=processing / "test")
    parser.add_argument("--champion-dir", type=Path, default=processing / "champion")
    parser.add_argument("--statistics-dir", type=Path, default=processing / "statistics")
    parser.add_argument("--output-dir", type=Path, default=processing / "evaluation")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        report = evaluate(
            find_model_archive(args.model_dir),
            args.test_dir,
            args.champion_dir,
            args.statistics_dir,
        )
    except StepInputError as error:
        fail(str(error), failure_file=opt_ml("output", "message"))
    write_json_atomically(args.output_dir / "evaluation.json", report)
    metrics = report["binary_classification_metrics"]
    print(" ".join(f"test:{name}={metrics[name]['value']:.6f};" for name in METRICS), flush=True)
    print(f"champion_comparison: {report['champion_comparison']}", flush=True)


if __name__ == "__main__":
    main()
