"""`make plan|apply|destroy` check terraform, AWS credentials and the generated definition first,
and say what to do for each missing piece (terraform/scripts/preflight.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

PREFLIGHT = REPO_ROOT / "terraform" / "scripts" / "preflight.py"


def load_preflight():
    spec = importlib.util.spec_from_file_location("tf_preflight", PREFLIGHT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_preflight(tf, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PREFLIGHT), *args],
        capture_output=True,
        text=True,
        env=tf.terraform_env(**env),
        timeout=120,
        check=False,
    )


def test_local_points_to_make_deploy_local(tf):
    result = run_preflight(tf, "--env", "local")
    assert result.returncode == 2
    assert "make deploy ENV=local" in result.stderr


def test_unknown_environment_lists_the_valid_ones(tf):
    result = run_preflight(tf, "--env", "qa")
    assert result.returncode == 2
    assert "dev, staging, prod" in result.stderr


def test_missing_credentials_name_aws_profile_and_oidc(tf, tmp_path):
    result = run_preflight(tf, "--env", "dev", HOME=str(tmp_path))
    assert result.returncode == 2
    assert "No AWS credentials found" in result.stderr
    assert "AWS_PROFILE" in result.stderr and "OIDC" in result.stderr


def test_missing_terraform_says_how_to_install(tf, tmp_path):
    result = run_preflight(tf, "--env", "dev", "--skip-credentials", PATH=str(tmp_path))
    assert result.returncode == 2
    assert "terraform is not on PATH" in result.stderr
    assert "Install Terraform" in result.stderr


def test_missing_definition_says_make_definition(monkeypatch, tmp_path):
    preflight = load_preflight()
    monkeypatch.setattr(preflight, "REPO_ROOT", tmp_path)
    (problem,) = preflight.check_definition("staging")
    assert "make definition ENV=staging" in problem
    assert "build/staging/pipeline-definition.json" in problem


def test_wrong_account_is_refused(monkeypatch):
    preflight = load_preflight()

    class FakeSts:
        def get_caller_identity(self):
            return {"Account": "111122223333"}

    import boto3

    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: FakeSts())
    (problem,) = preflight.check_credentials("prod")
    assert "111122223333" in problem and "aws.account_id" in problem


def test_make_plan_without_credentials_fails_clearly(tf, tmp_path):
    """The issue's definition of done: `make plan ENV=dev` without credentials fails with a clear
    message (and never reaches terraform init)."""
    result = subprocess.run(
        ["make", "--no-print-directory", "plan", "ENV=dev"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=tf.terraform_env(HOME=str(tmp_path)),
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "No AWS credentials found" in result.stderr
    assert "terraform -chdir=terraform init" not in result.stdout
