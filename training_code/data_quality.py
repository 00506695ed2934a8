"""Data-quality baselines and drift checks in SageMaker Model Monitor's file formats.

Why our own code and not Model Monitor's analyzer container: the baseline is computed inside the
training pipeline, which also runs on a laptop with no Docker (the local runner executes every
Processing step as a process). The files are the ones Model Monitor reads and writes
(statistics.json, constraints.json, constraint_violations.json), so the scheduled Model Monitor
job on AWS takes our baseline as it is, and `make monitor ENV=local` applies the same checks here.

Features are named as Model Monitor names the columns of a header-less CSV (`_c0`, `_c1`, ...):
that is what an endpoint captures (text/csv rows, features in schema order), so the monitoring job
on AWS finds every baseline feature in the captured data. `feature_names()` maps them back to the
schema's names for people.

Drift ("Robust" comparison): the distance between the baseline's and the current distribution is
the two-sample Kolmogorov-Smirnov statistic (the largest gap between the two CDFs, in [0, 1]). A
feature drifts when that distance is above `comparison_threshold` AND above what sampling noise
explains at `SIGNIFICANCE` for these sample sizes: a hundred captured rows vary by chance far more
than 0.1, and a monitor that cries wolf gets switched off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import kstwobign

SKETCH_POINTS = 2048  # quantiles kept per feature (Model Monitor's KLL sketch uses k=2048)
HISTOGRAM_BUCKETS = 10
COMPARISON_THRESHOLD = 0.1  # Model Monitor's default distribution comparison threshold
SIGNIFICANCE = 0.001  # chance of flagging an unshifted feature, per feature and run
DRIFT_CHECK = "baseline_drift_check"


def column_name(index: int) -> str:
    """Model Monitor's name of the index-th column of a header-less CSV."""
    return f"_c{index}"


def feature_names(features: Sequence[str]) -> dict[str, str]:
    """`_c<i>` -> the schema's feature name (for messages people read)."""
    return {column_name(i): name for i, name in enumerate(features)}


def _quantiles(values: np.ndarray) -> list[float]:
    """At most SKETCH_POINTS evenly spaced quantiles: the distribution, in bounded size."""
    ordered = np.sort(values)
    if len(ordered) > SKETCH_POINTS:
        ordered = np.quantile(ordered, np.linspace(0.0, 1.0, SKETCH_POINTS))
    return [float(v) for v in ordered]


def _histogram(values: np.ndarray) -> list[dict[str, float]]:
    counts, edges = np.histogram(values, bins=HISTOGRAM_BUCKETS)
    return [
        {"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": float(c)}
        for i, c in enumerate(counts)
    ]


def feature_statistics(name: str, values: np.ndarray) -> dict[str, Any]:
    present = values[~np.isnan(values)]
    numbers = {
        "common": {"num_present": len(present), "num_missing": int(len(values) - len(present))},
        "mean": float(np.mean(present)) if len(present) else 0.0,
        "sum": float(np.sum(present)),
        "std_dev": float(np.std(present)) if len(present) else 0.0,
        "min": float(np.min(present)) if len(present) else 0.0,
        "max": float(np.max(present)) if len(present) else 0.0,
        "distribution": {
            "kll": {
                "buckets": _histogram(present) if len(present) else [],
                "sketch": {
                    "parameters": {"c": 0.64, "k": float(SKETCH_POINTS)},
                    "data": [_quantiles(present)],
                },
            }
        },
    }
    return {"name": name, "inferred_type": "Fractional", "numerical_statistics": numbers}


def statistics(matrix: np.ndarray) -> dict[str, Any]:
    """statistics.json of a (rows x features) float matrix, columns named `_c<i>`."""
    return {
        "version": 0.0,
        "dataset": {"item_count": int(matrix.shape[0])},
        "features": [
            feature_statistics(column_name(i), matrix[:, i]) for i in range(matrix.shape[1])
        ],
    }


def constraints(stats: dict[str, Any]) -> dict[str, Any]:
    """constraints.json suggested from statistics, as Model Monitor's baselining job suggests them:
    complete, numeric, non-negative where the baseline never was negative, drift checked."""
    features = []
    for feature in stats["features"]:
        numbers = feature["numerical_statistics"]
        common = numbers["common"]
        total = common["num_present"] + common["num_missing"]
        features.append(
            {
                "name": feature["name"],
                "inferred_type": feature["inferred_type"],
                "completeness": round(common["num_present"] / total, 6) if total else 1.0,
                "num_constraints": {"is_non_negative": bool(numbers["min"] >= 0)},
            }
        )
    return {
        "version": 0.0,
        "features": features,
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": {
                "perform_comparison": "Enabled",
                "comparison_threshold": COMPARISON_THRESHOLD,
                "comparison_method": "Robust",
            },
        },
    }


def ks_distance(baseline_quantiles: Sequence[float], current: np.ndarray) -> float:
    """Largest gap between the baseline's CDF (from its quantiles) and the current sample's CDF."""
    reference = np.asarray(baseline_quantiles, dtype=np.float64)
    sample = np.sort(current)
    if not len(reference) or not len(sample):
        return 0.0
    points = np.concatenate([reference, sample])
    reference_cdf = np.searchsorted(reference, points, side="right") / len(reference)
    sample_cdf = np.searchsorted(sample, points, side="right") / len(sample)
    return float(np.max(np.abs(reference_cdf - sample_cdf)))


def noise_distance(baseline_count: int, current_count: int) -> float:
    """The KS distance sampling noise exceeds only with probability SIGNIFICANCE."""
    if baseline_count <= 0 or current_count <= 0:
        return 1.0
    scale = math.sqrt((baseline_count + current_count) / (baseline_count * current_count))
    return float(kstwobign.isf(SIGNIFICANCE) * scale)


def _violation(feature: str, check: str, description: str) -> dict[str, str]:
    return {"feature_name": feature, "constraint_check_type": check, "description": description}


def compare(
    stats: dict[str, Any], rules: dict[str, Any], matrix: np.ndarray
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Check a (rows x columns) float matrix (NaN = missing or not a number) against a baseline.

    Returns (per-feature drift report, violations in constraint_violations.json's format)."""
    config = rules.get("monitoring_config", {})
    distribution = config.get("distribution_constraints", {})
    threshold = float(distribution.get("comparison_threshold", COMPARISON_THRESHOLD))
    compare_distributions = distribution.get("perform_comparison", "Enabled") == "Enabled"
    baseline_count = int(stats["dataset"]["item_count"])
    expected = [feature["name"] for feature in stats["features"]]
    violations: list[dict[str, str]] = []
    if matrix.shape[1] > len(expected):
        violations.append(
            _violation(
                column_name(len(expected)),
                "extra_column_check",
                f"the data has {matrix.shape[1]} columns; the baseline has {len(expected)}.",
            )
        )
    constraint_of = {feature["name"]: feature for feature in rules.get("features", [])}
    report = []
    for index, feature in enumerate(stats["features"]):
        name = feature["name"]
        if index >= matrix.shape[1]:
            violations.append(
                _violation(name, "missing_column_check", "the column is missing from the data.")
            )
            continue
        values = matrix[:, index]
        present = values[~np.isnan(values)]
        rule = constraint_of.get(name, {})
        completeness = len(present) / len(values) if len(values) else 1.0
        if completeness < float(rule.get("completeness", 1.0)):
            violations.append(
                _violation(
                    name,
                    "completeness_check",
                    f"completeness {completeness:.4f} is below the baseline's "
                    f"{rule.get('completeness')} (missing or non-numeric values).",
                )
            )
        if (rule.get("num_constraints") or {}).get("is_non_negative") and np.any(present < 0):
            violations.append(
                _violation(name, "data_type_check", "negative values in a never-negative feature.")
            )
        quantiles = feature["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"][0]
        distance = ks_distance(quantiles, present)
        noise = noise_distance(baseline_count, len(present))
        drifted = compare_distributions and distance > threshold and distance > noise
        report.append(
            {
                "feature": name,
                "distance": round(distance, 6),
                "threshold": threshold,
                "noise": round(noise, 6),
                "baseline_mean": feature["numerical_statistics"]["mean"],
                "current_mean": float(np.mean(present)) if len(present) else None,
                "rows": len(present),
                "drift": bool(drifted),
            }
        )
        if drifted:
            violations.append(
                _violation(
                    name,
                    DRIFT_CHECK,
                    f"baseline drift distance {distance:.4f} exceeds the threshold {threshold} "
                    f"(and the {noise:.4f} sampling noise allows for {len(present)} rows).",
                )
            )
    return report, violations
