"""tests/terraform: helpers (the `tf` fixture) for tests that run Terraform on a copy of terraform/
+ environments/ with a clean environment (no AWS profile of the person running the tests).

The moto apply/destroy test (marked integration) takes minutes, so plain `pytest` deselects it in
this folder; `make test-integration` selects it with `-m integration`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TF_DIR = REPO_ROOT / "terraform"
PLUGIN_DIR = Path("/opt/tf-plugins")


def terraform_binary() -> str:
    path = shutil.which("terraform")
    if not path:
        message = "TERRAFORM NOT INSTALLED: the Terraform tests cannot run here. Install Terraform >= 1.10."
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run them.)", pytrace=False)
        pytest.skip(message, allow_module_level=True)
    return path


def terraform_env(**extra: str) -> dict[str, str]:
    """A clean environment: no AWS profile of the person running the tests, no metadata lookups."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "TF_")) or key == "TF_PLUGIN_CACHE_DIR"
    }
    env.update(
        {
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
        }
    )
    env.update(extra)
    return env


def copy_configuration(destination: Path) -> Path:
    """terraform/ (without its .terraform, tests and bootstrap) and what it reads beside it:
    environments/ and training_code/schema.json (the features the drift alarms watch)."""
    shutil.copytree(REPO_ROOT / "environments", destination / "environments")
    (destination / "training_code").mkdir()
    shutil.copy2(REPO_ROOT / "training_code" / "schema.json", destination / "training_code")
    shutil.copytree(
        TF_DIR,
        destination / "terraform",
        ignore=shutil.ignore_patterns(".terraform", "tests", "bootstrap", "*.tfstate*"),
    )
    return destination / "terraform"


def init(workdir: Path, env: dict[str, str]) -> None:
    args = [terraform_binary(), "init", "-input=false", "-no-color"]
    if PLUGIN_DIR.is_dir():
        args.append(f"-plugin-dir={PLUGIN_DIR}")
    run(args, workdir, env, timeout=300)


def run(
    args: list[str], workdir: Path, env: dict[str, str], timeout: int = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def tf():
    """This module's helpers (tests run with --import-mode=importlib: no sibling imports)."""
    return sys.modules[__name__]


def pytest_collection_modifyitems(config, items):
    if "integration" in (config.getoption("markexpr") or ""):
        return
    here = Path(__file__).parent
    selected, deselected = [], []
    for item in items:
        in_folder = here in Path(str(item.fspath)).parents
        (deselected if in_folder and item.get_closest_marker("integration") else selected).append(
            item
        )
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
