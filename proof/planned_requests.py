"""The requests `terraform apply` sends for what moto cannot create, derived from the plan.

Model Monitor's schedule exists only once deployments/<env>.json names a package, and moto has
no CreateMonitoringSchedule or CreateDataQualityJobDefinition, so the monitored environment's
monitoring resources are planned, not applied (proof/terraform_world.py). The deploy role's
apply of them still has to be proven: each planned `create` of module.monitoring becomes the
requests the AWS provider sends for that resource type (the create call, built from the planned
values through botocore's input shape and validated against it, then the provider's read-back),
so a request the provider would send with a field SageMaker does not know fails here, not on
AWS. The IAM decision on each is iam-simulate's, like every other request of the proof.

A planned resource type this module does not know stops the proof with its name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore import xform_name
from botocore.validate import ParamValidator

from proof.moto_server import ProofError
from proof.requests import Request, service_model

MODULE = "module.monitoring."


def _arn(account: str, region: str, service: str, rest: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{rest}"


def _convert(value: Any, shape) -> Any:
    """A Terraform value (snake_case attributes, blocks as lists) -> the API's shape."""
    kind = shape.type_name
    if kind == "structure":
        if isinstance(value, list):  # a nested block: a list of at most one
            value = value[0] if value else {}
        return from_terraform(value, shape)
    if kind == "list":
        member = shape.member
        if isinstance(value, dict):  # a Terraform map where the API takes [{Key/Name, Value}]
            names = list(member.members)
            return [{names[0]: k, names[1]: v} for k, v in sorted(value.items())]
        return [_convert(item, member) for item in value]
    if kind == "map":
        return dict(value)
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def from_terraform(values: dict, shape, renames: dict[str, str] | None = None) -> dict:
    """The request members of `shape` that the planned `values` set (renames: API member ->
    Terraform attribute where the names differ, e.g. JobDefinitionName -> name)."""
    renames = renames or {}
    out = {}
    for member, member_shape in shape.members.items():
        attribute = renames.get(member, xform_name(member))
        value = values.get(attribute)
        if not _empty(value):
            out[member] = _convert(value, member_shape)
    return out


def _build(
    service: str, operation: str, values: dict, renames: dict[str, str], address: str
) -> dict:
    shape = service_model(service).operation_model(operation).input_shape
    return _validated(service, operation, from_terraform(values, shape, renames), address)


def _validated(service: str, operation: str, params: dict, address: str) -> dict:
    shape = service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise ProofError(
            f"{address}: the {service}:{operation} request built from the plan does not match "
            f"botocore's input shape: {report.generate_report()}"
        )
    return params


def _tags(values: dict) -> dict:
    """The provider sends tags_all (default_tags merged) on create."""
    return {"tags": values.get("tags_all") or values.get("tags") or {}}


# type -> the requests its create sends: a function of (values, arn helper, address).
Calls = Callable[[dict, Callable[[str, str], str], str], list[tuple[str, str, dict]]]


def _sagemaker_named(create: str, describe: str, name_member: str, arn_type: str) -> Calls:
    """A SageMaker resource Terraform names with `name`: the create call, then the provider's
    read-back (for a schedule it waits for the Scheduled status) and its tags."""

    def calls(values, arn, address):
        name = values["name"]
        params = _build("sagemaker", create, values | _tags(values), {name_member: "name"},
                        address)  # fmt: skip
        return [
            ("sagemaker", create, params),
            ("sagemaker", describe, {name_member: name}),
            ("sagemaker", "ListTags", {"ResourceArn": arn("sagemaker", f"{arn_type}/{name.lower()}")}),
        ]  # fmt: skip

    return calls


def _metric_alarm(values, arn, address):
    create = _build("cloudwatch", "PutMetricAlarm", values | _tags(values), {}, address)
    return _alarm_reads("PutMetricAlarm", create, values, arn)


def _composite_alarm(values, arn, address):
    create = _build("cloudwatch", "PutCompositeAlarm", values | _tags(values), {}, address)
    return _alarm_reads("PutCompositeAlarm", create, values, arn)


def _alarm_reads(operation, create, values, arn):
    name = values["alarm_name"]
    return [
        ("cloudwatch", operation, create),
        ("cloudwatch", "DescribeAlarms", {"AlarmNames": [name]}),
        ("cloudwatch", "ListTagsForResource", {"ResourceARN": arn("cloudwatch", f"alarm:{name}")}),
    ]


def _event_rule(values, arn, address):
    create = _build("events", "PutRule", values | _tags(values), {}, address)
    name = values["name"]
    return [
        ("events", "PutRule", create),
        ("events", "DescribeRule", {"Name": name}),
        ("events", "ListTagsForResource", {"ResourceARN": arn("events", f"rule/{name}")}),
    ]


def _event_target(values, arn, address):
    shape = service_model("events").operation_model("PutTargets").input_shape
    target = from_terraform(values, shape.members["Targets"].member, {
        "Id": "target_id", "SageMakerPipelineParameters": "sagemaker_pipeline_target",
    })  # fmt: skip
    params = _validated("events", "PutTargets", {"Rule": values["rule"], "Targets": [target]},
                        address)  # fmt: skip
    return [
        ("events", "PutTargets", params),
        ("events", "ListTargetsByRule", {"Rule": values["rule"]}),
    ]


CALLS: dict[str, Calls] = {
    "aws_sagemaker_data_quality_job_definition": _sagemaker_named(
        "CreateDataQualityJobDefinition",
        "DescribeDataQualityJobDefinition",
        "JobDefinitionName",
        "data-quality-job-definition",
    ),
    "aws_sagemaker_monitoring_schedule": _sagemaker_named(
        "CreateMonitoringSchedule",
        "DescribeMonitoringSchedule",
        "MonitoringScheduleName",
        "monitoring-schedule",
    ),
    "aws_cloudwatch_metric_alarm": _metric_alarm,
    "aws_cloudwatch_composite_alarm": _composite_alarm,
    "aws_cloudwatch_event_rule": _event_rule,
    "aws_cloudwatch_event_target": _event_target,
}


UNKNOWN = "known-after-apply"


def with_unknowns(after: Any, unknown: Any) -> Any:
    """The planned values with every value Terraform knows only at apply time (after_unknown:
    true, e.g. the Model Monitor image read by a data source during apply) set to UNKNOWN, so the
    request keeps its required members. Such a value never decides an IAM request here: the
    resources and roles the decisions turn on (names, role ARNs) are known at plan time, and a
    placeholder in one would name no real resource, so an allowed-as-required request fails."""
    if unknown is True:
        return UNKNOWN
    if isinstance(after, dict) and isinstance(unknown, dict):
        keys = set(after) | {k for k, v in unknown.items() if v is True or k not in after}
        return {k: with_unknowns(after.get(k), unknown.get(k)) for k in keys}
    if isinstance(after, list) and isinstance(unknown, list):
        return [
            with_unknowns(a, unknown[i] if i < len(unknown) else None) for i, a in enumerate(after)
        ]
    return after


def planned_requests(
    plan: dict, principal: str, account: str, region: str, source: str
) -> list[Request]:
    """Every request the apply of `plan`'s creates in module.monitoring sends, as `principal`."""
    out: list[Request] = []

    def arn(service: str, rest: str) -> str:
        return _arn(account, region, service, rest)

    for change in plan.get("resource_changes", []):
        address = change["address"]
        if not address.startswith(MODULE) or change.get("mode") == "data":
            continue
        if "create" not in change["change"]["actions"]:
            continue
        calls = CALLS.get(change["type"])
        if calls is None:
            raise ProofError(
                f"{address}: the plan creates a {change['type']} that proof/planned_requests.py "
                "cannot turn into the provider's requests: add it to CALLS."
            )
        values = with_unknowns(
            change["change"]["after"] or {}, change["change"].get("after_unknown")
        )
        for service, operation, params in calls(values, arn, address):
            out.append(Request(principal, service, operation, params, f"{source}: {address}"))
    return out
