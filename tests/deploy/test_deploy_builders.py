"""The pure request builders: every field a deploy sends to SageMaker, checked as data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import botocore.session
import pytest
from botocore.validate import ParamValidator

from deploy import builders
from deploy.errors import RefusedError

ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/sagemaker-gitops-staging/7"
NOW = datetime(2026, 11, 23, 13, 5, 9, tzinfo=UTC)


def validate(operation: str, request: dict) -> None:
    """The request matches botocore's model of the API (so a typo in a key fails here)."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    report = ParamValidator().validate(request, model.operation_model(operation).input_shape)
    assert not report.has_errors(), report.generate_report()


def test_parse_model_package_arn():
    parsed = builders.parse_model_package_arn(ARN)
    assert (parsed.region, parsed.account, parsed.group, parsed.version) == (
        "us-east-1", "123456789012", "sagemaker-gitops-staging", 7,
    )


@pytest.mark.parametrize("bad", [
    "", "latest-ish", "arn:aws:sagemaker:us-east-1:123456789012:model-package/group",
    "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/group",
    "arn:aws:sagemaker:us-east-1:12345:model-package/group/1",
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/group/0",
    "arn:aws:s3:::bucket/key",
])
def test_bad_arns_are_refused_with_the_expected_form(bad):
    with pytest.raises(RefusedError, match="model-package/<group>/<version>"):
        builders.parse_model_package_arn(bad)


def test_resource_name_is_unique_sortable_and_within_limits():
    assert builders.resource_name("sagemaker-gitops-staging", 7, NOW) == (
        "sagemaker-gitops-staging-v7-20261123130509"
    )
    long_name = builders.resource_name("e" * 80, 123, NOW)
    assert len(long_name) == builders.NAME_LIMIT and long_name.endswith("-v123-20261123130509")


def test_create_model_uses_the_package_and_the_network_settings(settings):
    parsed = builders.parse_model_package_arn(ARN)
    tags = builders.build_tags(settings, parsed, "abc")
    request = builders.build_create_model(settings, ARN, "m-1", tags)
    assert request["PrimaryContainer"] == {"ModelPackageName": ARN}
    assert request["EnableNetworkIsolation"] is True
    assert request["ExecutionRoleArn"] == settings.execution_role_arn
    assert "VpcConfig" not in request
    assert {"Key": "ModelPackageArn", "Value": ARN} in tags
    assert {"Key": "GitSha", "Value": "abc"} in tags
    validate("CreateModel", request)

    in_vpc = replace(settings, subnet_ids=("subnet-1", "subnet-2"), security_group_ids=("sg-1",),
                     network_isolation=False)
    request = builders.build_create_model(in_vpc, ARN, "m-1", tags)
    assert request["VpcConfig"] == {
        "Subnets": ["subnet-1", "subnet-2"],
        "SecurityGroupIds": ["sg-1"],
    }
    assert request["EnableNetworkIsolation"] is False
    validate("CreateModel", request)


def test_endpoint_config_has_kms_one_variant_and_data_capture(settings):
    request = builders.build_endpoint_config(settings, "c-1", "m-1", [])
    assert request["KmsKeyId"] == "alias/sagemaker-gitops-staging"
    assert request["ProductionVariants"] == [{
        "VariantName": "AllTraffic", "ModelName": "m-1", "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1, "InitialVariantWeight": 1.0,
    }]
    capture = request["DataCaptureConfig"]
    assert capture["EnableCapture"] is True and capture["InitialSamplingPercentage"] == 20
    assert capture["DestinationS3Uri"] == (
        "s3://sagemaker-gitops-staging-artifacts-000000000000/staging/datacapture/sagemaker-gitops-staging"
    )
    assert capture["KmsKeyId"] == settings.kms_key
    validate("CreateEndpointConfig", request)


def test_no_data_capture_when_the_percentage_is_zero(settings):
    no_capture = replace(settings, data_capture_percent=0)
    request = builders.build_endpoint_config(no_capture, "c", "m", [])
    assert "DataCaptureConfig" not in request


def test_update_is_canary_blue_green_with_auto_rollback_on_both_alarms(settings):
    request = builders.build_update_endpoint(settings, "c-2")
    assert request == {
        "EndpointName": "sagemaker-gitops-staging",
        "EndpointConfigName": "c-2",
        "DeploymentConfig": {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "CANARY",
                    "WaitIntervalInSeconds": 60,
                    "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                },
                "TerminationWaitInSeconds": 60,
            },
            "AutoRollbackConfiguration": {"Alarms": [
                {"AlarmName": "sagemaker-gitops-staging-5xx"},
                {"AlarmName": "sagemaker-gitops-staging-latency"},
            ]},
        },
    }
    validate("UpdateEndpoint", request)


def test_linear_and_all_at_once_deployment_configs():
    linear = builders.build_deployment_config("LINEAR", step_percent=25, wait_seconds=30,
                                              termination_wait_seconds=0, alarm_names=("a",))
    routing = linear["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["LinearStepSize"] == {"Type": "CAPACITY_PERCENT", "Value": 25}
    assert "CanarySize" not in routing
    whole = builders.build_deployment_config("ALL_AT_ONCE", step_percent=100, wait_seconds=0,
                                             termination_wait_seconds=0)
    assert whole["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] == {
        "Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0,
    }
    assert "AutoRollbackConfiguration" not in whole
    with pytest.raises(ValueError, match="traffic_type"):
        builders.build_deployment_config("BLUE", step_percent=1, wait_seconds=0,
                                         termination_wait_seconds=0)
    with pytest.raises(ValueError, match="step_percent"):
        builders.build_deployment_config("CANARY", step_percent=100, wait_seconds=0,
                                         termination_wait_seconds=0)


def test_rollback_request_shifts_all_traffic_at_once(settings):
    request = builders.build_rollback_endpoint(settings, "c-old")
    assert request["EndpointConfigName"] == "c-old"
    policy = request["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"]["Type"] == "ALL_AT_ONCE"
    validate("UpdateEndpoint", request)


def test_create_endpoint_and_s3_keys(settings):
    request = builders.build_create_endpoint(settings, "c-1", [{"Key": "a", "Value": "b"}])
    assert request == {"EndpointName": "sagemaker-gitops-staging", "EndpointConfigName": "c-1",
                       "Tags": [{"Key": "a", "Value": "b"}]}
    validate("CreateEndpoint", request)
    assert builders.champion_key(settings) == "staging/champion/current/model.tar.gz"
    assert builders.no_champion_key(settings) == "staging/champion/current/NO_CHAMPION"
    assert builders.lock_key(settings) == "staging/deploy/lock"
    assert builders.state_key(settings) == "staging/deploy/state.json"
    assert builders.split_s3_uri("s3://b/k/x.tar.gz") == ("b", "k/x.tar.gz")
    with pytest.raises(ValueError):
        builders.split_s3_uri("b/k")


def test_record_shape(settings):
    record = builders.build_record(settings, endpoint_config_name="c", model_package_arn=ARN,
                                   model_package_version=7, deployed_at="t", git_sha="g")
    assert sorted(record) == sorted([
        "environment", "endpoint_name", "endpoint_config_name", "model_package_arn",
        "model_package_version", "deployed_at", "git_sha",
    ])
    assert record["environment"] == "staging" and record["endpoint_name"] == settings.endpoint_name
