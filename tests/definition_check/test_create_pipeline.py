"""The CreatePipeline request Terraform sends (terraform/modules/pipeline) against CreatePipeline's
input shape in botocore's model: name pattern, role ARN pattern, definition size (1 MiB)."""

from __future__ import annotations

import json

import pytest

from definition_check.create_pipeline import (
    requests_from_terraform,
    unknown_after_apply,
    validate_request,
)
from env_config import load


def terraform_document(values: dict, planned: bool = True) -> dict:
    """The part of `terraform show -json` the checker reads (a plan's planned_values, or values)."""
    module = {
        "address": "module.pipeline",
        "resources": [
            {"address": "module.pipeline.aws_sagemaker_pipeline.this", "mode": "managed",
             "type": "aws_sagemaker_pipeline", "values": values},
        ],
    }  # fmt: skip
    return {
        ("planned_values" if planned else "values"): {"root_module": {"child_modules": [module]}}
    }


@pytest.fixture
def pipeline_values(template_definitions) -> dict:
    """What the pipeline module sets for dev: names from environments/dev.yaml, the generated
    definition, the execution role Terraform creates."""
    config = load("dev")
    name = config.get("resources.pipeline_name")
    return {
        "pipeline_name": name,
        "pipeline_display_name": name,
        "pipeline_description": "Preprocess -> Train -> Evaluate -> QualityGate -> RegisterModel | RejectModel (dev)",
        "role_arn": config.execution_role_arn,
        "pipeline_definition": json.dumps(template_definitions["dev"], indent=2, sort_keys=True),
        "parallelism_configuration": [{"max_parallel_execution_steps": 2}],
        "tags_all": {"Project": config.get("project"), "Environment": "dev"},
    }


@pytest.mark.parametrize("planned", [True, False])
def test_the_request_for_dev_is_valid(pipeline_values, planned):
    requests = requests_from_terraform(terraform_document(pipeline_values, planned))
    assert list(requests) == ["module.pipeline.aws_sagemaker_pipeline.this"]
    [request] = requests.values()
    assert request["ParallelismConfiguration"] == {"MaxParallelExecutionSteps": 2}
    assert {"Key": "Environment", "Value": "dev"} in request["Tags"]
    assert validate_request(request) == []


def test_a_name_sagemaker_refuses(pipeline_values):
    pipeline_values["pipeline_name"] = "sagemaker_gitops_dev"
    [request] = requests_from_terraform(terraform_document(pipeline_values)).values()
    [problem] = map(str, validate_request(request))
    assert problem.startswith(
        "pipeline: CreatePipeline.PipelineName: value string 'sagemaker_gitops_dev' does not match"
    )


def test_a_role_that_is_not_an_iam_role_arn(pipeline_values):
    pipeline_values["role_arn"] = "sagemaker-gitops-dev-execution"
    [request] = requests_from_terraform(terraform_document(pipeline_values)).values()
    assert any(
        "CreatePipeline.RoleArn: value string 'sagemaker-gitops-dev-execution'" in str(p)
        for p in validate_request(request)
    )


def test_a_definition_over_the_size_limit(pipeline_values):
    definition = json.loads(pipeline_values["pipeline_definition"])
    definition["Metadata"] = {"padding": "x" * 1_048_576}
    pipeline_values["pipeline_definition"] = json.dumps(definition)
    [request] = requests_from_terraform(terraform_document(pipeline_values)).values()
    [problem] = map(str, validate_request(request))
    assert problem.startswith("pipeline: CreatePipeline.PipelineDefinition: value string")
    assert "is longer than 1048576 characters" in problem


def test_the_definition_inside_the_request_is_checked_too(pipeline_values):
    definition = json.loads(pipeline_values["pipeline_definition"])
    definition["Steps"][0]["Arguments"]["RoleArn"] = 42
    pipeline_values["pipeline_definition"] = json.dumps(definition)
    [request] = requests_from_terraform(terraform_document(pipeline_values)).values()
    assert [str(p) for p in validate_request(request)] == [
        "step Preprocess: Arguments.RoleArn: expects a string (RoleArn), got number 42"
    ]


def test_a_role_known_only_after_apply_is_not_reported_missing(pipeline_values):
    del pipeline_values["role_arn"]
    document = terraform_document(pipeline_values)
    address = "module.pipeline.aws_sagemaker_pipeline.this"
    document["resource_changes"] = [
        {"address": address, "change": {"after_unknown": {"role_arn": True, "arn": True}}}
    ]
    [request] = requests_from_terraform(document).values()
    assert [str(p) for p in validate_request(request)] == [
        "pipeline: CreatePipeline.RoleArn: required by CreatePipelineRequest but missing"
    ]
    assert validate_request(request, unknown_after_apply(document, address)) == []
