"""pytest plugin: record the AWS calls deploy/ makes while its moto-backed tests run
(`python -m pytest tests/deploy -p proof.pytest_recorder`; the file is PROOF_RECORD_TO)."""

from __future__ import annotations

import os
from pathlib import Path

from proof.boto_recorder import BotoRecorder

REPO_ROOT = Path(__file__).resolve().parents[1]
_recorder = BotoRecorder([REPO_ROOT / "deploy"])


def pytest_configure(config) -> None:
    _recorder.install()


def pytest_unconfigure(config) -> None:
    target = os.environ.get("PROOF_RECORD_TO")
    if target:
        _recorder.write(Path(target))
