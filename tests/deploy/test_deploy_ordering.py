"""Issue 12, "No ordering guard": a late, retried, redriven or re-sent approval for an OLDER
package never redeploys it over a newer one (rollout, validate-event, the Lambda, promotion,
endpoint off); only an explicit rollback goes back. Against moto (mock_aws)."""

from __future__ import annotations

import time
from dataclasses import replace

from deploy.__main__ import main
from deploy.lambda_handler import handler

from .test_deploy_lambda import event


def configs(world) -> list[str]:
    return sorted(
        c["EndpointConfigName"]
        for c in world.clients.sagemaker.list_endpoint_configs()["EndpointConfigs"]
    )


def test_a_stale_rollout_is_a_logged_no_op_naming_both_versions(world, deployer_for):
    first, second = world.add_package(), world.add_package()
    deployer_for().rollout(first, wait=False)
    deployer_for().rollout(second, wait=False)
    before = configs(world), world.endpoint()["EndpointConfigName"], len(world.update_requests)

    lines: list[str] = []
    outcome = deployer_for(out=lines.append).rollout(first, wait=False)
    assert outcome.action == "stale"
    assert "(version 1) is older than" in outcome.message and "(version 2)" in outcome.message
    assert any("is older than" in line for line in lines), "logged"
    after = configs(world), world.endpoint()["EndpointConfigName"], len(world.update_requests)
    assert after == before, "nothing created, nothing updated"


def test_the_lambda_ignores_a_redriven_event_for_an_older_package(
    world, lambda_environ, monkeypatch
):
    for name, value in lambda_environ.items():
        monkeypatch.setenv(name, value)
    first, second = world.add_package(), world.add_package()
    handler(event(first), None, clients=world.clients)
    handler(event(second), None, clients=world.clients)
    serving = world.endpoint()["EndpointConfigName"]

    replay = handler(event(first), None, clients=world.clients)
    assert replay["status"] == "stale" and "is older than" in replay["message"]
    assert world.endpoint()["EndpointConfigName"] == serving


def test_validate_event_says_stale_and_the_workflow_skips(world, capsys, tmp_path, monkeypatch):
    outputs = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    first, second = world.add_package(), world.add_package()
    for arn in (first, second):
        assert main(["rollout", "--env", "staging", "--model-package-arn", arn, "--no-wait"]) == 0
    capsys.readouterr()

    assert main(["validate-event", "--env", "staging", "--model-package-arn", first]) == 0
    assert "is older than" in capsys.readouterr().out
    last = dict(line.split("=", 1) for line in outputs.read_text().splitlines()[-5:])
    assert last["stale"] == "true" and last["skip"] == "true"
    assert last["already_deployed"] == "false"


def test_an_explicit_rollback_may_go_back(world, deployer_for):
    first, second = world.add_package(), world.add_package()
    deployer_for().rollout(first, wait=False)
    deployer_for().rollout(second, wait=False)
    back = deployer_for().rollback(first, smoke_test=False)
    assert back.rolled_back and back.model_package_arn == first


def test_across_groups_the_registrys_creation_time_orders(world, deployer_for, settings):
    """prod (promote_from: staging) serves a staging package approved after prod's own: a late
    event for prod's older package is stale."""
    prod_group = "sagemaker-gitops-prod"
    promoting = replace(settings, promote_from_group=prod_group)  # staging also takes prod's
    own_old = world.add_package(group=prod_group)
    time.sleep(0.01)  # distinct CreationTime
    newer = world.add_package()
    deployer_for(settings=promoting).rollout(newer, wait=False)
    outcome = deployer_for(settings=promoting).rollout(own_old, wait=False)
    assert outcome.action == "stale"


def test_endpoint_off_a_stale_package_does_not_replace_the_champion(world, deployer_for):
    off = replace(world.settings, endpoint_enabled=False)
    first, second = world.add_package(), world.add_package()
    deployer_for(settings=off).rollout(first)
    deployer_for(settings=off).rollout(second)
    champion = world.read("staging/champion/current/model.tar.gz")
    assert deployer_for(settings=off).rollout(first).action == "stale"
    assert world.read("staging/champion/current/model.tar.gz") == champion
