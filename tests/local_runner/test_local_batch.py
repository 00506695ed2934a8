"""`make batch ENV=local INPUT=...`: the generated batch definition, run by the local runner,
scores every input row with the champion (row count, order and ids preserved) and names the
champion's model package ARN in the output's metadata."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from champion_fixtures import make_champion

from env_config import load
from local_runner import batch, objectstore

pytestmark = pytest.mark.slow  # a real endpoint or the local runner per test


@pytest.fixture
def champion(home, tmp_path, sample_frame):
    return make_champion(sample_frame, tmp_path / "champion")


def test_a_batch_run_scores_every_row_with_the_champion(champion, tmp_path, capsys):
    rows = champion.unseen[champion.features].reset_index(drop=True)
    rows.insert(0, "patient_id", [f"p-{i:04d}" for i in range(len(rows))][::-1])
    source = tmp_path / "to-score.csv"
    rows.to_csv(source, index=False)
    assert batch.main(["--input", str(source), "--date", "2026-11-29"]) == 0
    output = load("local").s3_uri("batch", "output", "2026-11-29")
    scored = pd.read_csv(objectstore.path_for(f"{output}/to-score.csv"), dtype={"patient_id": str})
    assert len(scored) == len(rows)
    assert list(scored["patient_id"]) == list(rows["patient_id"])
    expected = champion.model.predict_proba(rows[champion.features].to_numpy())[:, 1]
    assert np.allclose(scored["probability"], np.round(expected, 6))
    metadata = json.loads(objectstore.read_bytes(f"{output}/_metadata.json"))
    assert metadata["model_package_arn"] == champion.record["ModelPackageArn"]
    assert metadata["rows"] == len(rows)
    assert f"Scored {len(rows)} row(s)" in capsys.readouterr().out


def test_no_champion_fails_the_score_step_with_the_reason(home, tmp_path, sample_frame, capsys):
    source = tmp_path / "rows.csv"
    sample_frame.drop(columns=["malignant"]).head(3).to_csv(source, index=False)
    assert batch.main(["--input", str(source)]) == 1
    assert "Approve a model package first" in capsys.readouterr().out


def test_a_missing_input_is_a_clear_error(home, tmp_path, capsys):
    assert batch.main(["--input", str(tmp_path / "nope.csv")]) == 1
    assert "no such file or folder" in capsys.readouterr().err
