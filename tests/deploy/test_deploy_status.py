"""`status` and `logs`: executions from moto, their steps from conftest's moto extension
(moto lacks ListPipelineExecutionSteps), log events from moto's CloudWatch Logs."""

from __future__ import annotations

import json
import time

import pytest

from deploy import status
from deploy.errors import DeployError

JOB_ARN = "arn:aws:sagemaker:us-east-1:123456789012:{kind}/{name}"


def start_execution(world) -> str:
    sm = world.clients.sagemaker
    if not sm.list_pipelines()["PipelineSummaries"]:
        sm.create_pipeline(
            PipelineName=world.settings.pipeline_name,
            PipelineDefinition=json.dumps({"Version": "2020-12-01", "Steps": []}),
            RoleArn=world.settings.execution_role_arn,
        )
    return sm.start_pipeline_execution(PipelineName=world.settings.pipeline_name)[
        "PipelineExecutionArn"
    ]


def failed_run_steps() -> list[dict]:
    return [
        {
            "StepName": "Preprocess",
            "StepStatus": "Succeeded",
            "Metadata": {
                "ProcessingJob": {"Arn": JOB_ARN.format(kind="processing-job", name="pre-abc")}
            },
        },
        {
            "StepName": "Train",
            "StepStatus": "Failed",
            "FailureReason": "ClientError: AlgorithmError: see the job's logs",
            "Metadata": {
                "TrainingJob": {"Arn": JOB_ARN.format(kind="training-job", name="train-abc")}
            },
        },
    ]


def test_status_shows_steps_the_failing_step_its_logs_and_what_serves(world, deployer_for):
    arn = world.add_package()
    world.good_answers()
    deployer_for().rollout(arn)
    ok_run = start_execution(world)
    world.steps[ok_run] = [
        {"StepName": "Evaluate", "StepStatus": "Succeeded"},
        {
            "StepName": "QualityGate",
            "StepStatus": "Succeeded",
            "Metadata": {"Condition": {"Outcome": "True"}},
        },
        {
            "StepName": "RegisterModel",
            "StepStatus": "Succeeded",
            "Metadata": {"RegisterModel": {"Arn": arn}},
        },
    ]
    failed = start_execution(world)
    world.steps[failed] = failed_run_steps()

    text = status.status(world.clients, world.settings)

    assert "Environment staging · pipeline sagemaker-gitops-staging" in text
    assert "QualityGate" in text and "outcome True" in text
    assert "Failed step: Train: ClientError: AlgorithmError: see the job's logs" in text
    assert "make logs ENV=staging STEP=Train" in text
    assert "aws logs tail /aws/sagemaker/TrainingJobs --log-stream-name-prefix train-abc" in text
    assert (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:" in text
    )
    assert f"InService · model package version 1 {arn}" in text


def test_status_without_runs_or_endpoint(world):
    world.clients.sagemaker.create_pipeline(
        PipelineName=world.settings.pipeline_name,
        PipelineDefinition=json.dumps({"Version": "2020-12-01", "Steps": []}),
        RoleArn=world.settings.execution_role_arn,
    )
    text = status.status(world.clients, world.settings)
    assert "No pipeline executions yet." in text and "not deployed" in text


def test_status_of_a_missing_pipeline_says_to_apply(world):
    with pytest.raises(DeployError, match="make apply ENV=staging"):
        status.status(world.clients, world.settings)


def test_step_metadata_is_parsed():
    step = status.Step.from_api(failed_run_steps()[1])
    assert (step.job_kind, step.job_name, step.log_group) == (
        "TrainingJob",
        "train-abc",
        "/aws/sagemaker/TrainingJobs",
    )
    fail = status.Step.from_api(
        {
            "StepName": "RejectModel",
            "StepStatus": "Failed",
            "Metadata": {"Fail": {"ErrorMessage": "accuracy 0.8 < 0.92"}},
        }
    )
    assert fail.detail == "accuracy 0.8 < 0.92" and fail.log_group == ""


def test_logs_prints_every_stream_of_the_steps_job(world):
    run = start_execution(world)
    world.steps[run] = failed_run_steps()
    logs = world.clients.logs
    group = "/aws/sagemaker/TrainingJobs"
    now_ms = int(time.time() * 1000)  # CloudWatch (and moto) drop events older than 14 days
    logs.create_log_group(logGroupName=group)
    for stream, messages in (
        ("train-abc/algo-1-1", ["epoch 1", "Traceback: boom"]),
        ("train-abc/algo-2-1", ["worker up"]),
        ("train-other/algo-1-1", ["not ours"]),
    ):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now_ms + i, "message": m} for i, m in enumerate(messages)],
        )
    lines: list[str] = []
    printed = status.logs(world.clients, world.settings, "Train", out=lines.append)
    assert printed == 3
    assert lines == [
        f"==> {group} train-abc/algo-1-1",
        "epoch 1",
        "Traceback: boom",
        f"==> {group} train-abc/algo-2-1",
        "worker up",
    ]


def test_logs_of_a_step_without_a_job_or_an_unknown_step(world):
    run = start_execution(world)
    world.steps[run] = [
        {
            "StepName": "RejectModel",
            "StepStatus": "Failed",
            "Metadata": {"Fail": {"ErrorMessage": "accuracy below threshold"}},
        }
    ]
    lines: list[str] = []
    assert status.logs(world.clients, world.settings, "RejectModel", out=lines.append) == 0
    assert "runs no job" in lines[0] and "accuracy below threshold" in lines[1]
    with pytest.raises(DeployError, match=r"Step 'Tain' is not in execution .*steps: RejectModel"):
        status.logs(world.clients, world.settings, "Tain", out=lines.append)


def test_a_gate_rejection_shows_its_message_and_no_logs_command(world):
    run = start_execution(world)
    world.steps[run] = [
        {
            "StepName": "QualityGate",
            "StepStatus": "Succeeded",
            "Metadata": {"Condition": {"Outcome": "False"}},
        },
        {
            "StepName": "RejectModel",
            "StepStatus": "Failed",
            "Metadata": {"Fail": {"ErrorMessage": "accuracy 0.81 below 0.92"}},
        },
    ]
    text = status.status(world.clients, world.settings)
    assert "Failed step: RejectModel: accuracy 0.81 below 0.92" in text
    assert "make logs" not in text
