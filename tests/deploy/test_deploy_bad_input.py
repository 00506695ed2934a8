"""Issue 12, "Tracebacks instead of messages" and "Loose inputs": for every input of this
matrix, `python -m deploy` prints one line (what failed, what to do) with a documented exit code,
and the Lambda returns a refusal (no raise) for what a retry cannot fix. moto (mock_aws) plays
AWS; the event schema's verdicts are checked against the `jsonschema` library."""

from __future__ import annotations

import json
import socket

import pytest

from deploy.__main__ import main
from deploy.errors import EXIT_CODES, DeployError
from deploy.event_schema import EVENT_SCHEMA, problems
from deploy.lambda_handler import handler

from .conftest import ACCOUNT, GROUP, REGION
from .test_deploy_lambda import event

ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/1"


def one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


# -- the CLI ----------------------------------------------------------------------------------

ARN_CASES = {
    "empty": ("", "is empty"),
    "trailing newline": (ARN + "\n", "contains whitespace"),
    "inner space": (ARN.replace("model-package", "model- package"), "contains whitespace"),
    "wrong account": (ARN.replace(ACCOUNT, "999999999999"), "is in account 999999999999"),
    "wrong region": (ARN.replace(REGION, "eu-west-3"), "is in region eu-west-3"),
    "wrong group": (ARN.replace(GROUP, "someone-else"), "belongs to group 'someone-else'"),
    "not an arn": ("model-package/3", "is not a versioned model package ARN"),
    "version 0": (ARN[:-1] + "0", "is not a versioned model package ARN"),
}


@pytest.mark.parametrize("command", ["rollout", "validate-event", "rollback"])
@pytest.mark.parametrize("case", sorted(ARN_CASES))
def test_loose_arns_are_refused_with_exit_2(world, capsys, command, case):
    world.add_package()
    arn, expected = ARN_CASES[case]
    code = main([command, "--env", "staging", "--model-package-arn", arn])
    line = one_line_error(capsys)
    assert code == 2 and expected in line
    assert world.clients.sagemaker.list_endpoint_configs()["EndpointConfigs"] == []


def with_serving_endpoint(world) -> None:
    world.add_package()
    assert main(["rollout", "--env", "staging", "--no-wait"]) == 0


@pytest.mark.parametrize(
    "argv, code, expected",
    [
        (
            ["smoke-test", "--test-data", "s3://no-such-bucket-for-deploy-tests/test.csv"],
            1,
            "S3 bucket no-such-bucket-for-deploy-tests does not exist",
        ),
        (["smoke-test", "--test-data", "/nonexistent/test.csv"], 1, "does not exist"),
        (["smoke-test", "--test-data", "s3://bucket-only"], 1, "is not an s3://bucket/key URI"),
        (["rollout", "--test-data", "/nonexistent/test.csv"], 1, "does not exist"),
        (["logs", "--step", "Preprocess"], 1, "log group /aws/sagemaker/ProcessingJobs does"),
        (["status"], 1, "does not exist"),
        (["smoke-test", "--test-data", "s3://bad:bucket/x.csv"], 2, "AWS would not accept"),
    ],
)
def test_missing_things_are_one_line_messages(world, capsys, argv, code, expected):
    with_serving_endpoint(world)
    second = world.add_package()
    if argv[0] == "rollout":
        argv = [*argv, "--model-package-arn", second]
    execution = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p/execution/e1"
    world.steps[execution] = [
        {
            "StepName": "Preprocess",
            "StepStatus": "Failed",
            "Metadata": {"ProcessingJob": {"Arn": "arn:aws:sagemaker:x:1:processing-job/job-1"}},
        }
    ]
    if argv[0] == "logs":
        argv = [*argv, "--execution-arn", execution]
    capsys.readouterr()
    assert main([argv[0], "--env", "staging", *argv[1:]]) == code
    assert expected in one_line_error(capsys)


def test_an_endpoint_mid_update_says_retry_later(world, capsys):
    from moto.sagemaker.models import sagemaker_backends

    with_serving_endpoint(world)
    second = world.add_package()
    endpoint = sagemaker_backends[ACCOUNT][REGION].endpoints[world.settings.endpoint_name]
    endpoint.endpoint_status = "Updating"
    capsys.readouterr()
    code = main(["rollout", "--env", "staging", "--model-package-arn", second, "--no-wait"])
    assert code == 6 and "is Updating; retry when it is InService" in one_line_error(capsys)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_aws_unreachable_is_exit_5(capsys, monkeypatch):
    import boto3

    monkeypatch.setattr("deploy.aws.default_session", boto3.session.Session)  # no moto
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code = main(["rollout", "--env", "staging", "--model-package-arn", ARN])
    line = one_line_error(capsys)
    assert code == 5 and "Cannot reach AWS" in line and "AWS_ENDPOINT_URL" in line


def test_botocore_modelled_exceptions_are_translated(world):
    """ResourceNotFoundException is a generated subclass of ClientError: the boundary matches
    along the class hierarchy, not the exact name."""
    from deploy.aws import translated_errors

    with (
        pytest.raises(DeployError, match="Not found \\(DescribeLogStreams\\)"),
        translated_errors(),
    ):
        world.clients.logs.describe_log_streams(logGroupName="/nope")


def test_an_unexpected_bug_is_one_line_too(capsys, monkeypatch):
    def broken(_args):
        raise KeyError("oops")

    monkeypatch.setattr("deploy.__main__.run", broken)
    assert main(["status", "--env", "staging"]) == 1
    assert "unexpected KeyError" in one_line_error(capsys)


def test_ctrl_c_is_one_line_and_exit_130(capsys, monkeypatch):
    def interrupted(_args):
        raise KeyboardInterrupt

    monkeypatch.setattr("deploy.__main__.run", interrupted)
    assert main(["rollout", "--env", "staging"]) == 130
    err = capsys.readouterr().err
    assert err.startswith("interrupted: ") and err.count("\n") == 1 and "Traceback" not in err


def test_every_exit_code_is_documented():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    for code in EXIT_CODES:
        assert f"| `{code}` |" in text, f"exit code {code} missing from docs/deploy.md"


# -- the Lambda -------------------------------------------------------------------------------

GOOD = event(ARN)
MALFORMED = {
    "detail a string": {**GOOD, "detail": "oops"},
    "detail missing": {k: v for k, v in GOOD.items() if k != "detail"},
    "detail-type missing": {k: v for k, v in GOOD.items() if k != "detail-type"},
    "ARN an int": {**GOOD, "detail": {**GOOD["detail"], "ModelPackageArn": 3}},
    "ARN a list": {**GOOD, "detail": {**GOOD["detail"], "ModelPackageArn": [ARN]}},
    "ARN empty": {**GOOD, "detail": {**GOOD["detail"], "ModelPackageArn": ""}},
    "ARN with newline": {**GOOD, "detail": {**GOOD["detail"], "ModelPackageArn": ARN + "\n"}},
    "ARN missing": {**GOOD, "detail": {"ModelApprovalStatus": "Approved"}},
    "version a string": {**GOOD, "detail": {**GOOD["detail"], "ModelPackageVersion": "1"}},
    "status an int": {**GOOD, "detail": {**GOOD["detail"], "ModelApprovalStatus": 1}},
    "resources a string": {**GOOD, "resources": ARN},
    "event a list": [GOOD],
    "event a string": json.dumps(GOOD),
    "event null": None,
}
OUT_OF_SCOPE = {
    "wrong account": (ARN.replace(ACCOUNT, "999999999999"), "refused", "is in account"),
    "wrong region": (ARN.replace(REGION, "eu-west-3"), "refused", "is in region"),
    "ARN of another group": (ARN.replace(GROUP, "other"), "refused", "belongs to group 'other'"),
    "missing package": (ARN[:-1] + "7", "refused", "does not exist"),
}


@pytest.fixture
def lambda_env(monkeypatch, lambda_environ):
    for name, value in lambda_environ.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_event_is_refused_not_raised(world, lambda_env, capsys, case):
    result = handler(MALFORMED[case], None, clients=world.clients)
    assert result["status"] == "refused" and result["reason"].startswith("malformed event: ")
    json.dumps(result)
    assert "Traceback" not in capsys.readouterr().out
    assert world.clients.sagemaker.list_endpoints()["Endpoints"] == []


@pytest.mark.parametrize("case", sorted(OUT_OF_SCOPE))
def test_an_out_of_scope_package_is_refused_not_raised(world, lambda_env, case):
    world.add_package()
    arn, status, reason = OUT_OF_SCOPE[case]
    result = handler(event(arn), None, clients=world.clients)
    assert result["status"] == status and reason in result["reason"]
    assert world.clients.sagemaker.list_endpoints()["Endpoints"] == []


def test_aws_unreachable_raises_a_one_line_retryable_error(lambda_env, monkeypatch):
    import boto3

    from deploy.aws import Clients

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    clients = Clients(REGION, session=boto3.session.Session())
    with pytest.raises(DeployError) as caught:
        handler(GOOD, None, clients=clients)
    assert caught.value.retryable and "Cannot reach AWS" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("case", [*sorted(MALFORMED), "good"])
def test_the_lambdas_validator_agrees_with_jsonschema(case):
    """EVENT_SCHEMA is a valid Draft 2020-12 schema, and the Lambda's small validator gives the
    same verdict as the `jsonschema` library on every input (jsonschema is the reference)."""
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(EVENT_SCHEMA)
    value = GOOD if case == "good" else MALFORMED[case]
    reference = jsonschema.Draft202012Validator(EVENT_SCHEMA).is_valid(value)
    assert (not problems(value)) == reference


def test_a_failure_that_needs_a_person_raises_one_line_for_the_dead_letter_queue(world, lambda_env):
    """Not a bad request, not passing: the DLQ (and its alarm) must see it, in one line."""
    first, second = world.add_package(), world.add_package()
    handler(event(first), None, clients=world.clients)
    world.clients.cloudwatch.delete_alarms(AlarmNames=list(world.settings.alarm_names))
    with pytest.raises(DeployError) as caught:
        handler(event(second), None, clients=world.clients)
    assert not caught.value.retryable and "\n" not in str(caught.value)
    assert "do not exist" in str(caught.value)
