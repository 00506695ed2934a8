"""Issue 12, "Rollback": a rollback is a rollout of the previous Approved package: approval
re-checked (a package rejected since is skipped, a named one refused), the same canary and
alarms, the same smoke test (a failure undoes it), the same state and record."""

from __future__ import annotations

import json

import pytest

from deploy import builders
from deploy.errors import RefusedError, SmokeTestError

STATE = "staging/deploy/state.json"


def reject(world, arn: str) -> None:
    world.clients.sagemaker.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Rejected"
    )


def three_deployed(world, deployer_for) -> list[str]:
    arns = [world.add_package() for _ in range(3)]
    for arn in arns:
        deployer_for().rollout(arn, wait=False)
    return arns


def test_a_package_rejected_since_is_skipped(world, deployer_for):
    first, second, _ = three_deployed(world, deployer_for)
    reject(world, second)
    world.good_answers()
    back = deployer_for().rollback()
    assert back.model_package_arn == first, "never onto the Rejected version 2"


def test_a_named_rejected_package_is_refused(world, deployer_for):
    first, _, _ = three_deployed(world, deployer_for)
    reject(world, first)
    with pytest.raises(RefusedError, match="is Rejected, not Approved"):
        deployer_for().rollback(first)


def test_rollback_runs_the_smoke_test_and_undoes_a_failure(world, deployer_for, settings):
    _, _second, third = three_deployed(world, deployer_for)
    serving = world.endpoint()["EndpointConfigName"]
    world.answer(world.predictions(3), world.predictions(1))  # wrong count: the test fails
    with pytest.raises(SmokeTestError, match="3 predictions for 20 rows"):
        deployer_for().rollback()
    assert world.endpoint()["EndpointConfigName"] == serving, "back on version 3"
    canary = builders.build_update_endpoint(settings, "x")["DeploymentConfig"]
    assert world.update_requests[-2]["DeploymentConfig"] == canary, "rolled back by canary"
    assert json.loads(world.read(STATE))["current"]["model_package_arn"] == third


def test_rollback_records_like_a_rollout(world, deployer_for, capsys, tmp_path):
    from deploy.__main__ import main

    _, second, _ = three_deployed(world, deployer_for)
    world.good_answers()
    assert main(["rollback", "--env", "staging", "--poll", "0", "--max-latency-ms", "600000"]) == 0
    path = tmp_path / "staging.json"
    assert main(["record", "--env", "staging", "--out", str(path)]) == 0
    assert json.loads(path.read_text())["model_package_arn"] == second
