"""The CreatePipeline request Terraform sends (terraform/modules/pipeline), against its input shape:
PipelineName pattern and length, RoleArn pattern, the definition's size limit (1 MiB in
CreatePipeline's shape), description, parallelism, tags; and the definition it carries.

The request comes from `terraform show -json` of a plan (planned_values) or of the state (values):
the attributes of each aws_sagemaker_pipeline resource, mapped to the API members the AWS
provider sends them as.
"""

from __future__ import annotations

import json
from typing import Any

from definition_check import service_model
from definition_check.checker import check
from definition_check.context import Context
from definition_check.problems import Problem
from definition_check.request_shapes import check_value

# The provider generates the idempotency token itself.
SUPPLIED = frozenset({"ClientRequestToken"})
_ATTRIBUTES = {
    "pipeline_name": "PipelineName",
    "pipeline_display_name": "PipelineDisplayName",
    "pipeline_description": "PipelineDescription",
    "role_arn": "RoleArn",
    "pipeline_definition": "PipelineDefinition",
}


def validate_request(
    request: dict[str, Any], unknown: frozenset[str] = frozenset(), where: str = "CreatePipeline"
) -> list[Problem]:
    """Problems of one CreatePipeline request, the definition it carries included. Members in
    `unknown` are known only after apply (a role ARN of a role the same apply creates)."""
    ctx = Context()
    shape = service_model.input_shape("CreatePipeline")
    check_value(request, shape, ctx, None, where, SUPPLIED | unknown)
    text = request.get("PipelineDefinition")
    if isinstance(text, str):
        try:
            definition = json.loads(text)
        except json.JSONDecodeError as error:
            ctx.problem(None, f"{where}.PipelineDefinition", f"is not JSON: {error}")
        else:
            ctx.report.problems += check(definition).problems
    return ctx.report.problems


def requests_from_terraform(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{resource address: CreatePipeline request} for every aws_sagemaker_pipeline in a
    `terraform show -json` document (of a saved plan or of the state)."""
    root = (document.get("planned_values") or document.get("values") or {}).get("root_module", {})
    return {
        resource["address"]: _request(resource.get("values") or {})
        for resource in _resources(root)
        if resource.get("type") == "aws_sagemaker_pipeline" and resource.get("mode") == "managed"
    }


def unknown_after_apply(document: dict[str, Any], address: str) -> frozenset[str]:
    """The request members a plan knows only after apply (`after_unknown`), e.g. the RoleArn of
    a role created by the same apply: the state (after apply) has them, a plan cannot."""
    for change in document.get("resource_changes", []):
        if change.get("address") == address:
            unknown = (change.get("change") or {}).get("after_unknown") or {}
            return frozenset(m for a, m in _ATTRIBUTES.items() if unknown.get(a) is True)
    return frozenset()


def _resources(module: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(module.get("resources", []))
    for child_module in module.get("child_modules", []):
        found += _resources(child_module)
    return found


def _request(values: dict[str, Any]) -> dict[str, Any]:
    request = {
        member: values[attribute]
        for attribute, member in _ATTRIBUTES.items()
        if values.get(attribute) is not None
    }
    parallelism = values.get("parallelism_configuration") or []
    if parallelism:
        request["ParallelismConfiguration"] = {
            "MaxParallelExecutionSteps": parallelism[0]["max_parallel_execution_steps"]
        }
    tags = values.get("tags_all") or values.get("tags") or {}
    if tags:
        request["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
    return request
