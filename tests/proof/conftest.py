"""tests/proof: the access proof's inputs (Terraform's render and the recorded requests, cached
under build/proof/ by `make proof`) shared by every test of the session; each test evaluates
them, or a mutated copy, with the real engine (@cloud-copilot/iam-simulate in node)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFINITION = REPO_ROOT / "build" / "dev" / "pipeline-definition.json"


@pytest.fixture(scope="session")
def inputs():
    from proof import prove

    if not DEFINITION.exists():
        subprocess.run(
            [sys.executable, "-m", "build_pipeline", "--env", "dev", "--out", str(DEFINITION)],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
        )
    return prove.collect(DEFINITION, log=lambda line: None)


@pytest.fixture(scope="session")
def outcomes(inputs):
    from proof import prove

    return prove.evaluate(inputs, prove.all_checks(inputs))


@pytest.fixture
def mutable(inputs):
    """A deep copy of the inputs a test may change (the policies are plain dicts)."""
    return copy.deepcopy(inputs)
