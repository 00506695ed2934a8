"""Fixtures shared by every test folder: the sample dataset, a fake /opt/ml tree, and the step
scripts run the way a container runs them (as processes, under /opt/ml)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample_frame():
    """scikit-learn's breast cancer set in the raw-CSV layout (569 rows, label `malignant`)."""
    from sample_data import sample_frame as build

    return build()


@pytest.fixture
def opt_ml(tmp_path, monkeypatch) -> Path:
    """A temporary /opt/ml: the step scripts resolve every path under SM_OPT_ML."""
    root = tmp_path / "opt_ml"
    root.mkdir()
    monkeypatch.setenv("SM_OPT_ML", str(root))
    for variable in (
        "SM_MODEL_DIR",
        "SM_CHANNEL_TRAIN",
        "SM_CHANNEL_VALIDATION",
        "SM_OUTPUT_DATA_DIR",
        "SM_CHECKPOINT_DIR",
    ):
        monkeypatch.delenv(variable, raising=False)
    return root


CODE_DIR = REPO_ROOT / "training_code"


def _run_script(script: str, opt_ml: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SM_OPT_ML": str(opt_ml)}
    return subprocess.run(
        [sys.executable, str(CODE_DIR / script), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def _pack_model(model_dir: Path, archive: Path) -> Path:
    """Pack a model folder the way SageMaker does at the end of a training job."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as bundle:
        for path in sorted(model_dir.iterdir()):
            bundle.add(path, arcname=path.name)
    return archive


@pytest.fixture
def run_script():
    """Run a step script as a process under the fake /opt/ml (exit code and stderr are checked)."""
    return _run_script


@pytest.fixture
def pack_model():
    return _pack_model


@pytest.fixture
def raw_input(opt_ml, sample_frame) -> Path:
    """The sample dataset where a Processing job finds its input."""
    folder = opt_ml / "processing" / "input" / "data"
    folder.mkdir(parents=True)
    sample_frame.to_csv(folder / "raw.csv", index=False)
    return folder


@pytest.fixture
def splits(opt_ml, raw_input) -> Path:
    """Run preprocess for real and return the processing folder holding the three splits."""
    result = _run_script("preprocess.py", opt_ml)
    assert result.returncode == 0, result.stderr
    return opt_ml / "processing"


@pytest.fixture
def trained_model(opt_ml, splits) -> Path:
    """Train on the splits (as channels) and return the model folder."""
    channels = opt_ml / "input" / "data"
    channels.mkdir(parents=True)
    for name in ("train", "validation", "statistics"):
        (channels / name).symlink_to(splits / name)
    result = _run_script("train.py", opt_ml)
    assert result.returncode == 0, result.stderr
    return opt_ml / "model"
