"""Reads environments/<env>.yaml: the one source of truth for an environment's values.

build_pipeline, the local runner and deploy/ all read the file through this module, and Terraform
reads the same file with yamldecode(). Nothing here carries a default for a value the file must
hold: a missing key is an error that names the file and the key, never a silent fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS_DIR = REPO_ROOT / "environments"
APPROVAL_STATUSES = ("Approved", "PendingManualApproval", "Rejected")


class EnvConfigError(ValueError):
    """An environment file that is missing, malformed or inconsistent."""


def available_environments(directory: Path = ENVIRONMENTS_DIR) -> list[str]:
    return sorted(path.stem for path in directory.glob("*.yaml"))


@dataclass(frozen=True)
class EnvConfig:
    """The parsed file plus the names derived from it (derived here, once, for every reader)."""

    name: str
    path: Path
    raw: dict[str, Any]

    def get(self, dotted: str) -> Any:
        """A value by dotted path ("pipeline.accuracy_threshold"); missing keys name the fix."""
        node: Any = self.raw
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise EnvConfigError(
                    f"{self.path}: missing key '{dotted}'. Add it (see environments/local.yaml "
                    "for every key with a comment)."
                )
            node = node[part]
        return node

    @property
    def is_local(self) -> bool:
        return self.name == "local"

    @property
    def region(self) -> str:
        return self.get("aws.region")

    @property
    def account_id(self) -> str:
        return str(self.get("aws.account_id"))

    @property
    def bucket(self) -> str:
        return self.get("resources.artifact_bucket")

    @property
    def prefix(self) -> str:
        return self.get("resources.prefix")

    def s3_uri(self, *parts: str) -> str:
        """s3://<bucket>/<prefix>/<parts...>: every object this environment writes lives there."""
        return "/".join([f"s3://{self.bucket}", self.prefix, *parts])

    @property
    def execution_role_arn(self) -> str:
        role = self.get("resources.execution_role_name")
        return f"arn:aws:iam::{self.account_id}:role/{role}"

    @property
    def model_package_group(self) -> str:
        return self.get("resources.model_package_group")

    @property
    def promote_from(self) -> str:
        """approval.promote_from: the environment whose approved packages this one also deploys
        (promotion, e.g. prod from staging), or "" for only its own group."""
        return str(self.get("approval.promote_from") or "")

    def local_runtimes(self) -> dict[str, dict[str, Any]]:
        """local_runner.runtimes: image repository name -> how the local runner runs it (only
        environments/local.yaml has it; absent means no framework images run locally)."""
        table = (self.raw.get("local_runner") or {}).get("runtimes") or {}
        if not isinstance(table, dict):
            raise EnvConfigError(
                f"{self.path}: local_runner.runtimes must be a mapping of runtime name -> "
                "{repositories, python, modules, algorithm}."
            )
        for name, row in table.items():
            repositories = (row or {}).get("repositories") if isinstance(row, dict) else None
            if not isinstance(repositories, list) or not all(
                isinstance(item, str) and item for item in repositories
            ):
                raise EnvConfigError(
                    f"{self.path}: local_runner.runtimes.{name}.repositories must be a list of "
                    "image repository names (shell patterns allowed), e.g. [sagemaker-xgboost]."
                )
            unknown = set(row) - {"repositories", "python", "modules", "algorithm"}
            if unknown:
                raise EnvConfigError(
                    f"{self.path}: local_runner.runtimes.{name} has unknown keys "
                    f"{sorted(unknown)}; allowed: repositories, python, modules, algorithm."
                )
        return table

    def image_repository_uri(self, kind: str) -> str:
        repository = self.get(f"resources.{kind}_image_repository")
        return f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com/{repository}"


def load(name: str, directory: Path = ENVIRONMENTS_DIR) -> EnvConfig:
    """Load and check one environment; an unknown name lists the valid ones."""
    import yaml  # deferred: light callers (help, ENV checks) never pay for it

    valid = available_environments(directory)
    if name not in valid:
        raise EnvConfigError(
            f"ENV='{name}' is not an environment. Valid: {', '.join(valid)} "
            f"(one file each under {directory.relative_to(REPO_ROOT) if directory.is_relative_to(REPO_ROOT) else directory}/)."
        )
    path = directory / f"{name}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise EnvConfigError(f"{path}: not valid YAML ({error}). Fix the syntax.") from error
    if not isinstance(raw, dict):
        raise EnvConfigError(f"{path}: expected a mapping of keys at the top level.")
    config = EnvConfig(name=name, path=path, raw=raw)
    check(config)
    return config


def check(config: EnvConfig) -> None:
    """Cross-field rules that a schema cannot say; each message names the key and the fix."""
    if config.get("environment") != config.name:
        raise EnvConfigError(
            f"{config.path}: 'environment' is '{config.get('environment')}' but the file is "
            f"{config.name}.yaml. Make them the same."
        )
    threshold = config.get("pipeline.accuracy_threshold")
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise EnvConfigError(
            f"{config.path}: pipeline.accuracy_threshold must be a number in (0, 1], got "
            f"{threshold!r}."
        )
    margin = config.get("pipeline.champion_margin")
    if not isinstance(margin, (int, float)) or not 0 <= margin < 1:
        raise EnvConfigError(
            f"{config.path}: pipeline.champion_margin must be a number in [0, 1), got {margin!r}."
        )
    status = config.get("pipeline.model_approval_status")
    if status not in APPROVAL_STATUSES:
        raise EnvConfigError(
            f"{config.path}: pipeline.model_approval_status must be one of "
            f"{', '.join(APPROVAL_STATUSES)}, got {status!r}."
        )
    policy = config.get("approval.policy")
    if policy not in ("auto", "manual"):
        raise EnvConfigError(
            f"{config.path}: approval.policy must be auto or manual, got {policy!r}."
        )
    if not config.is_local and (policy == "auto" or status == "Approved"):
        raise EnvConfigError(
            f"{config.path}: auto-approval is allowed only for local. Set approval.policy: manual "
            "and pipeline.model_approval_status: PendingManualApproval; people approve in the "
            "model registry (or `make approve`)."
        )
    account = config.account_id
    if not (account.isdigit() and len(account) == 12):
        raise EnvConfigError(
            f"{config.path}: aws.account_id must be 12 digits in quotes, got {account!r}."
        )
    check_instance_counts(config)
    check_promote_from(config)


# SageMaker's own bounds: ProcessingJob ClusterConfig.InstanceCount is 1-100; a training job's
# ResourceConfig.InstanceCount has no API maximum beyond the account quota, so the same 100.
MAX_INSTANCE_COUNT = 100


def check_instance_counts(config: EnvConfig) -> None:
    """Whole numbers of hosts: 1 is the single-machine path, more shard the data and train one
    model across them (docs/training.md#scaling-out)."""
    for key in ("processing_instance_count", "training_instance_count"):
        value = config.get(f"pipeline.{key}")
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_INSTANCE_COUNT
        ):
            raise EnvConfigError(
                f"{config.path}: pipeline.{key} must be a whole number of instances from 1 to "
                f"{MAX_INSTANCE_COUNT}, got {value!r}. Use 1 for one machine; see "
                "docs/training.md#scaling-out for when more pay off."
            )


def check_promote_from(config: EnvConfig) -> None:
    """approval.promote_from is "" or another deployable environment of the same directory."""
    source = config.get("approval.promote_from")
    if source in ("", None):
        return
    others = [
        name
        for name in available_environments(config.path.parent)
        if name not in (config.name, "local")
    ]
    if not isinstance(source, str) or source not in others:
        reason = (
            "an environment cannot promote from itself"
            if source == config.name
            else (
                "local has no model registry to promote from"
                if source == "local"
                else "it is not an environment file"
            )
        )
        raise EnvConfigError(
            f'{config.path}: approval.promote_from is {source!r}: {reason}. Set it to "" (this '
            f"environment deploys only its own group) or to one of: {', '.join(others) or '(none)'}."
        )
    if config.is_local:
        raise EnvConfigError(
            f'{config.path}: approval.promote_from must be "" for local (it deploys with the '
            "local runner, not from another environment's registry)."
        )
    check_promotion_chain(config)


def check_promotion_chain(config: EnvConfig) -> None:
    """Follow promote_from through the other files: a cycle would promote a package forever."""
    import yaml

    chain = [config.name]
    source = config.get("approval.promote_from")
    while source:
        if source in chain:
            raise EnvConfigError(
                f"{config.path}: approval.promote_from makes a cycle "
                f"({' <- '.join([*chain, source])}). Break it: set promote_from to \"\" in one "
                "of these files."
            )
        chain.append(source)
        raw = yaml.safe_load((config.path.parent / f"{source}.yaml").read_text(encoding="utf-8"))
        source = ((raw or {}).get("approval") or {}).get("promote_from")
