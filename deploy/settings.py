"""Everything a deploy needs to know about one environment, in one frozen dataclass.

Two constructors, one shape:
- `Settings.from_env_config(config)` for the CLI and the workflow (environments/<env>.yaml via
  env_config, which needs PyYAML);
- `Settings.from_environ(environ)` for the Lambda, whose runtime has no PyYAML: Terraform passes the
  same values as environment variables (names in docs/interfaces.md and docs/deploy.md).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deploy.errors import DeployError

# Variables Terraform must set on the Lambda (docs/interfaces.md).
REQUIRED_LAMBDA_VARIABLES = (
    "DEPLOY_ENVIRONMENT",
    "MODEL_PACKAGE_GROUP",
    "ENDPOINT_NAME",
    "EXECUTION_ROLE_ARN",
    "KMS_KEY_ARN",
    "ARTIFACT_BUCKET",
    "ARTIFACT_PREFIX",
    "ENDPOINT_INSTANCE_TYPE",
    "ENDPOINT_INSTANCE_COUNT",
)
# Optional ones, with the value used when absent (the safe choice for each).
OPTIONAL_LAMBDA_VARIABLES = {
    "ENDPOINT_DATA_CAPTURE_PERCENT": "0",  # 0 = data capture off
    "ENDPOINT_CANARY_PERCENT": "10",
    "ENDPOINT_CANARY_WAIT_SECONDS": "600",
    "ENDPOINT_TERMINATION_WAIT_SECONDS": "300",
    "SUBNET_IDS": "",  # comma-separated; empty = no VPC
    "SECURITY_GROUP_IDS": "",
    "ENABLE_NETWORK_ISOLATION": "true",
    "PIPELINE_NAME": "",
    "ENDPOINT_ENABLED": "true",
    # Promotion: the model package group of approval.promote_from's environment; empty = none,
    # so a Lambda without it deploys only its own group's packages.
    "PROMOTE_FROM_GROUP": "",
}


@dataclass(frozen=True)
class Settings:
    environment: str
    region: str
    bucket: str
    prefix: str
    model_package_group: str
    endpoint_name: str
    execution_role_arn: str
    kms_key: str  # an alias name (alias/x), a key ARN or an alias ARN: SageMaker takes each
    instance_type: str
    instance_count: int
    data_capture_percent: int  # 0 = off
    canary_percent: int
    canary_wait_seconds: int
    termination_wait_seconds: int
    smoke_rows: int = 20
    smoke_max_latency_ms: int = 500
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    network_isolation: bool = True
    pipeline_name: str = ""
    account_id: str = ""
    # endpoint.enabled: false (dev by default) means no endpoint: an approved package only
    # becomes the champion, and the record names it for the day the endpoint is turned on.
    endpoint_enabled: bool = True
    # Promotion (approval.promote_from): the group of the environment whose approved packages
    # this one also deploys, e.g. prod deploys staging's. "" = only its own group.
    promote_from_group: str = ""
    # promote_from's account and region (its YAML); "" = the same as this environment's.
    promote_from_account: str = ""
    promote_from_region: str = ""
    # Untracked <endpoint>-v* models and endpoint configs kept besides the serving and pending ones.
    keep_old_configs: int = 3

    # -- derived names (one place) -------------------------------------------------------------
    def s3_uri(self, *parts: str) -> str:
        return "/".join([f"s3://{self.bucket}", self.prefix, *parts])

    def key(self, *parts: str) -> str:
        """An object key under this environment's prefix."""
        return "/".join([self.prefix, *parts])

    @property
    def alarm_names(self) -> tuple[str, str]:
        """The CloudWatch alarms Terraform creates and auto-rollback watches."""
        return (f"{self.endpoint_name}-5xx", f"{self.endpoint_name}-latency")

    @property
    def accepted_groups(self) -> tuple[str, ...]:
        """The groups whose approved packages deploy here: its own, then promote_from's."""
        groups = [self.model_package_group]
        if self.promote_from_group and self.promote_from_group not in groups:
            groups.append(self.promote_from_group)
        return tuple(groups)

    def scope_of(self, group: str) -> tuple[str, str] | None:
        """(account, region) a package of `group` must come from; None: not an accepted group.
        An empty account means "not known" (then only the region is compared)."""
        if group.lower() == self.model_package_group.lower():
            return self.account_id, self.region
        if self.promote_from_group and group.lower() == self.promote_from_group.lower():
            return (
                self.promote_from_account or self.account_id,
                self.promote_from_region or self.region,
            )
        return None

    @property
    def is_local(self) -> bool:
        return self.environment == "local"

    # -- constructors --------------------------------------------------------------------------
    @classmethod
    def from_env_config(cls, config: Any) -> Settings:
        """From env_config.EnvConfig (environments/<env>.yaml)."""
        capture_on = bool(config.get("endpoint.data_capture.enabled"))
        promote_from = config.get("approval.promote_from") or ""
        promote_from_group = promote_from_account = promote_from_region = ""
        if promote_from:
            from env_config import load as load_config  # the same checked door, same directory

            source = load_config(promote_from, config.path.parent)
            promote_from_group = source.model_package_group
            promote_from_account, promote_from_region = source.account_id, source.region
        return cls(
            environment=config.name,
            region=config.region,
            account_id=config.account_id,
            bucket=config.bucket,
            prefix=config.prefix,
            model_package_group=config.model_package_group,
            endpoint_name=config.get("resources.endpoint_name"),
            execution_role_arn=config.execution_role_arn,
            kms_key=config.get("resources.kms_key_alias"),
            instance_type=config.get("endpoint.instance_type"),
            instance_count=int(config.get("endpoint.initial_instance_count")),
            data_capture_percent=(
                int(config.get("endpoint.data_capture.sampling_percentage")) if capture_on else 0
            ),
            canary_percent=int(config.get("endpoint.deployment.canary_percent")),
            canary_wait_seconds=int(config.get("endpoint.deployment.wait_seconds")),
            termination_wait_seconds=int(
                config.get("endpoint.deployment.termination_wait_seconds")
            ),
            smoke_rows=int(config.get("endpoint.smoke_test.rows")),
            smoke_max_latency_ms=int(config.get("endpoint.smoke_test.max_latency_ms")),
            subnet_ids=tuple(config.get("network.subnet_ids") or ()),
            security_group_ids=tuple(config.get("network.security_group_ids") or ()),
            network_isolation=bool(config.get("network.enable_network_isolation")),
            pipeline_name=config.get("resources.pipeline_name"),
            endpoint_enabled=bool(config.get("endpoint.enabled")),
            promote_from_group=promote_from_group,
            promote_from_account=promote_from_account,
            promote_from_region=promote_from_region,
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """From the Lambda's environment variables; a missing one is named in the error."""
        env = os.environ if environ is None else environ
        missing = [name for name in REQUIRED_LAMBDA_VARIABLES if not env.get(name)]
        if missing:
            raise DeployError(
                f"Missing Lambda environment variable(s): {', '.join(missing)}. Terraform sets "
                "them (docs/interfaces.md, 'Lambda'); check the function's configuration."
            )
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if not region:
            raise DeployError(
                "AWS_REGION is not set (the Lambda runtime sets it; locally, export it)."
            )

        def opt(name: str) -> str:
            return env.get(name, OPTIONAL_LAMBDA_VARIABLES[name])

        def integer(name: str, value: str) -> int:
            try:
                return int(value)
            except ValueError:
                raise DeployError(f"{name}={value!r} is not an integer.") from None

        def ids(value: str) -> tuple[str, ...]:
            return tuple(part.strip() for part in value.split(",") if part.strip())

        role = env["EXECUTION_ROLE_ARN"]
        match = re.match(r"arn:aws[a-z-]*:iam::(\d{12}):role/", role)
        return cls(
            environment=env["DEPLOY_ENVIRONMENT"],
            region=region,
            account_id=match.group(1) if match else "",
            bucket=env["ARTIFACT_BUCKET"],
            prefix=env["ARTIFACT_PREFIX"].strip("/"),
            model_package_group=env["MODEL_PACKAGE_GROUP"],
            endpoint_name=env["ENDPOINT_NAME"],
            execution_role_arn=role,
            kms_key=env["KMS_KEY_ARN"],
            instance_type=env["ENDPOINT_INSTANCE_TYPE"],
            instance_count=integer("ENDPOINT_INSTANCE_COUNT", env["ENDPOINT_INSTANCE_COUNT"]),
            data_capture_percent=integer(
                "ENDPOINT_DATA_CAPTURE_PERCENT", opt("ENDPOINT_DATA_CAPTURE_PERCENT")
            ),
            canary_percent=integer("ENDPOINT_CANARY_PERCENT", opt("ENDPOINT_CANARY_PERCENT")),
            canary_wait_seconds=integer(
                "ENDPOINT_CANARY_WAIT_SECONDS", opt("ENDPOINT_CANARY_WAIT_SECONDS")
            ),
            termination_wait_seconds=integer(
                "ENDPOINT_TERMINATION_WAIT_SECONDS", opt("ENDPOINT_TERMINATION_WAIT_SECONDS")
            ),
            subnet_ids=ids(opt("SUBNET_IDS")),
            security_group_ids=ids(opt("SECURITY_GROUP_IDS")),
            network_isolation=opt("ENABLE_NETWORK_ISOLATION").strip().lower()
            in ("1", "true", "yes"),
            pipeline_name=opt("PIPELINE_NAME"),
            endpoint_enabled=opt("ENDPOINT_ENABLED").strip().lower() in ("1", "true", "yes"),
            promote_from_group=opt("PROMOTE_FROM_GROUP").strip(),
        )


def load(env: str) -> Settings:
    """Settings for ENV through env_config (the CLI path)."""
    from env_config import EnvConfigError
    from env_config import load as load_config

    try:
        return Settings.from_env_config(load_config(env))
    except EnvConfigError as error:
        raise DeployError(str(error)) from None
