"""The deploy state (a cache) and the champion copy: what this environment last deployed.

s3://<bucket>/<prefix>/deploy/state.json holds {"current", "previous", "history"}. It is a cache:
every run compares it with the endpoint's real configuration (rollout.Deployer.reconcile) and
repairs it, so an interrupted rollout or one SageMaker rolled back never leaves it believed.
The champion copy, <prefix>/champion/current/model.tar.gz, carries the ARN of the package it
came from as S3 object metadata, so that it can be checked against the endpoint too.
"""

from __future__ import annotations

import json

from deploy import builders
from deploy.aws import Clients, error_code, is_not_found
from deploy.settings import Settings

CHAMPION_ARN_METADATA = "model-package-arn"  # x-amz-meta-model-package-arn on the champion copy
HISTORY_LIMIT = 50  # ARNs of deployed packages remembered (evidence for rollback)


def empty_state() -> dict:
    return {"current": None, "previous": None, "history": []}


def read_state(clients: Clients, settings: Settings) -> dict:
    """The cached state; a missing or unreadable file reads as empty (reconcile rebuilds it)."""
    try:
        response = clients.s3.get_object(Bucket=settings.bucket, Key=builders.state_key(settings))
    except Exception as error:
        if error_code(error) in ("NoSuchKey", "404"):
            return empty_state()
        raise
    try:
        state = json.loads(response["Body"].read())
    except ValueError:
        return empty_state()
    if not isinstance(state, dict):
        return empty_state()
    state.setdefault("current", None)
    state.setdefault("previous", None)
    state["history"] = [arn for arn in state.get("history") or [] if isinstance(arn, str)]
    return state


def write_state(clients: Clients, settings: Settings, state: dict) -> None:
    clients.s3.put_object(
        Bucket=settings.bucket,
        Key=builders.state_key(settings),
        Body=json.dumps(state, indent=2, sort_keys=True).encode(),
        ContentType="application/json",
    )


def with_history(history: list[str], arn: str) -> list[str]:
    """history with arn appended once (newest last), capped."""
    kept = [entry for entry in history if entry != arn]
    return [*kept, arn][-HISTORY_LIMIT:] if arn else kept[-HISTORY_LIMIT:]


def promote_champion(
    clients: Clients, settings: Settings, model_data_url: str, package_arn: str
) -> str:
    """Copy the model to <prefix>/champion/current/model.tar.gz (tagged with its package ARN as
    metadata), drop the NO_CHAMPION marker."""
    source_bucket, source_key = builders.split_s3_uri(model_data_url)
    target_key = builders.champion_key(settings)
    clients.s3.copy_object(
        Bucket=settings.bucket,
        Key=target_key,
        CopySource={"Bucket": source_bucket, "Key": source_key},
        Metadata={CHAMPION_ARN_METADATA: package_arn},
        MetadataDirective="REPLACE",
    )
    clients.s3.delete_object(Bucket=settings.bucket, Key=builders.no_champion_key(settings))
    return f"s3://{settings.bucket}/{target_key}"


def champion_arn(clients: Clients, settings: Settings) -> str:
    """The package the champion copy came from ("" if none, or copied before it was tagged)."""
    try:
        head = clients.s3.head_object(Bucket=settings.bucket, Key=builders.champion_key(settings))
    except Exception as error:
        if is_not_found(error) or error_code(error) in ("403",):
            return ""
        raise
    return str((head.get("Metadata") or {}).get(CHAMPION_ARN_METADATA, ""))
