"""Reads environments/<env>.yaml: the one source of truth for an environment's values.

build_pipeline, the local runner and deploy/ all read the file through this module, and Terraform
reads the same file with yamldecode(). Nothing here carries a default for a value the file must
hold: a missing key is an error that names the file and the key, never a silent fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from env_config import schema
from env_config.yamlfile import YamlFileError, read_mapping

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
                    f"{shown_path(self.path)}: missing key '{dotted}'. Add it (every key and its "
                    "allowed form: environments/schema.json)."
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


def shown_path(path: Path) -> str:
    """A path as a user reads it: relative to the repository when it is inside."""
    path = Path(path)
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def load(name: str, directory: Path = ENVIRONMENTS_DIR) -> EnvConfig:
    """Load and check one environment; an unknown name lists the valid ones."""
    valid = available_environments(directory)
    if name not in valid:
        raise EnvConfigError(
            f"ENV='{name}' is not an environment. Valid: {', '.join(valid)} "
            f"(one file each under {shown_path(directory)}/)."
        )
    path = directory / f"{name}.yaml"
    try:
        raw = read_mapping(path, shown_path(path))
    except YamlFileError as error:
        raise EnvConfigError(str(error)) from None
    config = EnvConfig(name=name, path=path, raw=raw)
    check(config)
    return config


def check(config: EnvConfig) -> None:
    """The schema first (environments/schema.json: every key's type, range, enum and form),
    then the rules that relate two values or other files, which a schema cannot say. Every
    problem is reported at once: one line each, under one line that counts them."""
    if config.raw.get("environment") != config.name:  # it decides which rules apply: first
        raise EnvConfigError(
            f"{shown_path(config.path)}: environment = {schema.show(config.raw.get('environment'))}"
            f" but the file is {config.name}.yaml. Make them the same."
        )
    found = schema.problems(config.raw) or cross_field_problems(config)
    if found:
        raise EnvConfigError(summarise(shown_path(config.path), found))
    check_promote_from(config)


def summarise(shown: str, found: list[str]) -> str:
    where = f"(every key's allowed form: {shown_path(schema.SCHEMA_PATH)})"
    if len(found) == 1:
        return f"{shown}: {found[0]} {where}"
    lines = "\n".join(f"  - {problem}" for problem in found)
    return f"{shown}: {len(found)} problems {where}:\n{lines}"


def cross_field_problems(config: EnvConfig) -> list[str]:
    """Rules between values (the schema has already checked each value on its own)."""
    raw = config.raw
    found = []
    pipeline = raw["pipeline"]
    if pipeline["use_spot"] and pipeline["max_wait_seconds"] < pipeline["max_runtime_seconds"]:
        found.append(
            f"pipeline.max_wait_seconds = {pipeline['max_wait_seconds']}: below "
            f"pipeline.max_runtime_seconds ({pipeline['max_runtime_seconds']}); with use_spot "
            "SageMaker needs max_wait_seconds >= max_runtime_seconds. Raise it."
        )
    tuning = pipeline["tuning"]
    if tuning["max_parallel_jobs"] > tuning["max_jobs"]:
        found.append(
            f"pipeline.tuning.max_parallel_jobs = {tuning['max_parallel_jobs']}: above "
            f"pipeline.tuning.max_jobs ({tuning['max_jobs']}). Lower it."
        )
    for key, (low, high) in sorted(tuning["ranges"].items()):
        if low >= high:
            found.append(
                f"pipeline.tuning.ranges.{key} = [{low}, {high}]: low must be below high. "
                "Write [low, high]."
            )
    scaling = raw["endpoint"]["autoscaling"]
    if scaling["max_capacity"] < scaling["min_capacity"]:
        found.append(
            f"endpoint.autoscaling.max_capacity = {scaling['max_capacity']}: below "
            f"min_capacity ({scaling['min_capacity']}). Raise it."
        )
    return found


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
        path = config.path.parent / f"{source}.yaml"
        try:
            raw = read_mapping(path, shown_path(path))
        except YamlFileError as error:
            raise EnvConfigError(
                f"{error} (read for {shown_path(config.path)}'s promotion chain)"
            ) from None
        approval = raw.get("approval")
        source = approval.get("promote_from") if isinstance(approval, dict) else None
