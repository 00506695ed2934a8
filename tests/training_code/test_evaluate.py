"""evaluate.json follows SageMaker's model-quality format, is reproducible, and compares the new
model with the champion on the same test set."""

from __future__ import annotations

import json

import evaluate
import numpy as np

METRICS = {"accuracy", "precision", "recall", "f1", "auc"}


def run_evaluate(run_script, opt_ml, pack_model, model_dir, champion=None):
    pack_model(model_dir, opt_ml / "processing" / "model" / "model.tar.gz")
    champion_dir = opt_ml / "processing" / "champion"
    champion_dir.mkdir(parents=True, exist_ok=True)
    if champion is None:
        (champion_dir / "NO_CHAMPION").write_text("")
    else:
        pack_model(champion, champion_dir / "model.tar.gz")
    result = run_script("evaluate.py", opt_ml)
    assert result.returncode == 0, result.stderr
    return json.loads((opt_ml / "processing" / "evaluation" / "evaluation.json").read_text())


def test_report_has_every_binary_classification_metric(
    run_script, opt_ml, pack_model, trained_model
):
    report = run_evaluate(run_script, opt_ml, pack_model, trained_model)
    metrics = report["binary_classification_metrics"]
    assert set(metrics) == METRICS
    for name, entry in metrics.items():
        assert set(entry) == {"value", "standard_deviation"}, name
        assert 0.0 <= entry["value"] <= 1.0 and 0.0 <= entry["standard_deviation"] < 0.2
    assert metrics["accuracy"]["value"] > 0.9
    assert report["champion_comparison"] == {"has_champion": False, "accuracy_drop": 0.0}
    assert report["test_rows"] == 86


def test_the_report_is_reproducible(run_script, opt_ml, pack_model, trained_model):
    first = run_evaluate(run_script, opt_ml, pack_model, trained_model)
    second = run_evaluate(run_script, opt_ml, pack_model, trained_model)
    assert first == second


def test_champion_comparison_on_the_same_test_set(run_script, opt_ml, pack_model, trained_model):
    report = run_evaluate(run_script, opt_ml, pack_model, trained_model, champion=trained_model)
    comparison = report["champion_comparison"]
    assert comparison["has_champion"] is True
    assert (
        comparison["champion_accuracy"]
        == report["binary_classification_metrics"]["accuracy"]["value"]
    )
    assert comparison["accuracy_drop"] == 0.0


def test_missing_model_archive_is_a_clear_error(run_in_process, opt_ml, splits):
    result = run_in_process("evaluate.py", opt_ml)
    assert result.returncode == 2
    assert "no model.tar.gz found" in result.stderr and "S3ModelArtifacts" in result.stderr


def test_metric_values_match_scikit_learn():
    from sklearn import metrics as reference

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 500)
    scores = np.clip(labels * 0.3 + rng.random(500) * 0.7, 0, 1)
    ours = evaluate.metric_values(labels, scores)
    predicted = (scores >= 0.5).astype(int)
    assert np.isclose(ours["accuracy"], reference.accuracy_score(labels, predicted))
    assert np.isclose(ours["precision"], reference.precision_score(labels, predicted))
    assert np.isclose(ours["recall"], reference.recall_score(labels, predicted))
    assert np.isclose(ours["f1"], reference.f1_score(labels, predicted))
    assert np.isclose(ours["auc"], reference.roc_auc_score(labels, scores))


def test_a_missing_test_part_is_refused(run_in_process, opt_ml, pack_model, trained_model):
    """Evaluate must see every test part Preprocess wrote (a sharded test input would not)."""
    import pytest

    other = opt_ml / "processing" / "statistics" / "part-algo-9.json"
    statistics = json.loads((opt_ml / "processing" / "statistics" / "part-algo-1.json").read_text())
    statistics["hosts"] = ["algo-9"]
    statistics["files"] = {"test/part-algo-9-0000.csv": {"rows": 3, "sha256": "0" * 64}}
    other.write_text(json.dumps(statistics))
    with pytest.raises(AssertionError):
        run_evaluate(run_in_process, opt_ml, pack_model, trained_model)
    result = run_in_process("evaluate.py", opt_ml)
    assert result.returncode == 2
    assert "1 of the 2 test part files Preprocess wrote are missing" in result.stderr
    assert "test/part-algo-9-0000.csv" in result.stderr
