"""Read the deploy workflow's trigger into plain outputs, refusing anything malformed.

The deploy workflow starts on `repository_dispatch` (type model-approved, sent by the EventBridge
approval rule: client_payload = {"model_package_arn": ..., "environment": ...}), on
`workflow_dispatch` (inputs environment, model_package_arn), or on a push to main that changes
deployments/<env>.json (a merged deployment record, or its revert). This script reads the event
from $GITHUB_EVENT_PATH, so no event text is ever interpolated into a shell script, checks each
environment name and ARN (or "latest"), and writes per environment `deploy_<env>` and `arn_<env>`
to $GITHUB_OUTPUT, plus `environments` and `summary` for names and titles. Whether the package is
Approved and in one of that environment's accepted groups is checked next, with AWS credentials
(`python -m deploy validate-event`).

Promotion: a dispatch naming environment E with an explicit ARN also targets every environment P
whose environments/P.yaml has approval.promote_from: E (and, in turn, those promoting from P),
with the same ARN. deploy.yml runs them in order (staging before prod, prod behind its
environment gate), so a staging failure stops prod. "latest" never promotes: it means the newest
Approved package of each environment's own group."""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("dev", "staging", "prod")
LATEST = "latest"
RECORD_DIR = "deployments"
ARN_PATTERN = re.compile(
    r"^arn:aws(-[a-z]+)*:sagemaker:[a-z0-9-]+:\d{12}:"
    r"model-package/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}/\d{1,9}$"
)


class RequestError(ValueError):
    """A trigger this workflow refuses; the message says what was wrong."""


def check_arn(arn: str, *, allow_latest: bool) -> str:
    arn = arn.strip()
    if allow_latest and arn.lower() in (LATEST, ""):
        return LATEST
    if not ARN_PATTERN.fullmatch(arn):
        raise RequestError(
            f"model_package_arn '{arn[:200]}' is not a versioned model package ARN "
            "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)"
            + (" nor 'latest'." if allow_latest else ".")
        )
    return arn


def record_targets(event: dict[str, Any], read_file: Callable[[str], str]) -> dict[str, str]:
    """A push to main that changed deployments/<env>.json (a merged record, or its revert):
    git is the desired state, so each changed file's model_package_arn is (re)deployed. A merged
    record names what already serves and is a no-op; a revert names the previous package."""
    changed: set[str] = set()
    for commit in event.get("commits") or []:
        changed |= set(commit.get("added") or []) | set(commit.get("modified") or [])
    targets = {}
    for name in ENVIRONMENTS:
        path = f"{RECORD_DIR}/{name}.json"
        if path not in changed:
            continue
        try:
            record = json.loads(read_file(path))
        except (OSError, json.JSONDecodeError) as error:
            raise RequestError(f"{path} is not a readable JSON record ({error}).") from error
        if record.get("environment", name) != name:
            raise RequestError(f"{path} says environment '{record.get('environment')}'.")
        targets[name] = check_arn(str(record.get("model_package_arn") or ""), allow_latest=False)
    return targets


def configured_promote_from(name: str) -> str:
    """approval.promote_from of environments/<name>.yaml, read (and checked) by env_config."""
    from env_config import EnvConfigError, load

    try:
        return load(name).promote_from
    except EnvConfigError as error:
        raise RequestError(str(error)) from error


def promotions(environment: str, promote_from: Callable[[str], str]) -> list[str]:
    """The environments that promote from `environment`, directly or through another, in the
    order of ENVIRONMENTS (staging -> prod)."""
    reached = {environment}
    changed = True
    while changed:
        changed = False
        for name in ENVIRONMENTS:
            if name not in reached and promote_from(name) in reached:
                reached.add(name)
                changed = True
    return [name for name in ENVIRONMENTS if name in reached and name != environment]


def read(
    event_name: str,
    event: dict[str, Any],
    read_file: Callable[[str], str] = lambda path: Path(path).read_text(encoding="utf-8"),
    promote_from: Callable[[str], str] = configured_promote_from,
) -> dict[str, str]:
    if event_name == "push":
        targets = record_targets(event, read_file)
    else:
        if event_name == "repository_dispatch":
            if event.get("action") != "model-approved":
                raise RequestError(
                    f"repository_dispatch type '{event.get('action')}' is not handled."
                )
            payload = event.get("client_payload") or {}
        elif event_name == "workflow_dispatch":
            payload = event.get("inputs") or {}
        else:
            raise RequestError(f"event '{event_name}' does not start a deployment.")
        environment = str(payload.get("environment") or "").strip()
        if environment not in ENVIRONMENTS:
            raise RequestError(
                f"environment '{environment[:40]}' is not one of {', '.join(ENVIRONMENTS)}."
            )
        arn = check_arn(str(payload.get("model_package_arn") or ""), allow_latest=True)
        targets = {environment: arn}
        if arn != LATEST:  # an explicit approved package goes on to the environments promoting it
            targets.update({name: arn for name in promotions(environment, promote_from)})
        targets = {name: targets[name] for name in ENVIRONMENTS if name in targets}
    outputs = {
        "environments": "-".join(targets) or "none",
        "summary": "; ".join(f"{name}: {arn}" for name, arn in targets.items()) or "nothing",
    }
    for name in ENVIRONMENTS:
        outputs[f"deploy_{name}"] = str(name in targets).lower()
        outputs[f"arn_{name}"] = targets.get(name, "")
    return outputs


def main(argv: list[str] | None = None) -> int:
    """Reads the event from GITHUB_EVENT_PATH / GITHUB_EVENT_NAME; takes no options."""
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    try:
        event = json.loads(Path(os.environ["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
        outputs = read(os.environ.get("GITHUB_EVENT_NAME", ""), event)
    except (KeyError, OSError, json.JSONDecodeError) as error:
        print(f"::error::cannot read the triggering event: {error}")
        return 2
    except RequestError as error:
        print(f"::error::refused: {error}")
        return 2
    lines = [f"{key}={value}" for key, value in outputs.items()]
    print("\n".join(lines))
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return 0
