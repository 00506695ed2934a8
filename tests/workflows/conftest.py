"""Fixtures of the CI/CD tests: the workflow files, parsed, and cicd_helpers importable."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # cicd_helpers, beside this file
    sys.path.insert(0, str(HERE))

from cicd_helpers import WORKFLOWS_DIR, load_workflow  # noqa: E402


@pytest.fixture(scope="session")
def workflow_paths() -> list[Path]:
    paths = sorted(WORKFLOWS_DIR.glob("*.yml")) + sorted(WORKFLOWS_DIR.glob("*.yaml"))
    assert paths, f"no workflows under {WORKFLOWS_DIR}"
    return paths


@pytest.fixture(scope="session")
def workflows(workflow_paths) -> dict[str, dict[str, Any]]:
    return {path.name: load_workflow(path) for path in workflow_paths}


@pytest.fixture(scope="session")
def release(workflows) -> dict[str, Any]:
    return workflows["release.yml"]


@pytest.fixture(scope="session")
def deploy_workflow(workflows) -> dict[str, Any]:
    return workflows["deploy.yml"]


@pytest.fixture(scope="session")
def pr_validation(workflows) -> dict[str, Any]:
    return workflows["pr-validation.yml"]
