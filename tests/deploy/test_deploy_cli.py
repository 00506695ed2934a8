"""`python -m deploy`: one clear line and a non-zero exit for expected failures, no traceback;
validate-event and record for the deploy workflow (moto, mock_aws)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.__main__ import main

REPO = Path(__file__).resolve().parents[2]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_help_loads_neither_boto3_nor_yaml():
    probe = (
        "import sys, deploy.__main__ as m\n"
        "try:\n    m.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({k.split('.')[0] for k in sys.modules} & {'boto3', 'botocore', 'yaml'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert "rollout" in result.stdout and result.stdout.strip().endswith("[]")


def test_missing_credentials_say_how_to_set_them(capsys, monkeypatch):
    import boto3

    monkeypatch.setattr("deploy.aws.default_session", boto3.session.Session)  # a fresh chain
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _, err = run_cli(capsys, "status", "--env", "staging")
    assert code == 5
    assert err.startswith("error: Unable to locate credentials")
    assert "AWS_PROFILE" in err and "OIDC" in err


def test_a_bad_arn_is_refused_before_any_aws_call(capsys):
    code, _, err = run_cli(capsys, "rollout", "--env", "staging", "--model-package-arn", "v3")
    assert code == 2 and "'v3' is not a versioned model package ARN" in err


def test_local_and_unknown_environments(capsys):
    code, _, err = run_cli(capsys, "rollout", "--env", "local")
    assert code == 1 and "ENV=local has no SageMaker endpoint" in err
    code, _, err = run_cli(capsys, "status", "--env", "qa")
    assert code == 1 and "Valid: dev, local, prod, staging" in err


def test_validate_event_flow(world, capsys, tmp_path, monkeypatch):
    outputs = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    arn = world.add_package()

    code, out, _ = run_cli(capsys, "validate-event", "--env", "staging", "--model-package-arn", arn)
    assert code == 0 and out.startswith(f"OK: {arn} (version 1) is Approved")
    assert "already_deployed=false" in outputs.read_text()

    world.good_answers()
    code, out, _ = run_cli(
        capsys,
        "rollout",
        "--env",
        "staging",
        "--model-package-arn",
        arn,
        "--max-latency-ms",
        "600000",
    )
    assert code == 0 and "Created sagemaker-gitops-staging" in out

    code, out, _ = run_cli(capsys, "validate-event", "--env", "staging", "--model-package-arn", arn)
    assert code == 0 and out.startswith("Already deployed")
    last = dict(line.split("=", 1) for line in outputs.read_text().splitlines()[-5:])
    assert last["already_deployed"] == "true" and last["skip"] == "true"
    assert last["stale"] == "false"

    pending = world.add_package("PendingManualApproval")
    code, _, err = run_cli(
        capsys, "validate-event", "--env", "staging", "--model-package-arn", pending
    )
    assert code == 2 and "not Approved" in err

    other = world.add_package(group="sagemaker-gitops-prod")
    code, _, err = run_cli(
        capsys, "validate-event", "--env", "staging", "--model-package-arn", other
    )
    assert code == 2 and "belongs to group 'sagemaker-gitops-prod'" in err


def test_record_writes_the_deployment_and_is_stable(world, capsys, tmp_path):
    arn = world.add_package(metadata={"GitSha": "f" * 40})
    world.good_answers()
    assert run_cli(capsys, "rollout", "--env", "staging", "--no-smoke-test")[0] == 0
    path = tmp_path / "staging.json"

    code, out, _ = run_cli(capsys, "record", "--env", "staging", "--out", str(path))
    assert code == 0 and "updated" in out
    record = json.loads(path.read_text())
    assert record["model_package_arn"] == arn and record["model_package_version"] == 1
    assert record["git_sha"] == "f" * 40 and record["environment"] == "staging"
    assert record["endpoint_config_name"] == world.endpoint()["EndpointConfigName"]
    assert record["deployed_at"].endswith("Z")

    code, out, _ = run_cli(capsys, "record", "--env", "staging", "--out", str(path))
    assert code == 0 and "unchanged" in out


def test_record_without_an_endpoint(world, capsys, tmp_path):
    code, _, err = run_cli(capsys, "record", "--env", "staging", "--out", str(tmp_path / "x.json"))
    assert code == 1 and "does not exist: nothing to record" in err


def test_rollback_and_smoke_test_commands(world, capsys):
    first, second = world.add_package(), world.add_package()
    for arn in (first, second):
        assert (
            run_cli(
                capsys, "rollout", "--env", "staging", "--model-package-arn", arn, "--no-smoke-test"
            )[0]
            == 0
        )
    code, out, _ = run_cli(capsys, "rollback", "--env", "staging", "--poll", "0", "--no-smoke-test")
    assert code == 0 and "Rolled back sagemaker-gitops-staging" in out and first in out

    world.answer(world.predictions(2), world.predictions(1))
    code, out, _ = run_cli(capsys, "smoke-test", "--env", "staging", "--max-latency-ms", "600000")
    assert code == 4 and "2 predictions for 20 rows" in out


@pytest.mark.parametrize("argv", [["logs", "--env", "staging"], ["rollout"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
