"""`python -m definition_check FILE` and `make validate-definition DEFINITION=<file>`: exit 0 when
valid, 1 with one line per problem, 2 with one line when the file cannot be read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "definition_check", *args],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip


def write(tmp_path: Path, definition: dict) -> Path:
    path = tmp_path / "pipeline-definition.json"
    path.write_text(json.dumps(definition))
    return path


def test_valid_definition_exits_0(tmp_path, dev):
    result = run(str(write(tmp_path, dev)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "valid against SageMaker's API model" in result.stderr


def test_each_problem_is_one_line_naming_file_step_and_field(tmp_path, dev, step_of):
    step_of(dev)["Train"]["Arguments"]["AlgorithmSpecification"]["TrainingImag"] = "x"
    step_of(dev)["Preprocess"]["Arguments"]["ProcessingResources"]["ClusterConfig"][
        "VolumeSizeInGB"
    ] = "30"
    path = write(tmp_path, dev)
    result = run(str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}: step Preprocess: Arguments.ProcessingResources.ClusterConfig.VolumeSizeInGB: "
        "expects an integer (ProcessingVolumeSizeInGB), got string '30'",
        f"{path}: step Train: Arguments.AlgorithmSpecification.TrainingImag: unknown field: "
        "did you mean 'TrainingImage'?",
    ]


def test_unreadable_input_is_one_line_and_exit_2(tmp_path):
    missing = run(str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "no such file" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = run(str(broken))
    assert result.returncode == 2 and "not JSON (line 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_make_validate_definition(tmp_path, dev, step_of):
    step_of(dev)["Evaluate"]["Arguments"]["ProcessingInputs"][0]["S3Input"][
        "S3InputMode"
    ] = "Stream"
    path = write(tmp_path, dev)
    result = subprocess.run(
        ["make", "--no-print-directory", "validate-definition", f"DEFINITION={path}"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert (
        f"{path}: step Evaluate: Arguments.ProcessingInputs[0].S3Input.S3InputMode:"
        in result.stdout
    )
