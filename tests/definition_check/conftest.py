"""Definitions to check: this template's, generated once per session, and one the template did
not write (a batch pipeline built with the SageMaker SDK v3 through the same offline recipe)."""

from __future__ import annotations

import json
import logging

import pytest


@pytest.fixture(scope="session")
def template_definitions(generated_definition) -> dict[str, dict]:
    """dev, staging and prod definitions as `make definition` writes them (once per test run)."""
    return {env: json.loads(generated_definition(env)) for env in ("dev", "staging", "prod")}


@pytest.fixture
def dev(template_definitions) -> dict:
    """A fresh copy of dev's definition for a test to mutate."""
    return json.loads(json.dumps(template_definitions["dev"]))


@pytest.fixture(scope="session")
def foreign_definition() -> dict:
    """Lambda -> Condition(Or, Not, In) -> Transform + Callback | Fail: step types and expressions
    this template never writes, built by the SDK itself (not a hand copy of its output)."""
    import boto3

    from build_pipeline.offline import SDK_CONFIG, offline_aws

    logging.disable(logging.WARNING)
    with offline_aws("eu-west-1"):
        from sagemaker.core.lambda_helper import Lambda
        from sagemaker.core.transformer import Transformer
        from sagemaker.core.workflow import (
            ConditionEquals,
            ConditionGreaterThan,
            ConditionIn,
            ConditionNot,
            ConditionOr,
            ExecutionVariables,
            Join,
            ParameterInteger,
            ParameterString,
        )
        from sagemaker.core.workflow.pipeline_context import PipelineSession
        from sagemaker.mlops.workflow.callback_step import (
            CallbackOutput,
            CallbackOutputTypeEnum,
            CallbackStep,
        )
        from sagemaker.mlops.workflow.condition_step import ConditionStep
        from sagemaker.mlops.workflow.fail_step import FailStep
        from sagemaker.mlops.workflow.lambda_step import (
            LambdaOutput,
            LambdaOutputTypeEnum,
            LambdaStep,
        )
        from sagemaker.mlops.workflow.pipeline import Pipeline
        from sagemaker.mlops.workflow.steps import TransformStep

        session = PipelineSession(
            boto_session=boto3.Session(region_name="eu-west-1"),
            sagemaker_config=SDK_CONFIG,
            default_bucket="other-team-bucket",
        )
        data = ParameterString(name="BatchInput", default_value="s3://other-team-bucket/batch/in/")
        count = ParameterInteger(name="Instances", default_value=1)
        mode = ParameterString(name="Mode", default_value="full", enum_values=["full", "sample"])
        pick = LambdaStep(
            name="PickModel",
            lambda_func=Lambda(
                function_arn="arn:aws:lambda:eu-west-1:111122223333:function:pick-model"
            ),
            inputs={"group": "churn", "run": ExecutionVariables.PIPELINE_EXECUTION_ID},
            outputs=[
                LambdaOutput(output_name="model_name", output_type=LambdaOutputTypeEnum.String),
                LambdaOutput(output_name="ready", output_type=LambdaOutputTypeEnum.Boolean),
            ],
        )
        transformer = Transformer(
            model_name=pick.properties.Outputs["model_name"],
            instance_count=2,
            instance_type="ml.m5.xlarge",
            output_path=Join(
                on="/",
                values=[
                    "s3://other-team-bucket/batch/out",
                    ExecutionVariables.PIPELINE_EXECUTION_ID,
                ],
            ),
            accept="text/csv",
            assemble_with="Line",
            sagemaker_session=session,
        )
        score = TransformStep(
            name="Score",
            step_args=transformer.transform(data=data, content_type="text/csv", split_type="Line"),
        )
        notify = CallbackStep(
            name="Notify",
            sqs_queue_url="https://sqs.eu-west-1.amazonaws.com/111122223333/approvals",
            inputs={"output": score.properties.TransformOutput.S3OutputPath},
            outputs=[
                CallbackOutput(output_name="approved", output_type=CallbackOutputTypeEnum.Boolean)
            ],
        )
        stop = FailStep(
            name="Stop",
            error_message=Join(
                on=" ", values=["not ready:", pick.properties.Outputs["model_name"]]
            ),
        )
        ready = ConditionStep(
            name="Ready",
            conditions=[
                ConditionOr(
                    conditions=[
                        ConditionEquals(left=pick.properties.Outputs["ready"], right=True),
                        ConditionNot(expression=ConditionIn(value=mode, in_values=["sample"])),
                    ]
                ),
                ConditionGreaterThan(left=count, right=0),
            ],
            if_steps=[score, notify],
            else_steps=[stop],
        )
        pipeline = Pipeline(
            name="other-team-batch",
            parameters=[data, count, mode],
            steps=[pick, ready],
            sagemaker_session=session,
        )
        return json.loads(pipeline.definition())


@pytest.fixture
def foreign(foreign_definition) -> dict:
    return json.loads(json.dumps(foreign_definition))


def steps_by_name(definition: dict) -> dict[str, dict]:
    """Every step, also inside conditions, by name (tests mutate them in place)."""
    found: dict[str, dict] = {}

    def visit(steps: list[dict]) -> None:
        for step in steps:
            found[step["Name"]] = step
            if step["Type"] == "Condition":
                visit(step["Arguments"].get("IfSteps", []))
                visit(step["Arguments"].get("ElseSteps", []))

    visit(definition["Steps"])
    return found


@pytest.fixture(scope="session")
def step_of():
    return steps_by_name
