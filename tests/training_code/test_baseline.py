"""baseline.py writes the train split's statistics and constraints in Model Monitor's format, and
data_quality.compare finds drift in exactly the features that moved."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

import data_quality
from dataset import load_schema


def run_baseline(run_script, opt_ml, splits):
    train = opt_ml / "processing" / "input" / "train"
    train.parent.mkdir(parents=True, exist_ok=True)
    train.symlink_to(splits / "train")
    result = run_script("baseline.py", opt_ml)
    assert result.returncode == 0, result.stderr
    folder = opt_ml / "processing" / "baseline"
    return (
        json.loads((folder / "statistics.json").read_text()),
        json.loads((folder / "constraints.json").read_text()),
    )


def test_statistics_describe_every_feature_of_the_train_split(run_script, opt_ml, splits):
    stats, rules = run_baseline(run_script, opt_ml, splits)
    # Preprocess writes part files (one per host and training host): the baseline covers them all.
    train = pd.concat(pd.read_csv(path) for path in sorted((splits / "train").glob("*.csv")))
    features = load_schema().features
    assert stats["dataset"]["item_count"] == len(train)
    # Model Monitor names the columns of a header-less CSV (what the endpoint captures) _c0, _c1...
    assert [f["name"] for f in stats["features"]] == [f"_c{i}" for i in range(len(features))]
    first = stats["features"][0]["numerical_statistics"]
    assert first["mean"] == train[features[0]].mean()
    assert first["min"] == train[features[0]].min() and first["max"] == train[features[0]].max()
    assert first["common"] == {"num_present": len(train), "num_missing": 0}
    assert sum(b["count"] for b in first["distribution"]["kll"]["buckets"]) == len(train)
    assert [f["name"] for f in rules["features"]] == [f["name"] for f in stats["features"]]
    assert rules["monitoring_config"]["distribution_constraints"]["comparison_threshold"] == 0.1
    assert all(f["completeness"] == 1.0 for f in rules["features"])


def test_the_baseline_is_reproducible(run_script, opt_ml, splits):
    first = run_baseline(run_script, opt_ml, splits)
    folder = opt_ml / "processing" / "baseline"
    before = (folder / "statistics.json").read_bytes()
    assert run_script("baseline.py", opt_ml).returncode == 0
    assert (folder / "statistics.json").read_bytes() == before
    assert first[0]["features"]


def test_missing_train_split_is_a_clear_error(run_in_process, opt_ml):
    result = run_in_process("baseline.py", opt_ml)
    assert result.returncode == 2
    assert "no split CSV found" in result.stderr and "Traceback" not in result.stderr


def _baseline(rows: int = 600, seed: int = 1):
    generator = np.random.default_rng(seed)
    matrix = generator.normal(10.0, 2.0, size=(rows, 4))
    stats = data_quality.statistics(matrix)
    return stats, data_quality.constraints(stats), generator


def test_shifted_features_and_only_they_violate():
    stats, rules, generator = _baseline()
    current = generator.normal(10.0, 2.0, size=(150, 4))
    current[:, 1] += 6.0  # three standard deviations
    current[:, 3] *= 2.5
    report, violations = data_quality.compare(stats, rules, current)
    assert [v["feature_name"] for v in violations] == ["_c1", "_c3"]
    assert {v["constraint_check_type"] for v in violations} == {"baseline_drift_check"}
    assert [r["drift"] for r in report] == [False, True, False, True]


def test_an_unshifted_sample_passes_even_when_small():
    stats, rules, generator = _baseline()
    for rows in (20, 100, 1000):
        _report, violations = data_quality.compare(
            stats, rules, generator.normal(10.0, 2.0, size=(rows, 4))
        )
        assert violations == [], rows


def test_missing_values_and_columns_violate():
    stats, rules, generator = _baseline()
    current = generator.normal(10.0, 2.0, size=(50, 3))
    current[0, 0] = np.nan
    _report, violations = data_quality.compare(stats, rules, current)
    kinds = {(v["feature_name"], v["constraint_check_type"]) for v in violations}
    assert kinds == {("_c0", "completeness_check"), ("_c3", "missing_column_check")}


def test_the_distance_is_the_two_sample_ks_statistic():
    from scipy.stats import ks_2samp

    generator = np.random.default_rng(3)
    baseline, current = generator.normal(size=500), generator.normal(0.5, size=200)
    expected = ks_2samp(baseline, current).statistic
    assert abs(data_quality.ks_distance(np.sort(baseline), current) - expected) < 1e-12
