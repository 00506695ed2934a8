"""Rollout, no-op, refusal, lock, smoke-test failure and rollback flows, against moto (mock_aws).

moto has no UpdateEndpoint: conftest's small moto extension answers it (switching the
endpoint to the new config, as SageMaker does when a blue/green update completes) and records each
request. test_update_request_sequence_with_stubber pins the exact update path with botocore's
Stubber instead.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from deploy import builders
from deploy.errors import DeployError, LockHeldError, RefusedError, SmokeTestError
from deploy.lock import Lock

CHAMPION = "staging/champion/current/model.tar.gz"
ACCOUNT, GROUP = "123456789012", "sagemaker-gitops-staging"
NO_CHAMPION = "staging/champion/current/NO_CHAMPION"
STATE = "staging/deploy/state.json"
LOCK = "staging/deploy/lock"


def counts(world) -> tuple[int, int]:
    sm = world.clients.sagemaker
    return len(sm.list_models()["Models"]), len(sm.list_endpoint_configs()["EndpointConfigs"])


def model_data(world, arn: str) -> bytes:
    url = world.clients.sagemaker.describe_model_package(ModelPackageName=arn)[
        "InferenceSpecification"
    ]["Containers"][0]["ModelDataUrl"]
    return world.read(url.split("/", 3)[3])


def test_first_rollout_creates_the_endpoint_promotes_the_champion_and_records_state(
    world, deployer_for
):
    arn = world.add_package()
    world.good_answers()
    lines: list[str] = []
    outcome = deployer_for(out=lines.append).rollout(arn)

    assert outcome.action == "created" and outcome.model_package_arn == arn
    endpoint = world.endpoint()
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == outcome.endpoint_config_name
    config = world.clients.sagemaker.describe_endpoint_config(
        EndpointConfigName=outcome.endpoint_config_name
    )
    assert config["KmsKeyId"] == "alias/sagemaker-gitops-staging"
    assert config["DataCaptureConfig"]["InitialSamplingPercentage"] == 20
    model = world.clients.sagemaker.describe_model(
        ModelName=config["ProductionVariants"][0]["ModelName"]
    )
    assert model["PrimaryContainer"] == {"ModelPackageName": arn}
    assert world.read(CHAMPION) == model_data(world, arn)
    assert not world.object_exists(NO_CHAMPION)
    state = json.loads(world.read(STATE))
    assert state["current"]["model_package_arn"] == arn and state["previous"] is None
    assert not world.object_exists(LOCK), "the lock is released"
    assert any("Smoke test" in line and "passed" in line for line in lines)
    assert any("InService" in line for line in lines), "progress is shown"


def test_deploying_the_serving_package_again_changes_nothing(world, deployer_for):
    arn = world.add_package()
    world.good_answers()
    first = deployer_for().rollout(arn)
    before = counts(world), world.read(STATE), world.endpoint()["EndpointConfigName"]

    again = deployer_for().rollout(arn)
    assert again.action == "noop" and "already serves" in again.message
    assert again.endpoint_config_name == first.endpoint_config_name
    assert (counts(world), world.read(STATE), world.endpoint()["EndpointConfigName"]) == before
    assert world.update_requests == []


def test_latest_picks_the_newest_approved_package(world, deployer_for):
    world.add_package("Approved")
    newest_approved = world.add_package("Approved")
    world.add_package("PendingManualApproval")
    world.good_answers()
    outcome = deployer_for().rollout("latest")
    assert outcome.model_package_arn == newest_approved


def test_latest_without_an_approved_package_is_refused(world, deployer_for):
    world.add_package("PendingManualApproval")
    with pytest.raises(
        RefusedError, match="No Approved model package in group 'sagemaker-gitops-staging'"
    ):
        deployer_for().rollout(None)


@pytest.mark.parametrize(
    "case, pattern",
    [
        ("pending", "is PendingManualApproval, not Approved: refusing"),
        ("rejected", "is Rejected, not Approved"),
        (
            "other-group",
            "belongs to group 'sagemaker-gitops-prod'; environment staging deploys only "
            "packages of 'sagemaker-gitops-staging'. ",
        ),
        ("bad-arn", "is not a versioned model package ARN"),
        ("missing", "does not exist"),
    ],
)
def test_refusals_change_nothing(world, deployer_for, case, pattern):
    arn = {
        "pending": lambda: world.add_package("PendingManualApproval"),
        "rejected": lambda: world.add_package("Rejected"),
        "other-group": lambda: world.add_package("Approved", group="sagemaker-gitops-prod"),
        "bad-arn": lambda: "sagemaker-gitops-staging/3",
        "missing": lambda: f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/{GROUP}/99",
    }[case]()
    with pytest.raises(RefusedError, match=pattern) as caught:
        deployer_for().rollout(arn)
    assert caught.value.exit_code == 2
    assert counts(world) == (0, 0)
    assert world.clients.sagemaker.list_endpoints()["Endpoints"] == []
    assert world.object_exists(NO_CHAMPION) and not world.object_exists(LOCK)


def test_update_is_blue_green_and_keeps_the_previous_deployment(world, deployer_for, settings):
    first, second = world.add_package(), world.add_package()
    world.good_answers()
    one = deployer_for().rollout(first)
    world.good_answers()
    two = deployer_for().rollout(second)

    assert two.action == "updated"
    assert world.update_requests == [
        builders.build_update_endpoint(settings, two.endpoint_config_name)
    ]
    assert world.endpoint()["EndpointConfigName"] == two.endpoint_config_name
    assert world.read(CHAMPION) == model_data(world, second)
    state = json.loads(world.read(STATE))
    assert state["current"]["endpoint_config_name"] == two.endpoint_config_name
    assert state["previous"]["endpoint_config_name"] == one.endpoint_config_name
    assert state["previous"]["model_package_arn"] == first


def test_update_refuses_without_the_rollback_alarms(world, deployer_for):
    first, second = world.add_package(), world.add_package()
    world.good_answers()
    deployer_for().rollout(first)
    world.clients.cloudwatch.delete_alarms(AlarmNames=["sagemaker-gitops-staging-latency"])
    with pytest.raises(DeployError, match="sagemaker-gitops-staging-latency do not exist"):
        deployer_for().rollout(second)
    assert world.update_requests == [] and not world.object_exists(LOCK)


def test_smoke_failure_after_an_update_rolls_back_and_fails(world, deployer_for, settings):
    first, second = world.add_package(), world.add_package()
    world.good_answers()
    one = deployer_for().rollout(first)
    state_before = world.read(STATE)
    world.answer(world.predictions(settings.smoke_rows, label=7), world.predictions(1))

    with pytest.raises(SmokeTestError, match="label 7 is not 0 or 1") as caught:
        deployer_for().rollout(second)
    assert caught.value.exit_code == 4
    assert f"Rolled back sagemaker-gitops-staging to {one.endpoint_config_name}" in str(
        caught.value
    )
    assert world.endpoint()["EndpointConfigName"] == one.endpoint_config_name
    assert world.update_requests[-1] == builders.build_rollback_endpoint(
        settings, one.endpoint_config_name
    )
    assert world.read(CHAMPION) == model_data(world, first), "the champion is unchanged"
    assert world.read(STATE) == state_before
    assert counts(world) == (1, 1), "the failed model and endpoint config are deleted"
    assert not world.object_exists(LOCK)


def test_smoke_failure_of_a_new_endpoint_deletes_it(world, deployer_for):
    arn = world.add_package()
    world.answer("not json", world.predictions(1))
    with pytest.raises(SmokeTestError, match=r"not JSON.*Deleted the new endpoint"):
        deployer_for().rollout(arn)
    assert world.clients.sagemaker.list_endpoints()["Endpoints"] == []
    assert world.object_exists(NO_CHAMPION) and not world.object_exists(CHAMPION)
    assert counts(world) == (0, 0)


def test_slow_answers_fail_the_smoke_test(world, deployer_for):
    arn = world.add_package()
    world.good_answers()
    ticks = iter(range(100))  # each reading of the clock advances one second
    with pytest.raises(SmokeTestError, match="latency 1000 ms exceeds 500 ms"):
        deployer_for(smoke_clock=lambda: float(next(ticks))).rollout(arn)


def test_a_package_without_test_data_is_refused_before_anything_changes(world, deployer_for):
    arn = world.add_package(metadata={"TestDataUri": None})
    with pytest.raises(DeployError, match="no TestDataUri metadata"):
        deployer_for().rollout(arn)
    assert counts(world) == (0, 0)
    outcome = deployer_for().rollout(arn, smoke_test=False)
    assert outcome.action == "created"


def test_a_second_deploy_is_refused_while_the_lock_is_held(world, deployer_for, settings):
    arn = world.add_package()
    other = Lock(clients=world.clients, settings=settings, owner="github-run-1@runner")
    other.acquire("rollout of another package")
    with pytest.raises(LockHeldError, match="Another deploy of staging is running") as caught:
        deployer_for().rollout(arn)
    assert caught.value.exit_code == 3 and "github-run-1@runner" in str(caught.value)
    assert counts(world) == (0, 0)
    assert json.loads(world.read(LOCK))["owner"] == "github-run-1@runner", "not stolen"


def test_no_wait_starts_the_update_and_returns(world, deployer_for):
    first, second = world.add_package(), world.add_package()
    deployer_for().rollout(first, wait=False)
    outcome = deployer_for().rollout(second, wait=False)
    assert outcome.action == "started"
    assert world.read(CHAMPION) == model_data(world, second)


def test_rollback_is_a_rollout_of_the_previous_package_with_the_same_canary(
    world, deployer_for, settings
):
    first, second = world.add_package(), world.add_package()
    world.good_answers()
    deployer_for().rollout(first)
    world.good_answers()
    deployer_for().rollout(second)

    world.good_answers()
    back = deployer_for().rollback()
    assert back.rolled_back and back.action == "updated" and back.model_package_arn == first
    assert back.endpoint_config_name.startswith("sagemaker-gitops-staging-v1-")
    assert world.endpoint()["EndpointConfigName"] == back.endpoint_config_name
    assert world.update_requests[-1] == builders.build_update_endpoint(
        settings, back.endpoint_config_name
    ), "the same canary and auto-rollback alarms as a rollout"
    assert world.read(CHAMPION) == model_data(world, first)
    state = json.loads(world.read(STATE))
    assert state["current"]["model_package_arn"] == first
    assert state["previous"]["model_package_arn"] == second

    with pytest.raises(DeployError, match="No Approved package older than version 1"):
        deployer_for().rollback()
    world.good_answers()
    forward = deployer_for().rollout("latest")
    assert forward.model_package_arn == second and forward.action == "updated"


def test_rollback_rebuilds_a_deleted_previous_config(world, deployer_for):
    first, second = world.add_package(), world.add_package()
    world.good_answers()
    one = deployer_for().rollout(first)
    world.good_answers()
    deployer_for().rollout(second)
    world.clients.sagemaker.delete_endpoint_config(EndpointConfigName=one.endpoint_config_name)

    back = deployer_for().rollback()
    assert back.endpoint_config_name != one.endpoint_config_name
    assert back.endpoint_config_name.startswith("sagemaker-gitops-staging-v1-")
    assert world.endpoint()["EndpointConfigName"] == back.endpoint_config_name


def test_rollback_without_a_previous_deployment_says_so(world, deployer_for):
    arn = world.add_package()
    world.good_answers()
    deployer_for().rollout(arn)
    with pytest.raises(DeployError, match="nothing to roll back to"):
        deployer_for().rollback()
    assert not world.object_exists(LOCK)


def test_a_failed_endpoint_is_reported_with_the_fix(world, deployer_for):
    from moto.sagemaker.models import sagemaker_backends

    first, second = world.add_package(), world.add_package()
    world.good_answers()
    deployer_for().rollout(first)
    endpoint = sagemaker_backends["123456789012"]["us-east-1"].endpoints["sagemaker-gitops-staging"]
    endpoint.endpoint_status, endpoint.failure_reason = "Failed", "capacity"
    with pytest.raises(DeployError, match=r"is Failed \(capacity\).*delete-endpoint"):
        deployer_for().rollout(second)


def test_wait_times_out_with_a_clear_message(world, deployer_for):
    from moto.sagemaker.models import sagemaker_backends

    arn = world.add_package()
    deployer_for().rollout(arn, wait=False)
    endpoint = sagemaker_backends["123456789012"]["us-east-1"].endpoints["sagemaker-gitops-staging"]
    endpoint.endpoint_status = "Updating"
    clock = iter(range(0, 100_000, 600))
    deployer = deployer_for(monotonic=lambda: float(next(clock)), timeout_seconds=1800)
    with pytest.raises(
        DeployError,
        match="Timed out after 1800 s: endpoint sagemaker-gitops-staging is still Updating",
    ):
        deployer.wait_for("another-config")


def test_wait_detects_an_automatic_rollback(world, deployer_for):
    arn = world.add_package()
    deployer_for().rollout(arn, wait=False)
    with pytest.raises(DeployError, match="rolled back automatically"):
        deployer_for().wait_for("the-new-config")


def test_update_request_sequence_with_stubber(world, settings):
    """The update path call by call, with botocore's Stubber on the SageMaker client (moto lacks
    UpdateEndpoint); S3 and CloudWatch stay in moto."""
    import boto3
    from botocore.stub import ANY, Stubber

    from deploy.aws import Clients
    from deploy.rollout import Deployer

    old = "arn:aws:sagemaker:us-east-1:123456789012:model-package/sagemaker-gitops-staging/1"
    new = "arn:aws:sagemaker:us-east-1:123456789012:model-package/sagemaker-gitops-staging/2"
    sm = boto3.client("sagemaker", region_name="us-east-1")
    stub = Stubber(sm)

    def package(arn, version):
        return {
            "ModelPackageArn": arn,
            "ModelPackageGroupName": "sagemaker-gitops-staging",
            "ModelPackageVersion": version,
            "ModelApprovalStatus": "Approved",
            "ModelPackageName": "sagemaker-gitops-staging",
            "CreationTime": "2026-01-01T00:00:00Z",
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": []},
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": "img",
                        "ModelDataUrl": f"s3://{settings.bucket}/staging/models/v{version}/model.tar.gz",
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
            "CustomerMetadataProperties": {"GitSha": f"sha{version}"},
        }

    def serving_old():
        stub.add_response(
            "describe_endpoint",
            {
                "EndpointName": settings.endpoint_name,
                "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/x",
                "EndpointConfigName": "cfg-old",
                "EndpointStatus": "InService",
                "CreationTime": "2026-01-01T00:00:00Z",
                "LastModifiedTime": "2026-01-01T00:00:00Z",
            },
            {"EndpointName": settings.endpoint_name},
        )
        stub.add_response(
            "describe_endpoint_config",
            {
                "EndpointConfigName": "cfg-old",
                "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint-config/x",
                "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "model-old"}],
                "CreationTime": "2026-01-01T00:00:00Z",
            },
            {"EndpointConfigName": "cfg-old"},
        )
        stub.add_response(
            "describe_model",
            {
                "ModelName": "model-old",
                "PrimaryContainer": {"ModelPackageName": old},
                "ExecutionRoleArn": settings.execution_role_arn,
                "CreationTime": "2026-01-01T00:00:00Z",
                "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/model-old",
            },
            {"ModelName": "model-old"},
        )

    def owned_listings():
        for call, key in (("list_endpoint_configs", "EndpointConfigs"), ("list_models", "Models")):
            stub.add_response(
                call, {key: []}, {"NameContains": "sagemaker-gitops-staging", "MaxResults": 100}
            )

    stub.add_response("describe_model_package", package(new, 2), {"ModelPackageName": new})
    serving_old()  # the no-op check
    # the stale check: is the new package older than what serves? (described once per run)
    stub.add_response("describe_model_package", package(old, 1), {"ModelPackageName": old})
    serving_old()  # again under the lock
    owned_listings()  # prune before: leftovers of failed rollouts (none)
    stub.add_response(
        "create_model",
        {"ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m"},
        {
            "ModelName": ANY,
            "ExecutionRoleArn": settings.execution_role_arn,
            "PrimaryContainer": {"ModelPackageName": new},
            "EnableNetworkIsolation": True,
            "Tags": ANY,
        },
    )
    stub.add_response(
        "create_endpoint_config",
        {"EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/c"},
        {
            "EndpointConfigName": ANY,
            "ProductionVariants": ANY,
            "KmsKeyId": settings.kms_key,
            "DataCaptureConfig": ANY,
            "Tags": ANY,
        },
    )
    stub.add_response(
        "update_endpoint",
        {"EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/x"},
        {
            "EndpointName": settings.endpoint_name,
            "EndpointConfigName": ANY,
            "DeploymentConfig": builders.build_update_endpoint(settings, "x")["DeploymentConfig"],
        },
    )
    serving_old()  # prune after: what serves now (still cfg-old: the update is under way)
    owned_listings()
    for version in (1, 2):
        world.clients.s3.put_object(
            Bucket=settings.bucket,
            Key=f"staging/models/v{version}/model.tar.gz",
            Body=f"v{version}".encode(),
        )

    clients = Clients(
        "us-east-1", sagemaker=sm, s3=world.clients.s3, cloudwatch=world.clients.cloudwatch
    )
    with stub:
        outcome = Deployer(clients, settings, out=lambda _l: None, lock_owner="t").rollout(
            new, wait=False, smoke_test=False
        )
        stub.assert_no_pending_responses()
    assert outcome.action == "started" and outcome.endpoint_config_name.startswith(
        "sagemaker-gitops-staging-v2-"
    )
    state = json.loads(world.read(STATE))
    assert state["previous"] == {
        **state["previous"],
        "endpoint_config_name": "cfg-old",
        "model_package_arn": old,
        "model_package_version": 1,
        "git_sha": "sha1",
    }
    assert world.read(CHAMPION) == b"v2"


def test_local_is_refused(world, deployer_for, settings):
    with pytest.raises(DeployError, match="ENV=local has no SageMaker endpoint"):
        deployer_for(settings=replace(settings, environment="local")).rollout("latest")


def test_an_endpoint_mid_update_is_waited_for_then_updated(world, deployer_for):
    """Someone else's update is in progress: the CLI waits for it to settle (on whatever config),
    then rolls out; the Lambda (no wait) refuses so that it is retried later."""
    from moto.sagemaker.models import sagemaker_backends

    first, second = world.add_package(), world.add_package()
    deployer_for().rollout(first, wait=False)
    endpoint = sagemaker_backends[ACCOUNT]["us-east-1"].endpoints["sagemaker-gitops-staging"]
    endpoint.endpoint_status = "Updating"

    with pytest.raises(DeployError, match="is Updating; retry when it is InService"):
        deployer_for().rollout(second, wait=False)

    def settle(_seconds):
        endpoint.endpoint_status = "InService"

    lines: list[str] = []
    world.good_answers()
    outcome = deployer_for(sleep=settle, out=lines.append).rollout(second)
    assert outcome.action == "updated"
    assert any("is Updating; waiting for it first" in line for line in lines)


def test_old_configs_and_models_are_pruned_but_rollback_still_works(world, deployer_for):
    outcomes = []
    for _ in range(7):
        arn = world.add_package()
        outcomes.append(deployer_for().rollout(arn, wait=False))
    names = [o.endpoint_config_name for o in outcomes]
    kept = names[-(world.settings.keep_old_configs + 1) :]  # the current and the newest N older
    configs = world.clients.sagemaker.list_endpoint_configs()["EndpointConfigs"]
    assert sorted(c["EndpointConfigName"] for c in configs) == sorted(kept)
    models = world.clients.sagemaker.list_models()["Models"]
    assert sorted(m["ModelName"] for m in models) == sorted(kept)

    back = deployer_for().rollback(smoke_test=False)
    assert back.model_package_arn == outcomes[-2].model_package_arn


def test_an_automatic_rollback_fails_the_rollout_and_leaves_things_as_they_were(
    world, deployer_for
):
    first, second = world.add_package(), world.add_package()
    world.good_answers()
    one = deployer_for().rollout(first)
    state_before = world.read(STATE)
    world.auto_rollback = True  # SageMaker's canary alarm fires: the endpoint stays on `one`

    with pytest.raises(
        DeployError, match="rolled back automatically to " + one.endpoint_config_name
    ):
        deployer_for().rollout(second)
    assert world.endpoint()["EndpointConfigName"] == one.endpoint_config_name
    assert counts(world) == (1, 1), "the unused config and model are deleted"
    assert world.read(CHAMPION) == model_data(world, first) and world.read(STATE) == state_before
    assert not world.object_exists(LOCK)
