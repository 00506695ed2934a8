from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="session")
def dev_definition() -> dict:
    """dev's definition, generated in-process (the SDK is imported once per session)."""
    from build_pipeline.__main__ import generate

    return json.loads(generate("dev", git_sha="0" * 40))
