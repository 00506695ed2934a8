"""The bad-input matrix: one row per class of bad input a user can give, each asserting the exit
code (or HTTP status), the first line of the message, that no traceback is printed, and that
nothing was registered, approved, served or changed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # matrix_helpers, beside this file
sys.path.insert(0, str(HERE.parent / "local_runner"))  # runner_fixtures (the hand-written run)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private LOCAL_RUNNER_HOME (object store, runs, cache, registry, endpoint)."""
    folder = tmp_path / "home"
    monkeypatch.setenv("LOCAL_RUNNER_HOME", str(folder))
    return folder
