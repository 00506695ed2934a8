"""`python -m sample_data` (make data): scikit-learn's breast cancer set in the raw-CSV layout that
training_code/schema.json describes, written offline."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

from env_config import REPO_ROOT


def test_the_csv_has_the_schemas_columns_and_every_row(tmp_path):
    out = tmp_path / "raw" / "breast_cancer.csv"
    result = subprocess.run(
        [sys.executable, "-m", "sample_data", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    schema = json.loads((REPO_ROOT / "training_code" / "schema.json").read_text())
    with out.open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [*schema["features"], schema["label"]]
    assert len(rows) == 1 + 569
    assert {row[-1] for row in rows[1:]} == {"0", "1"}
    assert f"wrote 569 rows x {len(rows[0])} columns" in result.stdout
