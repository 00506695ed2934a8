"""Issue 12, "State drifts from reality": state.json and the champion copy are a cache,
reconciled with what the endpoint really serves on every run, so an interrupted rollout (Ctrl-C)
or a --no-wait rollout that SageMaker rolled back never leaves them wrong for long, and the next
rollback does not skip a version."""

from __future__ import annotations

import json

import pytest

from deploy.state import CHAMPION_ARN_METADATA

CHAMPION = "staging/champion/current/model.tar.gz"
STATE = "staging/deploy/state.json"


def model_data(world, arn: str) -> bytes:
    url = world.clients.sagemaker.describe_model_package(ModelPackageName=arn)[
        "InferenceSpecification"
    ]["Containers"][0]["ModelDataUrl"]
    return world.read(url.split("/", 3)[3])


def interrupted_rollout(world, deployer_for, arn: str) -> None:
    """Ctrl-C while waiting: UpdateEndpoint was sent (and completes), nothing else ran."""
    deployer = deployer_for()

    def interrupt(_config_name):
        raise KeyboardInterrupt

    deployer.wait_for = interrupt
    with pytest.raises(KeyboardInterrupt):
        deployer.rollout(arn, smoke_test=False)


def test_after_an_interrupted_rollout_a_no_op_repairs_state_and_champion(world, deployer_for):
    first, second = world.add_package(), world.add_package()
    deployer_for().rollout(first, wait=False)
    interrupted_rollout(world, deployer_for, second)
    assert json.loads(world.read(STATE))["current"]["model_package_arn"] == first  # drifted

    again = deployer_for().rollout(second, wait=False)
    assert again.action == "noop"
    state = json.loads(world.read(STATE))
    assert state["current"]["model_package_arn"] == second
    assert state["current"]["endpoint_config_name"] == world.endpoint()["EndpointConfigName"]
    assert world.read(CHAMPION) == model_data(world, second)
    head = world.clients.s3.head_object(Bucket=world.settings.bucket, Key=CHAMPION)
    assert head["Metadata"][CHAMPION_ARN_METADATA] == second


def test_the_next_rollback_does_not_skip_a_version(world, deployer_for):
    first, second, third = (world.add_package() for _ in range(3))
    deployer_for().rollout(first, wait=False)
    deployer_for().rollout(second, wait=False)
    interrupted_rollout(world, deployer_for, third)  # the state still says 2, previous 1
    world.good_answers()
    back = deployer_for().rollback()
    assert back.model_package_arn == second


def test_a_no_wait_rollout_that_sagemaker_rolled_back_is_repaired(world, deployer_for):
    first, second = world.add_package(), world.add_package()
    deployer_for().rollout(first, wait=False)
    serving = world.endpoint()["EndpointConfigName"]
    world.auto_rollback = True  # the alarm fires after the Lambda returned
    started = deployer_for().rollout(second, wait=False)
    assert started.action == "started"
    assert world.read(CHAMPION) == model_data(world, second)  # believed, not true
    world.auto_rollback = False

    again = deployer_for().rollout(first, wait=False)  # e.g. a replayed event
    assert again.action == "noop"
    assert json.loads(world.read(STATE))["current"]["model_package_arn"] == first
    assert world.read(CHAMPION) == model_data(world, first)
    names = [
        c["EndpointConfigName"]
        for c in world.clients.sagemaker.list_endpoint_configs()["EndpointConfigs"]
    ]
    assert names == [serving], "the rolled-back config and its model are deleted"
    assert [m["ModelName"] for m in world.clients.sagemaker.list_models()["Models"]] == [serving]


def test_a_corrupt_state_file_is_rebuilt_from_the_endpoint(world, deployer_for):
    first, second = world.add_package(), world.add_package()
    deployer_for().rollout(first, wait=False)
    world.clients.s3.put_object(Bucket=world.settings.bucket, Key=STATE, Body=b"{not json")
    assert deployer_for().rollout(second, wait=False).action == "started"
    state = json.loads(world.read(STATE))
    assert state["current"]["model_package_arn"] == second
    assert state["previous"]["model_package_arn"] == first
