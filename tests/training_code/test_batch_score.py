"""batch_score.py: the champion scores every input row, in order, ids passed through, with the
model package ARN in the output's metadata; bad input is one clear line."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest

from dataset import load_schema

ARN = "arn:aws:sagemaker:us-east-1:000000000000:model-package/sagemaker-gitops-local/3"


@pytest.fixture
def champion(opt_ml, pack_model, trained_model):
    folder = opt_ml / "processing" / "champion"
    pack_model(trained_model, folder / "model.tar.gz")
    (folder / "champion.json").write_text(
        json.dumps({"ModelPackageArn": ARN, "ModelPackageVersion": 3})
    )
    return folder


def write_input(opt_ml, frame, name="part-1.csv"):
    folder = opt_ml / "batch-input"
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / name, index=False)
    return folder / name


def score(run_script, opt_ml, *args):
    """The job as SageMaker runs it, with the batch input in its own folder (the fixtures that
    train the champion use the default input folder for the raw data)."""
    return run_script("batch_score.py", opt_ml, "--input-dir", str(opt_ml / "batch-input"), *args)


def batch_frame(sample_frame, rows):
    schema = load_schema()
    frame = sample_frame[list(schema.features)].head(rows).copy()
    frame.insert(0, "customer_id", [f"id-{i:05d}" for i in range(rows)][::-1])
    frame["note"] = "x"
    return frame


def test_every_row_is_scored_by_the_champion_in_order(
    run_script, opt_ml, champion, trained_model, sample_frame
):
    frame = batch_frame(sample_frame, 300)
    write_input(opt_ml, frame)
    write_input(opt_ml, frame.head(7), name="later/part-2.csv")
    result = score(run_script, opt_ml, "--date", "2026-11-29")
    assert result.returncode == 0, result.stderr
    out = opt_ml / "processing" / "output" / "2026-11-29"
    scored = pd.read_csv(out / "part-1.csv", dtype={"customer_id": str})
    assert list(scored["customer_id"]) == list(frame["customer_id"])
    assert list(scored.columns) == [*frame.columns, "prediction", "probability"]
    model = joblib.load(trained_model / "model.joblib")
    expected = model.predict_proba(frame[list(load_schema().features)].to_numpy())[:, 1]
    assert np.allclose(scored["probability"], np.round(expected, 6))
    assert list(scored["prediction"]) == list((expected >= 0.5).astype(int))
    metadata = json.loads((out / "_metadata.json").read_text())
    assert metadata["model_package_arn"] == ARN and metadata["model_package_version"] == 3
    assert metadata["rows"] == 307
    assert {f["input"]: f["rows"] for f in metadata["files"]} == {
        "part-1.csv": 300,
        "later/part-2.csv": 7,
    }
    assert len(pd.read_csv(out / "later" / "part-2.csv")) == 7


def test_no_champion_is_a_clear_error(run_in_process, opt_ml, sample_frame):
    (opt_ml / "processing" / "champion").mkdir(parents=True)
    (opt_ml / "processing" / "champion" / "NO_CHAMPION").write_text("")
    write_input(opt_ml, batch_frame(sample_frame, 5))
    result = score(run_in_process, opt_ml)
    assert result.returncode == 2
    assert "Approve a model package first" in result.stderr and "Traceback" not in result.stderr


def test_a_non_numeric_feature_names_its_row_and_column(
    run_in_process, opt_ml, champion, sample_frame
):
    frame = batch_frame(sample_frame, 5).astype({"mean_area": object})
    frame.loc[3, "mean_area"] = "big"
    write_input(opt_ml, frame)
    result = score(run_in_process, opt_ml)
    assert result.returncode == 2
    assert "data row 4, column 'mean_area' holds 'big'" in result.stderr
    assert not (opt_ml / "processing" / "output").exists() or not list(
        (opt_ml / "processing" / "output").rglob("*.csv")
    )


def test_a_missing_feature_column_is_named(run_in_process, opt_ml, champion, sample_frame):
    write_input(opt_ml, batch_frame(sample_frame, 5).drop(columns=["worst_area"]))
    result = score(run_in_process, opt_ml)
    assert result.returncode == 2 and "missing feature column 'worst_area'" in result.stderr


def test_a_bad_date_is_refused(run_in_process, opt_ml, champion, sample_frame):
    write_input(opt_ml, batch_frame(sample_frame, 5))
    result = score(run_in_process, opt_ml, "--date", "29/11/2026")
    assert result.returncode == 2 and "use YYYY-MM-DD" in result.stderr


def test_quoted_fields_and_exact_id_text_survive(run_script, opt_ml, champion, sample_frame):
    frame = batch_frame(sample_frame, 4)
    frame["customer_id"] = ["007", "a,b", "x", "1e5"]  # leading zeros, a comma, a number-like id
    write_input(opt_ml, frame)
    result = score(run_script, opt_ml, "--date", "2026-11-29")
    assert result.returncode == 0, result.stderr
    scored = pd.read_csv(
        opt_ml / "processing" / "output" / "2026-11-29" / "part-1.csv", dtype={"customer_id": str}
    )
    assert list(scored["customer_id"]) == ["007", "a,b", "x", "1e5"]
    assert len(scored) == 4 and set(scored["prediction"]) <= {0, 1}


def test_ids_keep_their_exact_text_without_quotes(run_script, opt_ml, champion, sample_frame):
    frame = batch_frame(sample_frame, 3)
    frame["customer_id"] = ["007", "1.50", "  x"]
    write_input(opt_ml, frame)
    assert score(run_script, opt_ml, "--date", "2026-11-29").returncode == 0
    text = (opt_ml / "processing" / "output" / "2026-11-29" / "part-1.csv").read_text()
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == ["007", "1.50", "  x"]
