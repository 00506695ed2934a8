"""Which package a rollback goes back to: the newest package older than the one serving that
this environment deployed before and that is Approved NOW (the registry is asked again, so a
package rejected since is skipped). Derived from the endpoint and the registry; the cached
state's history only adds packages whose endpoint configs were pruned."""

from __future__ import annotations

from deploy import registry, resources
from deploy import state as deploy_state
from deploy.aws import Clients
from deploy.errors import DeployError
from deploy.registry import Package
from deploy.settings import Settings


def serving_arn(clients: Clients, settings: Settings) -> str:
    """What serves now: the endpoint's package (or the one it is being updated to), or the
    champion's when there is no endpoint."""
    if settings.endpoint_enabled:
        current = registry.serving(clients, settings.endpoint_name)
        if current is None:
            raise DeployError(
                f"Endpoint {settings.endpoint_name} does not exist; nothing to roll back. "
                f"`make rollout ENV={settings.environment}` creates it."
            )
        return current.pending_package_arn or current.package_arn
    return deploy_state.champion_arn(clients, settings) or (
        deploy_state.read_state(clients, settings).get("current") or {}
    ).get("model_package_arn", "")


def deployed_arns(clients: Clients, settings: Settings) -> set[str]:
    """Packages this environment has deployed: its endpoint configs' packages (reality) and the
    state's history (the cache, covering pruned configs)."""
    arns = set(deploy_state.read_state(clients, settings).get("history") or [])
    if settings.endpoint_enabled:
        for name in resources.owned_configs(clients, settings.endpoint_name):
            arns.add(registry.package_of_config(clients, name))
    arns.discard("")
    return arns


def previous_package(clients: Clients, settings: Settings) -> Package:
    """The rollback target, or a DeployError that says how to name one."""
    current_arn = serving_arn(clients, settings)
    hint = (
        f"Roll back to a chosen package: `make rollback ENV={settings.environment} "
        "MODEL_PACKAGE_ARN=<arn>`."
    )
    if not current_arn:
        raise DeployError(
            f"Cannot tell which model package {settings.environment} serves, so there is "
            f"nothing to roll back to. {hint}"
        )
    serving = registry.describe_package(clients, current_arn)
    deployed = deployed_arns(clients, settings)
    for summary in registry.approved_summaries(clients, settings):
        arn = summary.get("ModelPackageArn", "")
        if arn == serving.arn or arn not in deployed:
            continue
        candidate = registry.describe_package(clients, arn)
        if registry.is_older(candidate, serving):
            registry.check_deployable(settings, candidate)
            return candidate
    raise DeployError(
        f"No Approved package older than version {serving.version} ({serving.arn}) was "
        f"deployed to {settings.environment} before, so there is nothing to roll back to "
        f"(packages rejected since are skipped). {hint}"
    )
