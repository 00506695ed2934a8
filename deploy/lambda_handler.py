"""The seed's Lambda: EventBridge "SageMaker Model Package State Change" (Approved, this
environment's group) -> the same rollout the CLI runs, without waiting for the canary (a Lambda
lives 15 minutes at most; SageMaker's auto-rollback on the alarms guards the update).

Replay-safe: an event for the package that already serves (or is being rolled out) is a no-op,
and the registry is asked again rather than trusting the event's status. A refusal (not Approved,
another group) returns without raising, so Lambda does not retry it; a busy endpoint or a held
lock raises, so Lambda's asynchronous retries try again later.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from deploy.aws import Clients, translated_errors
from deploy.errors import RefusedError
from deploy.rollout import Deployer
from deploy.settings import Settings

DETAIL_TYPE = "SageMaker Model Package State Change"


def log(message: str) -> None:
    print(message, flush=True)  # the Lambda runtime sends stdout to CloudWatch Logs


def handler(event: dict, context: Any = None, clients: Clients | None = None) -> dict:
    settings = Settings.from_environ()
    detail = event.get("detail") or {}
    arn = detail.get("ModelPackageArn") or next(iter(event.get("resources") or []), "")
    if not arn:
        return _result("ignored", "the event names no model package")
    if event.get("detail-type") not in (None, DETAIL_TYPE):
        return _result("ignored", f"not a model package state change: {event.get('detail-type')}")
    if detail.get("ModelApprovalStatus") != "Approved":
        return _result("ignored", f"{arn} is {detail.get('ModelApprovalStatus')}, not Approved")
    if detail.get("ModelPackageGroupName") not in (None, *settings.accepted_groups):
        return _result(
            "ignored",
            f"{arn} is in group {detail.get('ModelPackageGroupName')}, not "
            f"{' or '.join(settings.accepted_groups)}",
        )
    deployer = Deployer(clients or Clients(settings.region), settings, out=log)
    try:
        with translated_errors():
            outcome = deployer.rollout(arn, wait=False, smoke_test=False)
    except RefusedError as error:
        return _result("refused", str(error))
    log(outcome.message)
    return {"status": outcome.action, **asdict(outcome)}


def _result(status: str, reason: str) -> dict:
    log(json.dumps({"status": status, "reason": reason}))
    return {"status": status, "reason": reason}
