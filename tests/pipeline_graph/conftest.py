from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="session")
def dev_definition(generated_definition) -> dict:
    """dev's definition (generated once per test run, shared by the workers)."""
    return json.loads(generated_definition("dev"))
