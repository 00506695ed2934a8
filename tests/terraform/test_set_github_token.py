"""terraform/modules/approval/set_github_token.py: the apply's one helper copies the GitHub token
from Secrets Manager into the EventBridge connection (so the value never enters Terraform's plan
or state), and says in one line what to do when it cannot. Behaviour against moto (mock_aws);
the permissions it needs are proven by `make proof` (iam-simulate)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from env_config import REPO_ROOT

SCRIPT = REPO_ROOT / "terraform" / "modules" / "approval" / "set_github_token.py"
# What Terraform passes for a project "p" in dev (modules/approval)
ARGUMENTS = [
    "--region", "us-east-1", "--connection", "p-dev-github", "--secret", "p/dev/github-dispatch-token",
]  # fmt: skip


@pytest.fixture
def helper(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    spec = importlib.util.spec_from_file_location("set_github_token", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _connection(events, name: str) -> None:
    events.create_connection(
        Name=name,
        AuthorizationType="API_KEY",
        AuthParameters={
            "ApiKeyAuthParameters": {
                "ApiKeyName": "Authorization",
                "ApiKeyValue": "Bearer placeholder",
            }
        },
    )


def test_the_token_goes_from_the_secret_into_the_connection(helper, capsys):
    import boto3
    from moto import mock_aws

    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        session.client("secretsmanager").create_secret(
            Name="p/dev/github-dispatch-token", SecretString="ghp-x\n"
        )
        _connection(session.client("events"), "p-dev-github")
        code = helper.main(ARGUMENTS)
    assert code == 0
    out = capsys.readouterr()
    assert "ghp-x" not in out.out + out.err  # the value is never printed
    assert "connection p-dev-github uses the current token" in out.out


@pytest.mark.parametrize(
    ("secret_value", "message"),
    [
        ("   ", "holds no token. Store the GitHub token in it"),
        (None, "could not copy p/dev/github-dispatch-token into connection"),
    ],
)
def test_a_missing_or_empty_token_is_one_line_with_the_fix(helper, capsys, secret_value, message):
    import boto3
    from moto import mock_aws

    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        if secret_value is not None:
            session.client("secretsmanager").create_secret(
                Name="p/dev/github-dispatch-token", SecretString=secret_value
            )
        _connection(session.client("events"), "p-dev-github")
        code = helper.main(ARGUMENTS)
    err = capsys.readouterr().err
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and sys.exc_info() == (None, None, None)
