"""The Lambda handler behind the EventBridge approval rule, with moto (mock_aws): it deploys an
Approved package of its group, ignores other events, and is replay-safe."""

from __future__ import annotations

import json

import pytest

from deploy.errors import DeployError, LockHeldError
from deploy.lambda_handler import handler
from deploy.lock import Lock


@pytest.fixture
def lambda_env(monkeypatch, lambda_environ):
    for name, value in lambda_environ.items():
        monkeypatch.setenv(name, value)


def event(arn: str, status: str = "Approved", group: str = "sagemaker-gitops-staging") -> dict:
    return {
        "version": "0",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "resources": [arn],
        "detail": {
            "ModelPackageArn": arn,
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": status,
            "ModelPackageVersion": int(arn.rsplit("/", 1)[-1]),
        },
    }


def test_an_approval_deploys_and_a_replay_does_nothing(world, lambda_env):
    arn = world.add_package()
    first = handler(event(arn), None)  # as the Lambda runtime calls it: its own boto3 clients
    assert first["status"] == "created" and first["model_package_arn"] == arn
    endpoint = world.endpoint()
    assert world.object_exists("staging/champion/current/model.tar.gz")
    assert not world.object_exists("staging/champion/current/NO_CHAMPION")

    replay = handler(event(arn), None)
    assert replay["status"] == "noop"
    assert world.endpoint()["EndpointConfigName"] == endpoint["EndpointConfigName"]
    assert len(world.clients.sagemaker.list_endpoint_configs()["EndpointConfigs"]) == 1


def test_a_newer_approval_updates_blue_green_without_waiting(world, lambda_env):
    first, second = world.add_package(), world.add_package()
    handler(event(first), None, clients=world.clients)
    outcome = handler(event(second), None, clients=world.clients)
    assert outcome["status"] == "started"
    (request,) = world.update_requests
    assert (
        request["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"]
        == "CANARY"
    )
    assert world.endpoint()["EndpointConfigName"] == outcome["endpoint_config_name"]


@pytest.mark.parametrize(
    "status, group, reason",
    [
        ("Rejected", "sagemaker-gitops-staging", "is Rejected, not Approved"),
        ("Approved", "sagemaker-gitops-prod", "not sagemaker-gitops-staging"),
    ],
)
def test_other_events_are_ignored(world, lambda_env, status, group, reason):
    arn = world.add_package()
    result = handler(event(arn, status, group), None, clients=world.clients)
    assert result["status"] == "ignored" and reason in result["reason"]
    assert world.clients.sagemaker.list_endpoints()["Endpoints"] == []


def test_an_event_that_disagrees_with_the_registry_is_refused_not_retried(world, lambda_env):
    """The registry, not the event, decides: a stale or forged 'Approved' is refused."""
    arn = world.add_package("PendingManualApproval")
    result = handler(event(arn), None, clients=world.clients)
    assert result["status"] == "refused" and "not Approved" in result["reason"]
    assert world.clients.sagemaker.list_endpoints()["Endpoints"] == []


def test_a_held_lock_raises_so_lambda_retries(world, lambda_env):
    arn = world.add_package()
    Lock(clients=world.clients, settings=world.settings, owner="someone").acquire("rollout")
    with pytest.raises(LockHeldError):
        handler(event(arn), None, clients=world.clients)


def test_missing_configuration_fails_loudly(world, monkeypatch, lambda_env):
    monkeypatch.delenv("KMS_KEY_ARN")
    with pytest.raises(DeployError, match="KMS_KEY_ARN"):
        handler(event(world.add_package()), None, clients=world.clients)


def test_an_event_without_a_package_is_refused_not_retried(world, lambda_env):
    result = handler(
        {"detail-type": "SageMaker Model Package State Change", "detail": {}},
        None,
        clients=world.clients,
    )
    assert result["status"] == "refused"
    assert "event.detail.ModelPackageArn is missing" in result["reason"]
    json.dumps(result)  # the return value is JSON for the Lambda runtime
