"""deployments/<env>.json: the git-tracked record of what serves where.

Written from the live endpoint (not from what a deploy meant to do), so the deploy workflow's PR
shows the truth; Terraform reads model_package_arn from it to rebuild an endpoint from scratch.
"""

from __future__ import annotations

import json
from pathlib import Path

from deploy import builders, registry
from deploy.aws import Clients
from deploy.errors import DeployError
from deploy.settings import Settings

RECORD_DIR = Path(__file__).resolve().parent.parent / "deployments"


def current_record(clients: Clients, settings: Settings, state: dict | None = None) -> dict:
    if not settings.endpoint_enabled:
        return champion_record(settings, state or {})
    serving = registry.serving(clients, settings.endpoint_name)
    if serving is None:
        raise DeployError(
            f"Endpoint {settings.endpoint_name} does not exist: nothing to record. Roll out first."
        )
    if not serving.package_arn:
        raise DeployError(
            f"Cannot tell which model package {settings.endpoint_name} serves (config "
            f"{serving.config_name} has no model package); was it created outside deploy/?"
        )
    package = registry.describe_package(clients, serving.package_arn)
    current = (state or {}).get("current") or {}
    deployed_at = (
        current.get("deployed_at")
        if current.get("endpoint_config_name") == serving.config_name
        else serving.last_modified
    )
    return builders.build_record(
        settings,
        endpoint_config_name=serving.config_name,
        model_package_arn=package.arn,
        model_package_version=package.version,
        deployed_at=deployed_at or "",
        git_sha=package.git_sha,
    )


def champion_record(settings: Settings, state: dict) -> dict:
    """No endpoint (endpoint.enabled is false): the record names the champion, so that turning the
    endpoint on (Terraform reads model_package_arn) serves the approved model."""
    current = state.get("current") or {}
    if not current.get("model_package_arn"):
        raise DeployError(
            f"No approved model has been rolled out to {settings.environment} yet (and "
            "endpoint.enabled is false): nothing to record."
        )
    return builders.build_record(
        settings,
        endpoint_config_name="",
        model_package_arn=current["model_package_arn"],
        model_package_version=int(current.get("model_package_version") or 0),
        deployed_at=current.get("deployed_at", ""),
        git_sha=current.get("git_sha", ""),
    )


def render(record: dict) -> str:
    return json.dumps(record, indent=2, sort_keys=True) + "\n"


def write(record: dict, path: Path) -> bool:
    """Write the record; False when the file already says the same (no diff, no PR)."""
    text = render(record)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def default_path(environment: str) -> Path:
    return RECORD_DIR / f"{environment}.json"
