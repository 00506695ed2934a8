"""The model registry side: resolve a package (an ARN or 'latest'), refuse what must not deploy,
and find which package an endpoint serves (the basis of every no-op and replay check)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from deploy.aws import Clients, error_message, is_not_found
from deploy.builders import VARIANT_NAME, PackageArn, parse_model_package_arn
from deploy.errors import DeployError, RefusedError
from deploy.settings import Settings

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
APPROVE_HINT = (
    "Approve it in the model registry (SageMaker Studio, or `aws sagemaker update-model-package "
    "--model-package-arn <arn> --model-approval-status Approved`)."
)


@dataclass(frozen=True)
class Package:
    arn: str
    group: str
    version: int
    status: str
    image: str
    model_data_url: str
    metadata: dict[str, str] = field(default_factory=dict)
    evaluation_uri: str = ""
    created: datetime | None = None  # the registry's CreationTime (orders across groups)

    @property
    def git_sha(self) -> str:
        return self.metadata.get("GitSha", "")

    @property
    def test_data_uri(self) -> str:
        return self.metadata.get("TestDataUri", "")

    @property
    def hyperparameters(self) -> dict[str, Any]:
        try:
            return json.loads(self.metadata.get("Hyperparameters", "") or "{}")
        except json.JSONDecodeError:
            return {}

    @classmethod
    def from_description(cls, description: dict) -> Package:
        containers = description.get("InferenceSpecification", {}).get("Containers", [{}])
        container = containers[0] if containers else {}
        quality = description.get("ModelMetrics", {}).get("ModelQuality", {})
        arn = description["ModelPackageArn"]
        return cls(
            arn=arn,
            group=description.get("ModelPackageGroupName", "")
            or parse_model_package_arn(arn).group,
            version=int(
                description.get("ModelPackageVersion") or parse_model_package_arn(arn).version
            ),
            status=description.get("ModelApprovalStatus", ""),
            image=container.get("Image", ""),
            model_data_url=container.get("ModelDataUrl", ""),
            metadata=dict(description.get("CustomerMetadataProperties") or {}),
            evaluation_uri=quality.get("Statistics", {}).get("S3Uri", ""),
            created=description.get("CreationTime"),
        )


def describe_package(clients: Clients, arn: str) -> Package:
    parse_model_package_arn(arn)
    try:
        description = clients.sagemaker.describe_model_package(ModelPackageName=arn)
    except Exception as error:
        if is_not_found(error):
            raise RefusedError(
                f"Model package {arn} does not exist (or this role cannot see it): "
                f"{error_message(error)}"
            ) from None
        raise
    return Package.from_description(description)


def latest_approved_arn(clients: Clients, group: str) -> str:
    try:
        response = clients.sagemaker.list_model_packages(
            ModelPackageGroupName=group,
            ModelApprovalStatus="Approved",
            SortBy="CreationTime",
            SortOrder="Descending",
            MaxResults=1,
        )
    except Exception as error:
        if is_not_found(error):
            raise RefusedError(
                f"Model package group '{group}' does not exist: {error_message(error)}. "
                "Create it with `make apply ENV=<env>`."
            ) from None
        raise
    summaries = response.get("ModelPackageSummaryList", [])
    if not summaries:
        raise RefusedError(
            f"No Approved model package in group '{group}'. Run the pipeline, then approve a "
            f"package. {APPROVE_HINT}"
        )
    return summaries[0]["ModelPackageArn"]


def refuse_group(settings: Settings, arn: str, group: str) -> None:
    """Refuse a package outside the environment's accepted groups (its own, promote_from's)."""
    if settings.scope_of(group) is not None:
        return
    names = " or ".join(f"'{name}'" for name in settings.accepted_groups)
    raise RefusedError(
        f"Model package {arn} belongs to group '{group}'; environment {settings.environment} "
        f"deploys only packages of {names}. Deploy it to its own environment, register the model "
        "in an accepted group, or set approval.promote_from in "
        f"environments/{settings.environment}.yaml to promote from that group's environment."
    )


def refuse_scope(settings: Settings, arn: object) -> PackageArn:
    """Parse an ARN strictly and refuse one from another group, account or region than the
    environment's (or promote_from's): a package elsewhere is never this environment's."""
    parsed = parse_model_package_arn(arn)
    refuse_group(settings, parsed.arn, parsed.group)
    account, region = settings.scope_of(parsed.group) or ("", "")
    if account and parsed.account != account:
        raise RefusedError(
            f"Model package {parsed.arn} is in account {parsed.account}; environment "
            f"{settings.environment} deploys packages of group '{parsed.group}' from account "
            f"{account} only (environments/{settings.environment}.yaml). Use the ARN from that "
            "account's registry."
        )
    if parsed.region != region:
        raise RefusedError(
            f"Model package {parsed.arn} is in region {parsed.region}; environment "
            f"{settings.environment} deploys packages of group '{parsed.group}' from {region} "
            "only. Use the ARN from that region's registry."
        )
    return parsed


def check_deployable(settings: Settings, package: Package) -> None:
    """Refuse a package that is not Approved or is outside the accepted groups."""
    refuse_group(settings, package.arn, package.group)
    if package.status != "Approved":
        raise RefusedError(
            f"Model package {package.arn} is {package.status or 'without a status'}, not "
            f"Approved: refusing to deploy it. {APPROVE_HINT}"
        )


def resolve(clients: Clients, settings: Settings, requested: str | None) -> Package:
    """The package to deploy: an ARN (format, group, account, region and status checked) or the
    latest Approved of the environment's OWN group (a promoted package is always named by its
    ARN). Only the word 'latest' (or None from code) means latest: an empty ARN is refused."""
    if requested is None or requested == "latest":
        arn = latest_approved_arn(clients, settings.model_package_group)
    else:
        arn = refuse_scope(settings, requested).arn
    package = describe_package(clients, arn)
    check_deployable(settings, package)
    return package


# -- ordering: which package is newer -------------------------------------------------------------


def is_older(candidate: Package, than: Package) -> bool:
    """True if `candidate` came before `than`: by version within one group, by the registry's
    CreationTime across groups (a promoted staging package against prod's own)."""
    if candidate.arn == than.arn:
        return False
    if candidate.group.lower() == than.group.lower():
        return candidate.version < than.version
    if candidate.created and than.created:
        return candidate.created < than.created
    return False  # unknown order: never call a package stale on a guess


def approved_summaries(clients: Clients, settings: Settings) -> list[dict]:
    """Every Approved package of the accepted groups (ListModelPackages, all pages), newest
    first by CreationTime."""
    found: list[dict] = []
    for group in settings.accepted_groups:
        token = None
        while True:
            kwargs: dict[str, Any] = {
                "ModelPackageGroupName": group,
                "ModelApprovalStatus": "Approved",
                "SortBy": "CreationTime",
                "SortOrder": "Descending",
                "MaxResults": 100,
            }
            if token:
                kwargs["NextToken"] = token
            try:
                response = clients.sagemaker.list_model_packages(**kwargs)
            except Exception as error:
                if is_not_found(error):
                    break
                raise
            found.extend(response.get("ModelPackageSummaryList", []))
            token = response.get("NextToken")
            if not token:
                break
    return sorted(found, key=lambda s: s.get("CreationTime") or EPOCH, reverse=True)


# -- what an endpoint serves ----------------------------------------------------------------------


@dataclass(frozen=True)
class Serving:
    endpoint_name: str
    status: str
    config_name: str
    package_arn: str
    pending_config_name: str = ""
    pending_package_arn: str = ""
    failure_reason: str = ""
    last_modified: str = ""


def describe_endpoint(clients: Clients, name: str) -> dict | None:
    try:
        return clients.sagemaker.describe_endpoint(EndpointName=name)
    except Exception as error:
        if is_not_found(error):
            return None
        raise


def package_of_config(clients: Clients, config_name: str) -> str:
    """The model package behind an endpoint config: its model's container, else its tag."""
    if not config_name:
        return ""
    try:
        config = clients.sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    except Exception as error:
        if is_not_found(error):
            return ""
        raise
    variants = config.get("ProductionVariants", [])
    variant = next((v for v in variants if v.get("VariantName") == VARIANT_NAME), None)
    variant = variant or (variants[0] if variants else {})
    model_name = variant.get("ModelName", "")
    if model_name:
        try:
            model = clients.sagemaker.describe_model(ModelName=model_name)
        except Exception as error:
            if not is_not_found(error):
                raise
            model = {}
        containers = [model.get("PrimaryContainer") or {}, *(model.get("Containers") or [])]
        for container in containers:
            if container.get("ModelPackageName"):
                return container["ModelPackageName"]
    arn = config.get("EndpointConfigArn", "")
    if arn:
        tags = clients.sagemaker.list_tags(ResourceArn=arn).get("Tags", [])
        for tag in tags:
            if tag.get("Key") == "ModelPackageArn":
                return tag.get("Value", "")
    return ""


def serving(clients: Clients, endpoint_name: str) -> Serving | None:
    """What the endpoint serves now (and what it is being updated to), or None if absent."""
    endpoint = describe_endpoint(clients, endpoint_name)
    if endpoint is None:
        return None
    config_name = endpoint.get("EndpointConfigName", "")
    pending = (endpoint.get("PendingDeploymentSummary") or {}).get("EndpointConfigName", "")
    if pending == config_name:
        pending = ""
    last_modified = endpoint.get("LastModifiedTime")
    return Serving(
        endpoint_name=endpoint_name,
        status=endpoint.get("EndpointStatus", ""),
        config_name=config_name,
        package_arn=package_of_config(clients, config_name),
        pending_config_name=pending,
        pending_package_arn=package_of_config(clients, pending) if pending else "",
        failure_reason=endpoint.get("FailureReason", "") or "",
        last_modified=last_modified.isoformat() if hasattr(last_modified, "isoformat") else "",
    )


def ensure_not_local(settings: Settings, command: str) -> None:
    if settings.is_local:
        raise DeployError(
            f"ENV=local has no SageMaker endpoint: `{command}` is for dev, staging and prod. "
            "Locally use `make deploy ENV=local` and `python -m local_runner` "
            "(run|models|approve|serve|undeploy|status|logs)."
        )
