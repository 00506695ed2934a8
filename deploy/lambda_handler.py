"""The seed's Lambda: EventBridge "SageMaker Model Package State Change" (Approved, this
environment's group) -> the same rollout the CLI runs, without waiting for the canary (a Lambda
lives 15 minutes at most; SageMaker's auto-rollback on the alarms guards the update).

Replay-safe and order-safe: an event for the package that already serves (or is being rolled
out) is a no-op, one for a package OLDER than what serves is a logged no-op ("stale"), and the
registry is asked again rather than trusting the event's status.

A bad request returns a refusal without raising, so Lambda neither retries it nor sends it to
the dead-letter queue: a malformed event (checked against deploy.event_schema), another group,
account or region, a package that is not Approved. Every other failure raises one DeployError
with a one-line message: what a retry can fix (`retryable`: a held lock, an endpoint mid-update,
AWS unreachable or throttling) is retried by Lambda; what needs a person (missing alarms, access
denied, a failed update) ends in the dead-letter queue, whose alarm tells someone.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from deploy import event_schema
from deploy.aws import Clients, translated_errors
from deploy.errors import DeployError, RefusedError
from deploy.settings import Settings

DETAIL_TYPE = event_schema.DETAIL_TYPE


def log(message: str) -> None:
    print(message, flush=True)  # the Lambda runtime sends stdout to CloudWatch Logs


def handler(event: Any, context: Any = None, clients: Clients | None = None) -> dict:
    settings = Settings.from_environ()  # a misconfigured function fails loudly, every time
    problems = event_schema.problems(event)
    if problems:
        return _result(
            "refused",
            f"malformed event: {'; '.join(problems[:3])}. Expected an EventBridge "
            f"'{DETAIL_TYPE}' event (deploy/event_schema.py).",
        )
    detail = event["detail"]
    arn = detail["ModelPackageArn"]
    if event["detail-type"] != DETAIL_TYPE:
        return _result("ignored", f"not a model package state change: {event['detail-type']}")
    if detail["ModelApprovalStatus"] != "Approved":
        return _result("ignored", f"{arn} is {detail['ModelApprovalStatus']}, not Approved")
    if settings.scope_of(detail["ModelPackageGroupName"]) is None:
        return _result(
            "ignored",
            f"{arn} is in group {detail['ModelPackageGroupName']}, not "
            f"{' or '.join(settings.accepted_groups)}",
        )
    from deploy.rollout import Deployer  # after the cheap checks: a bad event costs nothing

    deployer = Deployer(clients or Clients(settings.region), settings, out=log)
    try:
        with translated_errors():
            outcome = deployer.rollout(arn, wait=False, smoke_test=False)
    except RefusedError as error:
        return _result("refused", str(error))
    except DeployError as error:
        status = "retry" if error.retryable else "failed"
        log(json.dumps({"status": status, "reason": str(error)}))
        raise
    log(outcome.message)
    return {"status": outcome.action, **asdict(outcome)}


def _result(status: str, reason: str) -> dict:
    log(json.dumps({"status": status, "reason": reason}))
    return {"status": status, "reason": reason}
