"""Fixtures of the local runner tests (helpers and the hand-written definition: runner_fixtures)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # runner_fixtures, beside this file

from runner_fixtures import CODE, CODE_URI, GOOD_ROWS, RAW_URI, registry

from local_runner import objectstore


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private LOCAL_RUNNER_HOME (object store, runs, cache, registry, endpoint)."""
    folder = tmp_path / "home"
    monkeypatch.setenv("LOCAL_RUNNER_HOME", str(folder))
    monkeypatch.setenv("LOCAL_RUNNER_SERVE_SCRIPT", str(CODE / "serve.py"))
    return folder


@pytest.fixture
def staged(home: Path) -> Path:
    """The fixture code and a good dataset in the object store, NO_CHAMPION published."""
    objectstore.upload_dir(CODE, CODE_URI)
    objectstore.put_bytes(RAW_URI + "data.csv", GOOD_ROWS.encode())
    registry().ensure_champion_marker()
    return home
