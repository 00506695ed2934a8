"""Pure request builders: each returns the exact dict one SageMaker call takes. No AWS, no clock.

Kept apart from the calls that send them (rollout.py) so that every field is unit-tested as data,
and so that a reviewer reads one function to know what a deploy asks AWS for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from deploy.errors import RefusedError
from deploy.settings import Settings

MODEL_PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package/(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9]\d{0,9})"
)
NAME_LIMIT = 63  # SageMaker model and endpoint-config names
VARIANT_NAME = "AllTraffic"
TRAFFIC_TYPES = ("CANARY", "LINEAR", "ALL_AT_ONCE")


@dataclass(frozen=True)
class PackageArn:
    arn: str
    region: str
    account: str
    group: str
    version: int


def parse_model_package_arn(arn: object) -> PackageArn:
    """A versioned model package ARN, or RefusedError that shows the expected form.

    Strict on purpose: an empty value never means "latest" (only the word does), and whitespace
    anywhere (a trailing newline from a shell or a copied event) is refused rather than trimmed,
    because `$` in a regular expression would also accept "...:model-package/g/3\\n".
    """
    if not isinstance(arn, str):
        raise RefusedError(
            f"The model package ARN must be a string, got {type(arn).__name__} {arn!r:.80}. "
            "Pass one versioned ARN (arn:aws:sagemaker:<region>:<account>:model-package/"
            "<group>/<version>)."
        )
    if not arn:
        raise RefusedError(
            "The model package ARN is empty (an empty value never means 'latest'). Pass "
            "arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>, or the word "
            "'latest' for the newest Approved package of the environment's group."
        )
    if any(char.isspace() for char in arn):
        raise RefusedError(
            f"The model package ARN {arn!r:.200} contains whitespace (a trailing newline?). "
            "Pass the ARN alone, without spaces or line breaks."
        )
    match = MODEL_PACKAGE_ARN.fullmatch(arn)
    if not match:
        raise RefusedError(
            f"'{arn:.200}' is not a versioned model package ARN. Expected "
            "arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version> "
            "(or 'latest' for the newest Approved package of the environment's group)."
        )
    return PackageArn(
        arn=arn,
        region=match["region"],
        account=match["account"],
        group=match["group"],
        version=int(match["version"]),
    )


def resource_name(endpoint_name: str, version: int, now: datetime) -> str:
    """Unique, sortable name for a model and its endpoint config: <endpoint>-v<N>-<UTC stamp>.

    An endpoint config is immutable, so every rollout gets a new one; the stamp keeps a redeploy
    of the same version (after a rollback) from colliding with the old name.
    """
    suffix = f"-v{version}-{now.strftime('%Y%m%d%H%M%S')}"
    return endpoint_name[: NAME_LIMIT - len(suffix)].rstrip("-") + suffix


def build_tags(settings: Settings, package: PackageArn, git_sha: str = "") -> list[dict[str, str]]:
    tags = [
        {"Key": "Environment", "Value": settings.environment},
        {"Key": "ModelPackageArn", "Value": package.arn},
        {"Key": "ModelPackageVersion", "Value": str(package.version)},
        {"Key": "ManagedBy", "Value": "deploy"},
    ]
    if git_sha:
        tags.append({"Key": "GitSha", "Value": git_sha})
    return tags


def build_create_model(
    settings: Settings, package_arn: str, model_name: str, tags: list[dict[str, str]]
) -> dict:
    """CreateModel from the versioned package (its image and model data), per-env network."""
    request: dict = {
        "ModelName": model_name,
        "ExecutionRoleArn": settings.execution_role_arn,
        "PrimaryContainer": {"ModelPackageName": package_arn},
        "EnableNetworkIsolation": settings.network_isolation,
        "Tags": tags,
    }
    if settings.subnet_ids:
        request["VpcConfig"] = {
            "Subnets": list(settings.subnet_ids),
            "SecurityGroupIds": list(settings.security_group_ids),
        }
    return request


def build_data_capture_config(settings: Settings) -> dict | None:
    """Request/response capture to s3://<bucket>/<prefix>/datacapture/<endpoint>/, or None."""
    if settings.data_capture_percent <= 0:
        return None
    return {
        "EnableCapture": True,
        "InitialSamplingPercentage": settings.data_capture_percent,
        "DestinationS3Uri": settings.s3_uri("datacapture", settings.endpoint_name),
        "KmsKeyId": settings.kms_key,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {
            "CsvContentTypes": ["text/csv"],
            "JsonContentTypes": ["application/json"],
        },
    }


def build_endpoint_config(
    settings: Settings, config_name: str, model_name: str, tags: list[dict[str, str]]
) -> dict:
    """CreateEndpointConfig: one variant, KMS-encrypted storage, optional data capture."""
    request: dict = {
        "EndpointConfigName": config_name,
        "ProductionVariants": [
            {
                "VariantName": VARIANT_NAME,
                "ModelName": model_name,
                "InstanceType": settings.instance_type,
                "InitialInstanceCount": settings.instance_count,
                "InitialVariantWeight": 1.0,
            }
        ],
        "KmsKeyId": settings.kms_key,
        "Tags": tags,
    }
    capture = build_data_capture_config(settings)
    if capture:
        request["DataCaptureConfig"] = capture
    return request


def build_create_endpoint(
    settings: Settings, config_name: str, tags: list[dict[str, str]]
) -> dict:
    return {"EndpointName": settings.endpoint_name, "EndpointConfigName": config_name, "Tags": tags}


def build_deployment_config(
    traffic_type: str,
    *,
    step_percent: int,
    wait_seconds: int,
    termination_wait_seconds: int,
    alarm_names: tuple[str, ...] = (),
) -> dict:
    """Blue/green DeploymentConfig: CANARY (step_percent first, then the rest after wait_seconds),
    LINEAR (step_percent at a time, wait_seconds apart) or ALL_AT_ONCE; auto-rollback on alarms."""
    if traffic_type not in TRAFFIC_TYPES:
        raise ValueError(f"traffic_type must be one of {TRAFFIC_TYPES}, got {traffic_type!r}")
    if traffic_type != "ALL_AT_ONCE" and not 1 <= step_percent <= 99:
        raise ValueError(f"step_percent must be in [1, 99] for {traffic_type}, got {step_percent}")
    routing: dict = {"Type": traffic_type, "WaitIntervalInSeconds": wait_seconds}
    size = {"Type": "CAPACITY_PERCENT", "Value": step_percent}
    if traffic_type == "CANARY":
        routing["CanarySize"] = size
    elif traffic_type == "LINEAR":
        routing["LinearStepSize"] = size
    config: dict = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": termination_wait_seconds,
        }
    }
    if alarm_names:
        config["AutoRollbackConfiguration"] = {
            "Alarms": [{"AlarmName": name} for name in alarm_names]
        }
    return config


def build_update_endpoint(settings: Settings, config_name: str) -> dict:
    """UpdateEndpoint for a rollout: canary blue/green, auto-rollback on the 5xx/latency alarms."""
    return {
        "EndpointName": settings.endpoint_name,
        "EndpointConfigName": config_name,
        "DeploymentConfig": build_deployment_config(
            "CANARY",
            step_percent=settings.canary_percent,
            wait_seconds=settings.canary_wait_seconds,
            termination_wait_seconds=settings.termination_wait_seconds,
            alarm_names=settings.alarm_names,
        ),
    }


def build_rollback_endpoint(settings: Settings, config_name: str) -> dict:
    """UpdateEndpoint for a rollback: all traffic at once, no canary wait (it is an emergency)."""
    return {
        "EndpointName": settings.endpoint_name,
        "EndpointConfigName": config_name,
        "DeploymentConfig": build_deployment_config(
            "ALL_AT_ONCE", step_percent=100, wait_seconds=0, termination_wait_seconds=0
        ),
    }


def champion_key(settings: Settings) -> str:
    return settings.key("champion", "current", "model.tar.gz")


def no_champion_key(settings: Settings) -> str:
    return settings.key("champion", "current", "NO_CHAMPION")


def state_key(settings: Settings) -> str:
    return settings.key("deploy", "state.json")


def lock_key(settings: Settings) -> str:
    return settings.key("deploy", "lock")


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def build_record(
    settings: Settings,
    *,
    endpoint_config_name: str,
    model_package_arn: str,
    model_package_version: int,
    deployed_at: str,
    git_sha: str,
) -> dict:
    """deployments/<env>.json: what serves where (git shows every deployment)."""
    return {
        "environment": settings.environment,
        "endpoint_name": settings.endpoint_name,
        "endpoint_config_name": endpoint_config_name,
        "model_package_arn": model_package_arn,
        "model_package_version": model_package_version,
        "deployed_at": deployed_at,
        "git_sha": git_sha,
    }
