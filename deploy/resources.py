"""The models and endpoint configs deploy/ owns: `<endpoint>-v<N>-<UTC stamp>`, found by listing
(not by remembering), so that nothing a failed or interrupted rollout created is lost, and
pruned down to the serving one, the pending one and the newest N others."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from deploy import builders
from deploy.aws import Clients, is_not_found
from deploy.registry import Serving

OWNED_NAME = re.compile(r"^.+-v(?P<version>[1-9]\d*)-(?P<stamp>\d{14})$")


def stamp_of(endpoint_name: str, name: str) -> str:
    """The UTC stamp of a name deploy/ made for this endpoint; "" for any other name (another
    endpoint's, Terraform's, a person's)."""
    match = OWNED_NAME.match(name)
    if not match:
        return ""
    try:
        when = datetime.strptime(match["stamp"], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return ""
    expected = builders.resource_name(endpoint_name, int(match["version"]), when)
    return match["stamp"] if expected == name else ""


def _listed(call: Callable, key: str, name_key: str, endpoint_name: str) -> list[str]:
    names: list[str] = []
    token = None
    while True:
        # every owned name starts with the endpoint name cut to >= 36 characters (NAME_LIMIT)
        kwargs = {"NameContains": endpoint_name[:30].rstrip("-"), "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        response = call(**kwargs)
        names.extend(item[name_key] for item in response.get(key, []))
        token = response.get("NextToken")
        if not token:
            break
    owned = [name for name in names if stamp_of(endpoint_name, name)]
    return sorted(owned, key=lambda name: (stamp_of(endpoint_name, name), name))


def owned_configs(clients: Clients, endpoint_name: str) -> list[str]:
    """This endpoint's deploy/-made endpoint configs, oldest first."""
    return _listed(
        clients.sagemaker.list_endpoint_configs,
        "EndpointConfigs",
        "EndpointConfigName",
        endpoint_name,
    )


def owned_models(clients: Clients, endpoint_name: str) -> list[str]:
    """This endpoint's deploy/-made models, oldest first."""
    return _listed(clients.sagemaker.list_models, "Models", "ModelName", endpoint_name)


def delete_config_and_model(clients: Clients, name: str, out: Callable[[str], None]) -> bool:
    """Delete one endpoint config and its model (same name). False on failure: cleanup warns,
    it never fails a deploy."""
    for call, key in (
        (clients.sagemaker.delete_endpoint_config, "EndpointConfigName"),
        (clients.sagemaker.delete_model, "ModelName"),
    ):
        try:
            call(**{key: name})
        except Exception as error:
            if not is_not_found(error):
                out(f"warning: could not delete {name}: {error}")
                return False
    return True


def prune(
    clients: Clients,
    endpoint_name: str,
    serving: Serving | None,
    keep: int,
    out: Callable[[str], None],
) -> list[str]:
    """Delete (a) leftovers: owned configs newer than the serving one that serve nothing (a
    failed, rolled-back or interrupted rollout), (b) owned configs beyond the newest `keep`
    older ones, (c) owned models without a config. The serving and pending configs are never
    touched. Run only under the deploy lock. Returns the deleted names."""
    protected = {serving.config_name, serving.pending_config_name} if serving else set()
    protected.discard("")
    configs = owned_configs(clients, endpoint_name)
    serving_stamp = stamp_of(endpoint_name, serving.config_name) if serving else ""
    candidates = [name for name in configs if name not in protected]
    leftovers = [
        name
        for name in candidates
        if serving_stamp and stamp_of(endpoint_name, name) > serving_stamp
    ]
    older = [name for name in candidates if name not in leftovers]
    excess = older[: max(0, len(older) - keep)]
    deleted = [
        name for name in [*leftovers, *excess] if delete_config_and_model(clients, name, out)
    ]
    remaining = (set(configs) - set(deleted)) | protected
    for model in owned_models(clients, endpoint_name):
        if model not in remaining and delete_config_and_model(clients, model, out):
            deleted.append(model)
    if deleted:
        out(f"Deleted {len(deleted)} unused endpoint config(s)/model(s): {', '.join(deleted)}.")
    return deleted
