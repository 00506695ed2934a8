"""The requests `terraform apply` would send for the monitoring resources moto cannot create
(proof/planned_requests.py): built from a plan's values through botocore's input shapes (the
service model stands behind the request's form), so a field SageMaker does not know, or a
missing required one, stops the proof with the resource's address."""

from __future__ import annotations

import copy

import pytest

from proof.moto_server import ProofError
from proof.planned_requests import planned_requests

ROLE = "arn:aws:iam::000000000000:role/p-staging-monitor"
JOB = {
    "name": "p-staging-data-quality",
    "role_arn": ROLE,
    "tags": {},
    "tags_all": {"Environment": "staging", "Project": "p"},
    "data_quality_app_specification": [{
        "image_uri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
        "environment": {"publish_cloudwatch_metrics": "Enabled"},
        "record_preprocessor_source_uri": None,
    }],
    "data_quality_baseline_config": [{
        "constraints_resource": [{"s3_uri": "s3://b/staging/champion/current/baseline/constraints.json"}],
        "statistics_resource": [{"s3_uri": "s3://b/staging/champion/current/baseline/statistics.json"}],
        "baselining_job_name": None,
    }],
    "data_quality_job_input": [{
        "endpoint_input": [{"endpoint_name": "p-staging", "local_path": "/opt/ml/processing/input/endpoint",
                            "s3_data_distribution_type": "FullyReplicated", "s3_input_mode": "File"}],
        "batch_transform_input": [],
    }],
    "data_quality_job_output_config": [{
        "kms_key_id": "arn:aws:kms:us-east-1:000000000000:key/k",
        "monitoring_outputs": [{"s3_output": [{"local_path": "/opt/ml/processing/output",
                                               "s3_uri": "s3://b/staging/monitoring/", "s3_upload_mode": "EndOfJob"}]}],
    }],
    "job_resources": [{"cluster_config": [{"instance_count": 1, "instance_type": "ml.m5.large",
                                           "volume_size_in_gb": 20, "volume_kms_key_id": "arn:aws:kms:us-east-1:000000000000:key/k"}]}],
    "network_config": [{"enable_network_isolation": False, "enable_inter_container_traffic_encryption": True,
                        "vpc_config": []}],
    "stopping_condition": [{"max_runtime_in_seconds": 1800}],
}  # fmt: skip


def plan(*changes: tuple[str, str, dict]) -> dict:
    return {"resource_changes": [
        {"address": address, "type": kind, "mode": "managed",
         "change": {"actions": ["create"], "after": after}}
        for address, kind, after in changes
    ]}  # fmt: skip


def requests(*changes):
    return planned_requests(
        plan(*changes), "github-deploy/staging", "000000000000", "us-east-1", "apply"
    )


def test_a_planned_job_definition_is_the_create_request_sagemaker_takes():
    [create, describe, tags] = requests(
        ("module.monitoring.aws_sagemaker_data_quality_job_definition.this[0]",
         "aws_sagemaker_data_quality_job_definition", JOB)
    )  # fmt: skip
    assert (create.service, create.operation) == ("sagemaker", "CreateDataQualityJobDefinition")
    params = create.params
    assert params["JobDefinitionName"] == "p-staging-data-quality"
    assert params["RoleArn"] == ROLE  # what makes it an iam:PassRole to SageMaker
    assert params["JobResources"]["ClusterConfig"]["VolumeSizeInGB"] == 20
    assert params["DataQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"] == (
        "s3://b/staging/monitoring/"
    )
    assert params["NetworkConfig"]["EnableNetworkIsolation"] is False  # False is a value, kept
    assert "VpcConfig" not in params["NetworkConfig"]  # an absent block is not sent
    assert {"Key": "Environment", "Value": "staging"} in params["Tags"]
    assert describe.operation == "DescribeDataQualityJobDefinition"
    assert tags.params["ResourceArn"].endswith(
        ":data-quality-job-definition/p-staging-data-quality"
    )


def test_a_schedule_a_drift_alarm_and_the_retrain_target_are_requests_too():
    made = requests(
        ("module.monitoring.aws_sagemaker_monitoring_schedule.this[0]", "aws_sagemaker_monitoring_schedule",
         {"name": "p-staging-data-quality", "tags_all": {}, "monitoring_schedule_config": [{
             "monitoring_job_definition_name": "p-staging-data-quality", "monitoring_type": "DataQuality",
             "schedule_config": [{"schedule_expression": "cron(0 * ? * * *)"}]}]}),
        ("module.monitoring.aws_cloudwatch_composite_alarm.drift[0]", "aws_cloudwatch_composite_alarm",
         {"alarm_name": "p-staging-data-drift", "alarm_rule": 'ALARM("a")', "tags_all": {"Project": "p"}}),
        ("module.monitoring.aws_cloudwatch_event_target.retrain[0]", "aws_cloudwatch_event_target",
         {"rule": "p-staging-data-drift", "target_id": "retrain",
          "arn": "arn:aws:sagemaker:us-east-1:000000000000:pipeline/p-staging",
          "role_arn": "arn:aws:iam::000000000000:role/p-staging-events",
          "sagemaker_pipeline_target": [{"pipeline_parameter_list": [{"name": "InputDataUri", "value": "s3://b/raw/"}]}],
          "retry_policy": [{"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 3}]}),
    )  # fmt: skip
    by_operation = {r.operation: r.params for r in made}
    schedule = by_operation["CreateMonitoringSchedule"]["MonitoringScheduleConfig"]
    assert schedule["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    assert by_operation["PutCompositeAlarm"]["Tags"] == [{"Key": "Project", "Value": "p"}]
    [target] = by_operation["PutTargets"]["Targets"]
    assert target["Id"] == "retrain" and target["RoleArn"].endswith("role/p-staging-events")
    assert target["SageMakerPipelineParameters"]["PipelineParameterList"] == [
        {"Name": "InputDataUri", "Value": "s3://b/raw/"}
    ]


def test_a_field_sagemaker_does_not_take_stops_the_proof_with_the_address():
    broken = copy.deepcopy(JOB)
    broken["job_resources"][0]["cluster_config"][0]["instance_count"] = "one"
    with pytest.raises(
        ProofError, match=r"aws_sagemaker_data_quality_job_definition.this\[0\].*InstanceCount"
    ):
        requests(("module.monitoring.aws_sagemaker_data_quality_job_definition.this[0]",
                  "aws_sagemaker_data_quality_job_definition", broken))  # fmt: skip


def test_a_missing_required_field_stops_the_proof():
    broken = copy.deepcopy(JOB)
    del broken["role_arn"]
    with pytest.raises(ProofError, match="RoleArn"):
        requests(("module.monitoring.aws_sagemaker_data_quality_job_definition.this[0]",
                  "aws_sagemaker_data_quality_job_definition", broken))  # fmt: skip


def test_a_planned_type_without_a_translation_is_named():
    with pytest.raises(ProofError, match=r"aws_sns_topic.*add it to CALLS"):
        requests(("module.monitoring.aws_sns_topic.extra", "aws_sns_topic", {"name": "x"}))


def test_resources_outside_monitoring_and_unchanged_ones_are_not_its_business():
    other = plan(("module.endpoint[0].aws_sagemaker_endpoint.this", "aws_sagemaker_endpoint", {}))
    unchanged = plan(("module.monitoring.aws_iam_role.monitor", "aws_iam_role", {}))
    unchanged["resource_changes"][0]["change"]["actions"] = ["no-op"]
    for document in (other, unchanged):
        assert planned_requests(document, "p", "000000000000", "us-east-1", "apply") == []


def test_a_value_known_only_at_apply_keeps_its_member_as_a_placeholder():
    """Staging's plan reads the Model Monitor image (a data source) during apply: image_uri is
    absent from `after` and true in `after_unknown`; the request still has its required ImageUri."""
    planned = copy.deepcopy(JOB)
    del planned["data_quality_app_specification"][0]["image_uri"]
    change = plan(("module.monitoring.aws_sagemaker_data_quality_job_definition.this[0]",
                   "aws_sagemaker_data_quality_job_definition", planned))  # fmt: skip
    change["resource_changes"][0]["change"]["after_unknown"] = {
        "data_quality_app_specification": [{"environment": {}, "image_uri": True}]
    }
    create, *_ = planned_requests(
        change, "github-deploy/staging", "000000000000", "us-east-1", "apply"
    )
    spec = create.params["DataQualityAppSpecification"]
    assert spec["ImageUri"] == "known-after-apply"
    assert spec["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
