"""Train reads the SageMaker training contract, checkpoints, resumes, and is deterministic."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pytest
import train

from contract import StepInputError
from dataset import load_schema, load_split


def test_writes_the_model_and_metrics_that_metric_definitions_scrape(run_script, opt_ml, splits):
    channels = opt_ml / "input" / "data"
    channels.mkdir(parents=True)
    for name in ("train", "validation"):
        (channels / name).symlink_to(splits / name)
    config = opt_ml / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(
        json.dumps({"max_iter": "60", "checkpoint_every": "20"})
    )
    result = run_script("train.py", opt_ml)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (opt_ml / "model").iterdir()) == [
        "model.joblib",
        "model_metadata.json",
    ]
    assert "validation:accuracy=" in result.stdout and "validation:auc=" in result.stdout
    accuracy = float(result.stdout.split("validation:accuracy=")[1].split(";")[0])
    assert accuracy > 0.9
    assert "iteration 60/60 checkpointed" in result.stdout
    assert (opt_ml / "checkpoints" / "checkpoint.joblib").exists()
    metadata = json.loads((opt_ml / "model" / "model_metadata.json").read_text())
    assert metadata["features"] == list(load_schema().features)
    assert metadata["hyperparameters"]["max_iter"] == 60


def test_sm_channel_variables_win_over_the_default_paths(run_script, opt_ml, splits, monkeypatch):
    monkeypatch.setenv("SM_CHANNEL_TRAIN", str(splits / "train"))
    monkeypatch.setenv("SM_CHANNEL_VALIDATION", str(splits / "validation"))
    monkeypatch.setenv("SM_MODEL_DIR", str(opt_ml / "elsewhere"))
    result = run_script("train.py", opt_ml)
    assert result.returncode == 0, result.stderr
    assert (opt_ml / "elsewhere" / "model.joblib").exists()


def test_unknown_hyperparameter_is_refused(run_script, opt_ml, splits):
    config = opt_ml / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(json.dumps({"max_depth": "3"}))
    result = run_script("train.py", opt_ml)
    assert result.returncode == 2
    assert "unknown hyperparameter 'max_depth'" in result.stderr
    assert "unknown hyperparameter" in (opt_ml / "output" / "failure").read_text()


def test_non_numeric_hyperparameter_is_refused():
    with pytest.raises(StepInputError, match="'learning_rate' must be a number"):
        train.Hyperparameters.from_strings({"learning_rate": "fast"})


def test_a_resumed_run_equals_an_uninterrupted_one(splits, tmp_path):
    """A Spot interruption after a checkpoint must not change the model."""
    schema = load_schema()
    x, y = load_split(splits / "train", schema)
    test_x, _ = load_split(splits / "test", schema)
    params = train.Hyperparameters(max_iter=40, checkpoint_every=10)
    straight = train.fit(x, y, params, tmp_path / "straight")
    interrupted = tmp_path / "interrupted"
    partial = train.fit(x, y, params, interrupted, stop_after_iterations=20)
    assert partial.n_iter_ == 20
    resumed = train.fit(x, y, params, interrupted)
    assert resumed.n_iter_ == 40
    np.testing.assert_array_equal(straight.predict_proba(test_x), resumed.predict_proba(test_x))


def test_a_checkpoint_from_other_data_is_not_resumed(splits, tmp_path):
    schema = load_schema()
    x, y = load_split(splits / "train", schema)
    params = train.Hyperparameters(max_iter=20, checkpoint_every=10)
    train.fit(x, y, params, tmp_path, stop_after_iterations=10)
    other = train.fit(x[:-5], y[:-5], params, tmp_path)
    straight = train.fit(x[:-5], y[:-5], params, tmp_path / "fresh")
    assert other.n_iter_ == 20
    np.testing.assert_array_equal(other.predict_proba(x), straight.predict_proba(x))


def test_a_checkpoint_from_other_hyperparameters_is_not_resumed(splits, tmp_path):
    schema = load_schema()
    x, y = load_split(splits / "train", schema)
    train.fit(x, y, train.Hyperparameters(max_iter=10, checkpoint_every=10), tmp_path)
    model = train.fit(
        x, y, train.Hyperparameters(max_iter=10, checkpoint_every=10, learning_rate=0.2), tmp_path
    )
    saved = joblib.load(tmp_path / "checkpoint.joblib")
    assert model.learning_rate == 0.2 and saved["model"].learning_rate == 0.2


def test_training_is_deterministic(splits, tmp_path):
    schema = load_schema()
    params = train.Hyperparameters(max_iter=30, checkpoint_every=30)
    first = train.train(
        splits / "train", splits / "validation", tmp_path / "a", tmp_path / "ca", params, schema
    )
    second = train.train(
        splits / "train", splits / "validation", tmp_path / "b", tmp_path / "cb", params, schema
    )
    assert first == second
