"""Promotion (approval.promote_from): prod deploys a package approved in staging's group, its
model data staying in staging's bucket; a package of any other group is refused, and `latest`
still means prod's own group. Against moto (mock_aws). Every name comes from environments/*.yaml."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from deploy.aws import Clients
from deploy.errors import RefusedError
from deploy.rollout import Deployer
from deploy.settings import Settings
from env_config import load

from .conftest import (
    ACCOUNT,
    REGION,
    World,
    at_moto_account,
    create_bucket,
    create_rollback_alarms,
    environ_for_lambda,
    install_moto_extensions,
)


def at_moto(settings: Settings) -> Settings:
    role = settings.execution_role_arn.rsplit("/", 1)[-1]
    return replace(
        at_moto_account(settings), execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{role}"
    )


@pytest.fixture
def prod() -> Settings:
    return at_moto(Settings.from_env_config(load("prod")))


@pytest.fixture
def promotion(prod, monkeypatch):
    """Three environments' buckets and groups in one moto account; prod has no champion yet."""
    from moto import mock_aws

    with mock_aws():
        clients = Clients(REGION)
        for name in ("dev", "staging", "prod"):
            config = load(name)
            create_bucket(clients.s3, config.bucket)
            clients.sagemaker.create_model_package_group(
                ModelPackageGroupName=config.model_package_group
            )
        clients.s3.put_object(
            Bucket=prod.bucket, Key=f"{prod.prefix}/champion/current/NO_CHAMPION", Body=b""
        )
        create_rollback_alarms(clients.cloudwatch, prod)
        world = World(clients, prod)
        install_moto_extensions(world, monkeypatch)
        yield world


def register(world: World, env: str, status: str = "Approved") -> str:
    """A package in env's group whose model and test split live in env's own bucket."""
    config = load(env)
    s3 = world.clients.s3
    model_key = f"{config.prefix}/models/job-1/output/model.tar.gz"
    s3.put_object(Bucket=config.bucket, Key=model_key, Body=f"model of {env}".encode())
    s3.put_object(
        Bucket=config.bucket,
        Key=f"{config.prefix}/processed/exec-1/test/test.csv",
        Body=world.make_test_csv().encode(),
    )
    return world.clients.sagemaker.create_model_package(
        ModelPackageGroupName=config.model_package_group,
        ModelApprovalStatus=status,
        InferenceSpecification={
            "Containers": [
                {
                    "Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/"
                    f"{config.get('resources.inference_image_repository')}@sha256:" + "a" * 64,
                    "ModelDataUrl": f"s3://{config.bucket}/{model_key}",
                }
            ],
            "SupportedContentTypes": ["text/csv", "application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        CustomerMetadataProperties={
            "GitSha": "1" * 40,
            "TestDataUri": f"s3://{config.bucket}/{config.prefix}/processed/exec-1/test/",
            "Hyperparameters": json.dumps({"max_iter": 200}),
        },
    )["ModelPackageArn"]


def deployer(world: World, settings: Settings) -> Deployer:
    ticks = iter(i * 0.001 for i in range(10_000))
    return Deployer(
        world.clients,
        settings,
        out=lambda _line: None,
        sleep=lambda _s: None,
        poll_seconds=0,
        smoke_clock=lambda: next(ticks),
        lock_owner="test-owner",
    )


def read(world: World, bucket: str, key: str) -> bytes:
    return world.clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_prod_accepts_its_own_group_and_stagings():
    settings = Settings.from_env_config(load("prod"))
    assert settings.accepted_groups == (
        load("prod").model_package_group,
        load("staging").model_package_group,
    )
    assert Settings.from_env_config(load("staging")).accepted_groups == (
        load("staging").model_package_group,
    )


def test_prod_deploys_an_approved_staging_package_from_stagings_bucket(promotion, prod):
    arn = register(promotion, "staging")
    promotion.answer(promotion.predictions(prod.smoke_rows), promotion.predictions(1))

    outcome = deployer(promotion, prod).rollout(arn)

    assert outcome.action == "created" and outcome.model_package_arn == arn
    endpoint = promotion.endpoint()
    assert endpoint["EndpointStatus"] == "InService"
    config = promotion.clients.sagemaker.describe_endpoint_config(
        EndpointConfigName=endpoint["EndpointConfigName"]
    )
    model = promotion.clients.sagemaker.describe_model(
        ModelName=config["ProductionVariants"][0]["ModelName"]
    )
    assert model["PrimaryContainer"] == {"ModelPackageName": arn}
    # The champion is prod's own copy of staging's artifact, in prod's bucket.
    champion = f"{prod.prefix}/champion/current/model.tar.gz"
    assert read(promotion, prod.bucket, champion) == b"model of staging"
    assert not promotion.object_exists(f"{prod.prefix}/champion/current/NO_CHAMPION")


def test_prod_refuses_a_dev_package_naming_the_accepted_groups(promotion, prod):
    arn = register(promotion, "dev")
    with pytest.raises(RefusedError) as caught:
        deployer(promotion, prod).rollout(arn)
    message = str(caught.value)
    assert f"belongs to group '{load('dev').model_package_group}'" in message
    assert (
        f"'{load('prod').model_package_group}' or '{load('staging').model_package_group}'"
        in message
    )
    assert promotion.clients.sagemaker.list_endpoints()["Endpoints"] == []


def test_prod_refuses_a_staging_package_that_is_not_approved(promotion, prod):
    arn = register(promotion, "staging", status="PendingManualApproval")
    with pytest.raises(RefusedError, match="not Approved"):
        deployer(promotion, prod).rollout(arn)


def test_latest_means_prods_own_group_never_stagings(promotion, prod):
    register(promotion, "staging")
    with pytest.raises(RefusedError) as caught:
        deployer(promotion, prod).rollout("latest")
    assert f"No Approved model package in group '{prod.model_package_group}'" in str(caught.value)
    assert promotion.clients.sagemaker.list_endpoints()["Endpoints"] == []


def test_a_lambda_without_promote_from_group_refuses_a_staging_package(promotion, prod):
    arn = register(promotion, "staging")
    settings = Settings.from_environ(environ_for_lambda(prod))
    assert settings.accepted_groups == (prod.model_package_group,)
    with pytest.raises(
        RefusedError, match=f"deploys only packages of '{prod.model_package_group}'"
    ):
        deployer(promotion, settings).rollout(arn)
    assert promotion.clients.sagemaker.list_endpoints()["Endpoints"] == []


def test_a_lambda_with_promote_from_group_deploys_a_staging_package(promotion, prod):
    arn = register(promotion, "staging")
    environ = {
        **environ_for_lambda(prod),
        "PROMOTE_FROM_GROUP": load("staging").model_package_group,
    }
    settings = Settings.from_environ(environ)
    assert settings.accepted_groups == prod.accepted_groups
    outcome = deployer(promotion, settings).rollout(arn, wait=False, smoke_test=False)
    assert outcome.action == "created" and outcome.model_package_arn == arn
