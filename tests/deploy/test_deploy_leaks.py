"""Issue 12, "Leaks": what a failed rollout created is deleted at once, and a prune finds the
untracked `<endpoint>-v*` models and endpoint configs by listing them (not by remembering):
leftovers newer than the serving config go, and all but the newest N older ones."""

from __future__ import annotations

import pytest

from deploy.aws import translated_errors
from deploy.errors import DeployError


def names(world) -> tuple[list[str], list[str]]:
    sm = world.clients.sagemaker
    return (
        sorted(c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]),
        sorted(m["ModelName"] for m in sm.list_models()["Models"]),
    )


def test_a_refused_update_endpoint_leaves_no_model_or_config(world, deployer_for):
    first, second = world.add_package(), world.add_package()
    deployer_for().rollout(first, wait=False)
    before = names(world)
    world.fail_update = "Cannot update in-progress endpoint"
    boundary = translated_errors()  # the CLI's and the Lambda's
    with pytest.raises(DeployError, match="Cannot update in-progress endpoint"), boundary:
        deployer_for().rollout(second, wait=False)
    assert names(world) == before


def test_a_failed_endpoint_config_leaves_no_model(world, deployer_for, monkeypatch):
    from botocore.exceptions import ClientError

    arn = world.add_package()

    def refuse(**_request):
        raise ClientError(
            {"Error": {"Code": "ResourceLimitExceeded", "Message": "too many configs"}},
            "CreateEndpointConfig",
        )

    monkeypatch.setattr(world.clients.sagemaker, "create_endpoint_config", refuse)
    with pytest.raises(DeployError, match="too many configs"), translated_errors():
        deployer_for().rollout(arn, wait=False)
    assert names(world) == ([], [])


def test_prune_deletes_untracked_owned_resources_and_nothing_else(world, deployer_for, capsys):
    from deploy.__main__ import main

    sm = world.clients.sagemaker
    arn = world.add_package()
    role = world.settings.execution_role_arn

    def make(name: str, config: bool = True) -> None:
        sm.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={"Image": "i"})
        if config:
            sm.create_endpoint_config(
                EndpointConfigName=name,
                ProductionVariants=[
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": name,
                        "InstanceType": "ml.m5.large",
                        "InitialInstanceCount": 1,
                    }
                ],
            )

    old = [f"sagemaker-gitops-staging-v{n}-2020010100000{n}" for n in range(1, 6)]
    for name in old:
        make(name)
    make("sagemaker-gitops-staging-v9-20200101000009", config=False)  # a model alone
    make("sagemaker-gitops-staging-terraform")  # not deploy/'s name: never touched
    make("sagemaker-gitops-staging-extra-v1-20200101000001")  # another endpoint's
    serving = deployer_for().rollout(arn, wait=False).endpoint_config_name
    leftover = "sagemaker-gitops-staging-v7-20990101000000"  # newer than serving, unused
    make(leftover)

    assert main(["prune", "--env", "staging", "--keep", "2"]) == 0
    configs, models = names(world)
    expected = sorted(
        [
            serving,
            *old[-2:],
            "sagemaker-gitops-staging-terraform",
            "sagemaker-gitops-staging-extra-v1-20200101000001",
        ]
    )
    assert configs == expected and models == expected
    assert leftover in capsys.readouterr().out, "what was deleted is named"
