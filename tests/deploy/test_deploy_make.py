"""mk/deploy.mk: each target runs the deploy CLI, or the local runner for ENV=local (make -n)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def dry_run(*args: str) -> subprocess.CompletedProcess:
    """make for real with PY=echo: values reach the CLI through the shell's "$NAME" (never as
    recipe text), so only a real run shows the argv the CLI gets."""
    return subprocess.run(
        ["make", *args, "PY=echo"], cwd=REPO, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["rollout", "ENV=staging"],
            "-m deploy rollout --env staging --model-package-arn latest",
        ),
        (
            ["rollout", "ENV=prod", "MODEL_PACKAGE_ARN=arn:x", "NO_SMOKE_TEST=1"],
            "-m deploy rollout --env prod --model-package-arn arn:x --no-smoke-test",
        ),
        (["rollback", "ENV=prod"], "-m deploy rollback --env prod"),
        (
            ["rollback", "ENV=prod", "MODEL_PACKAGE_ARN=arn:x"],
            "-m deploy rollback --env prod --model-package-arn arn:x",
        ),
        (["prune", "ENV=prod", "KEEP=2"], "-m deploy prune --env prod --keep 2"),
        (["status", "ENV=dev"], "-m deploy status --env dev"),
        (["logs", "ENV=dev", "STEP=Train"], "-m deploy logs --env dev --step Train"),
        (["smoke-test", "ENV=staging"], "-m deploy smoke-test --env staging"),
        (["status", "ENV=local"], "-m local_runner status"),
        (["logs", "ENV=local", "STEP=Evaluate"], "-m local_runner logs --step Evaluate"),
        (["rollback", "ENV=local"], "-m local_runner rollback"),
        (["smoke-test", "ENV=local"], "-m local_runner smoke-test"),
        (["lambda-zip"], "-m release.lambda_zip"),
    ],
)
def test_targets_dispatch(args, expected):
    result = dry_run(*args)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


def test_help_lists_every_deploy_target():
    listed = subprocess.run(
        ["make", "help"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    for target in ("rollout", "rollback", "status", "logs", "smoke-test", "lambda-zip"):
        assert f" {target} " in listed.replace("\x1b[36m", " ").replace("\x1b[0m", " "), target


def test_rollout_local_and_logs_without_step_explain_themselves():
    local = subprocess.run(
        ["make", "rollout", "ENV=local"], cwd=REPO, capture_output=True, text=True
    )
    assert local.returncode != 0 and "ENV=local has no SageMaker endpoint" in local.stderr
    no_step = subprocess.run(["make", "logs", "ENV=dev"], cwd=REPO, capture_output=True, text=True)
    assert (
        no_step.returncode != 0 and "Name the step: make logs ENV=dev STEP=<name>" in no_step.stderr
    )


def test_docs_name_only_real_commands_and_targets():
    import re

    from deploy.__main__ import COMMANDS

    text = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"python -m deploy ([a-z][a-z-]*)", text))
    assert commands and commands <= set(COMMANDS), commands - set(COMMANDS)
    assert set(COMMANDS) <= commands, "every command is documented"
    listed = subprocess.run(["make", "help"], cwd=REPO, capture_output=True, text=True, check=True)
    plain = listed.stdout.replace("\x1b[36m", " ").replace("\x1b[0m", " ")
    for target in set(re.findall(r"`make ([a-z-]+)", text)):
        assert f" {target} " in plain, target
