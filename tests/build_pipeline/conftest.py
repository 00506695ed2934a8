from __future__ import annotations

import json

import pytest

from build_pipeline.__main__ import generate

FIXED_SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="session")
def definitions() -> dict[str, dict]:
    """Each environment's definition, generated once per test session (a few seconds each)."""
    return {
        env: json.loads(generate(env, git_sha=FIXED_SHA))
        for env in ("local", "dev", "staging", "prod")
    }


@pytest.fixture(scope="session")
def batch_definitions() -> dict[str, dict]:
    """Each environment's batch-scoring definition (python -m build_pipeline --kind batch)."""
    return {
        env: json.loads(generate(env, git_sha=FIXED_SHA, kind="batch"))
        for env in ("local", "dev", "staging", "prod")
    }
