"""One Settings shape, two constructors: environments/<env>.yaml (CLI) and os.environ (Lambda)."""

from __future__ import annotations

import pytest

from deploy.errors import DeployError
from deploy.settings import REQUIRED_LAMBDA_VARIABLES, Settings


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_from_env_config_reads_every_value_from_the_file(env):
    from env_config import load

    config = load(env)
    settings = Settings.from_env_config(config)
    assert settings.environment == env
    assert settings.bucket == config.bucket and settings.prefix == config.prefix
    assert settings.model_package_group == config.model_package_group
    assert settings.endpoint_name == config.get("resources.endpoint_name")
    assert settings.kms_key == config.get("resources.kms_key_alias")
    assert settings.instance_count == config.get("endpoint.initial_instance_count")
    assert settings.canary_wait_seconds == config.get("endpoint.deployment.wait_seconds")
    capture = config.get("endpoint.data_capture")
    assert settings.data_capture_percent == (
        capture["sampling_percentage"] if capture["enabled"] else 0
    )
    assert settings.alarm_names == (
        f"{settings.endpoint_name}-5xx",
        f"{settings.endpoint_name}-latency",
    )
    assert settings.pipeline_name == config.get("resources.pipeline_name")


def test_from_environ_builds_the_same_deploy_settings(settings, lambda_environ):
    from_lambda = Settings.from_environ(lambda_environ)
    for name in (
        "environment",
        "region",
        "bucket",
        "prefix",
        "model_package_group",
        "endpoint_name",
        "execution_role_arn",
        "kms_key",
        "instance_type",
        "instance_count",
        "data_capture_percent",
        "canary_percent",
        "canary_wait_seconds",
        "termination_wait_seconds",
        "subnet_ids",
        "security_group_ids",
        "network_isolation",
        "pipeline_name",
    ):
        assert getattr(from_lambda, name) == getattr(settings, name), name
    assert from_lambda.account_id == "123456789012"


def test_from_environ_optional_values_and_lists(lambda_environ):
    environ = {k: v for k, v in lambda_environ.items() if k in REQUIRED_LAMBDA_VARIABLES}
    environ.update(
        AWS_REGION="eu-west-1",
        SUBNET_IDS="subnet-a, subnet-b,",
        SECURITY_GROUP_IDS="sg-1",
        ARTIFACT_PREFIX="/staging/",
    )
    parsed = Settings.from_environ(environ)
    assert parsed.subnet_ids == ("subnet-a", "subnet-b") and parsed.security_group_ids == ("sg-1",)
    assert parsed.prefix == "staging" and parsed.region == "eu-west-1"
    assert parsed.network_isolation is True and parsed.data_capture_percent == 0


def test_from_environ_names_every_missing_variable():
    with pytest.raises(DeployError) as caught:
        Settings.from_environ({"AWS_REGION": "us-east-1", "ENDPOINT_NAME": "e"})
    message = str(caught.value)
    assert "MODEL_PACKAGE_GROUP" in message and "KMS_KEY_ARN" in message
    assert "ENDPOINT_NAME" not in message.split(":")[1].split(".")[0]


def test_from_environ_rejects_a_non_integer(lambda_environ):
    environ = lambda_environ | {"ENDPOINT_INSTANCE_COUNT": "two"}
    with pytest.raises(DeployError, match="ENDPOINT_INSTANCE_COUNT='two'"):
        Settings.from_environ(environ)


def test_unknown_environment_is_a_deploy_error():
    from deploy.settings import load

    with pytest.raises(DeployError, match="Valid: dev, local, prod, staging"):
        load("qa")
