from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="session")
def definitions(generated_definition) -> dict[str, dict]:
    """Each environment's definition (generated once per test run, shared by the workers)."""
    return {
        env: json.loads(generated_definition(env)) for env in ("local", "dev", "staging", "prod")
    }


@pytest.fixture(scope="session")
def batch_definitions(generated_definition) -> dict[str, dict]:
    """Each environment's batch-scoring definition (python -m build_pipeline --kind batch)."""
    return {
        env: json.loads(generated_definition(env, "batch"))
        for env in ("local", "dev", "staging", "prod")
    }
