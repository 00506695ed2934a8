"""Train reads the SageMaker training contract, checkpoints, resumes, and is deterministic (one
host; several hosts: test_multi_host.py)."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
import train

from contract import StepInputError
from dataset import load_schema


def channels_from(opt_ml, splits):
    channels = opt_ml / "input" / "data"
    channels.mkdir(parents=True)
    for name in ("train", "validation", "statistics"):
        (channels / name).symlink_to(splits / name)


def run_train(splits, tmp_path, name, params, **kwargs):
    """train.train on the preprocessed sample; returns (metrics, model folder)."""
    model = tmp_path / name / "model"
    metrics = train.train(
        splits / "train",
        splits / "validation",
        splits / "statistics",
        model,
        kwargs.pop("checkpoints", tmp_path / name / "checkpoints"),
        params,
        load_schema(),
        **kwargs,
    )
    return metrics, model


def probabilities(model_dir, splits):
    test = pd.read_csv(next((splits / "test").glob("*.csv")))
    features = test[list(load_schema().features)].to_numpy(dtype=np.float32)
    return joblib.load(model_dir / "model.joblib").predict_proba(features)[:, 1]


def test_writes_the_model_and_metrics_that_metric_definitions_scrape(run_script, opt_ml, splits):
    channels_from(opt_ml, splits)
    config = opt_ml / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(
        json.dumps({"max_iter": "60", "checkpoint_every": "20"})
    )
    result = run_script("train.py", opt_ml)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (opt_ml / "model").iterdir()) == [
        "model.joblib",
        "model.ubj",
        "model_metadata.json",
    ]
    assert "validation:accuracy=" in result.stdout and "validation:auc=" in result.stdout
    accuracy = float(result.stdout.split("validation:accuracy=")[1].split(";")[0])
    assert accuracy > 0.9
    assert "iteration 60/60 checkpointed" in result.stdout
    assert (opt_ml / "checkpoints" / "checkpoint.ubj").exists()
    metadata = json.loads((opt_ml / "model" / "model_metadata.json").read_text())
    assert metadata["features"] == list(load_schema().features)
    assert metadata["hyperparameters"]["max_iter"] == 60
    assert metadata["framework"] == "xgboost" and metadata["training_hosts"] == 1
    statistics = json.loads((splits / "statistics" / "part-algo-1.json").read_text())
    assert metadata["training_statistics"]["rows"] == statistics["splits"]["train"]["rows"]


def test_sm_channel_variables_win_over_the_default_paths(run_script, opt_ml, splits, monkeypatch):
    for name in ("train", "validation", "statistics"):
        monkeypatch.setenv(f"SM_CHANNEL_{name.upper()}", str(splits / name))
    monkeypatch.setenv("SM_MODEL_DIR", str(opt_ml / "elsewhere"))
    result = run_script("train.py", opt_ml)
    assert result.returncode == 0, result.stderr
    assert (opt_ml / "elsewhere" / "model.joblib").exists()


def test_without_the_statistics_channel_the_error_says_how_to_wire_it(
    run_in_process, opt_ml, splits
):
    channels = opt_ml / "input" / "data"
    channels.mkdir(parents=True)
    for name in ("train", "validation"):
        (channels / name).symlink_to(splits / name)
    result = run_in_process("train.py", opt_ml)
    assert result.returncode == 2
    assert "no statistics part" in result.stderr and "'statistics' output" in result.stderr


def test_a_part_file_changed_after_preprocess_is_refused(run_in_process, opt_ml, splits):
    channels_from(opt_ml, splits)
    part = next((splits / "train").glob("*.csv"))
    lines = part.read_text().splitlines()  # drop the last row: the digest no longer matches
    part.write_text("\n".join(lines[:-1]) + "\n")
    result = run_in_process("train.py", opt_ml)
    assert result.returncode == 2
    assert "differs from what Preprocess wrote" in result.stderr


def test_unknown_hyperparameter_is_refused(run_in_process, opt_ml, splits):
    config = opt_ml / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(json.dumps({"max_depth": "3"}))
    result = run_in_process("train.py", opt_ml)
    assert result.returncode == 2
    assert "unknown hyperparameter 'max_depth'" in result.stderr
    assert "unknown hyperparameter" in (opt_ml / "output" / "failure").read_text()


def test_non_numeric_hyperparameter_is_refused():
    with pytest.raises(StepInputError, match="'learning_rate' must be a number"):
        train.Hyperparameters.from_strings({"learning_rate": "fast"})


def test_a_resumed_run_equals_an_uninterrupted_one(splits, tmp_path, capsys):
    """A Spot interruption after a checkpoint must not change the model."""
    params = train.Hyperparameters(max_iter=40, checkpoint_every=10)
    _, straight = run_train(splits, tmp_path, "straight", params)
    checkpoints = tmp_path / "interrupted-checkpoints"
    run_train(
        splits, tmp_path, "partial", params, checkpoints=checkpoints, stop_after_iterations=20
    )
    _, resumed = run_train(splits, tmp_path, "resumed", params, checkpoints=checkpoints)
    assert "resuming from checkpoint at iteration 20" in capsys.readouterr().out
    assert (straight / "model.ubj").read_bytes() == (resumed / "model.ubj").read_bytes()
    np.testing.assert_array_equal(probabilities(straight, splits), probabilities(resumed, splits))


def test_a_checkpoint_from_other_data_is_not_resumed(splits, tmp_path, capsys, run_script, opt_ml):
    params = train.Hyperparameters(max_iter=20, checkpoint_every=10)
    checkpoints = tmp_path / "shared-checkpoints"
    run_train(splits, tmp_path, "first", params, checkpoints=checkpoints, stop_after_iterations=10)
    other = tmp_path / "other-processing"
    result = run_script("preprocess.py", opt_ml, "--output-dir", str(other), "--seed", "7")
    assert result.returncode == 0, result.stderr
    _, model = run_train(other, tmp_path, "other", params, checkpoints=checkpoints)
    _, fresh = run_train(other, tmp_path, "fresh", params)
    assert "checkpoint was made from other data or settings" in capsys.readouterr().out
    assert (model / "model.ubj").read_bytes() == (fresh / "model.ubj").read_bytes()


def test_a_checkpoint_from_other_hyperparameters_is_not_resumed(splits, tmp_path, capsys):
    checkpoints = tmp_path / "shared-checkpoints"
    base = train.Hyperparameters(max_iter=10, checkpoint_every=10)
    run_train(splits, tmp_path, "a", base, checkpoints=checkpoints)
    faster = train.Hyperparameters(max_iter=10, checkpoint_every=10, learning_rate=0.2)
    _, model = run_train(splits, tmp_path, "b", faster, checkpoints=checkpoints)
    _, fresh = run_train(splits, tmp_path, "c", faster)
    assert "checkpoint was made from other data or settings" in capsys.readouterr().out
    assert (model / "model.ubj").read_bytes() == (fresh / "model.ubj").read_bytes()


def test_training_is_deterministic(splits, tmp_path):
    params = train.Hyperparameters(max_iter=30, checkpoint_every=30)
    first, a = run_train(splits, tmp_path, "a", params)
    second, b = run_train(splits, tmp_path, "b", params)
    assert first == second
    assert (a / "model.ubj").read_bytes() == (b / "model.ubj").read_bytes()
