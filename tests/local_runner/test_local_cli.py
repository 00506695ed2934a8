"""The command line and the Make wiring of ENV=local."""

from __future__ import annotations

import re
import subprocess

import pytest

from env_config import REPO_ROOT
from local_runner import cli


def make_dry_run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-n", *arguments], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (("local-deploy", "ENV=local", "PORT=9091"), "-m local_runner deploy --port 9091"),
        (
            ("run", "ENV=local", "PARAMS=MaxIter=5 AccuracyThreshold=0.5"),
            "-m local_runner run --params MaxIter=5 AccuracyThreshold=0.5",
        ),
        (
            ("run", "ENV=local", "DEFINITION_FILE=other.json", "MAX_PARALLEL=2"),
            "-m local_runner run --definition other.json --max-parallel 2",
        ),
        (("approve", "ENV=local", "VERSION=3"), "-m local_runner approve 3"),
        (("reject", "ENV=local", "VERSION=2"), "-m local_runner reject 2"),
        (
            ("approve", "ENV=local", "VERSION=1", "GROUP=v2-group"),
            "-m local_runner approve 1 --group v2-group",
        ),
        (("models", "ENV=local"), "-m local_runner models"),
        (("undeploy", "ENV=local"), "-m local_runner undeploy"),
        (("deploy", "ENV=local"), "local-deploy"),
        (("status", "ENV=local"), "-m local_runner status"),
        (("logs", "ENV=local", "STEP=Train"), "-m local_runner logs --step Train"),
        (("rollback", "ENV=local"), "-m local_runner rollback"),
        (("smoke-test", "ENV=local"), "-m local_runner smoke-test"),
    ],
)
def test_make_targets_call_the_cli(arguments, expected):
    # For real, with PY=echo: values reach the CLI through the shell's "$NAME" (mk/local.mk), so
    # only a real run shows the argv the CLI gets.
    result = subprocess.run(
        ["make", *arguments, "PY=echo"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


def test_every_make_command_in_the_local_docs_exists():
    text = (REPO_ROOT / "docs" / "local.md").read_text(encoding="utf-8")
    targets = sorted(set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", text)))
    assert {"deploy", "run", "models", "approve", "reject", "serve", "undeploy"} <= set(targets)
    for target in targets:
        result = make_dry_run(target, "ENV=local", "VERSION=1", "STEP=Train")
        assert result.returncode == 0, (target, result.stderr)


def test_local_targets_refuse_other_environments():
    result = subprocess.run(
        ["make", "run", "ENV=dev"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "'make run' is for ENV=local" in result.stderr


def test_cli_errors_name_the_problem(home, capsys):
    assert cli.main(["approve", "7"]) == 1
    assert "has no version 7" in capsys.readouterr().err
    assert cli.main(["rollback"]) == 1
    assert "no champion to roll back" in capsys.readouterr().err
    assert cli.main(["logs", "--step", "Train"]) == 1
    assert "no local execution yet" in capsys.readouterr().err
    assert cli.main(["run", "--params", "Nope=1"]) == 2
    assert "unknown parameter Nope" in capsys.readouterr().err
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Endpoint: not running" in out and "Champion of sagemaker-gitops-local: none" in out
