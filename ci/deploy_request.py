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
Approved package of each environment's own group.

A manual run (workflow_dispatch) naming an environment that promotes from another (prod, whose
approval.promote_from is staging) takes only a package that the source environment recorded as
deployed: some commit of deployments/<source>.json names it (`git log`, so the checkout needs
the history). Otherwise the run needs `skip_staging_reason`, which is written to the outputs
(`override`) for the job summary and the record PR: an audited exception, never a silent one.

Strict ARNs: nothing is trimmed (a trailing newline or a space is refused), and an empty ARN is
refused; only the word "latest" (or a manual run's input left at its default) means latest."""

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
    if not arn:
        raise RequestError(
            "model_package_arn is empty: name a versioned model package ARN"
            + (" or 'latest'." if allow_latest else ".")
        )
    if any(char.isspace() for char in arn):
        raise RequestError(
            f"model_package_arn {arn[:200]!r} contains whitespace (a trailing newline?); "
            "pass the ARN alone."
        )
    if allow_latest and arn.lower() == LATEST:
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


def recorded_in_git(environment: str, root: Path = REPO_ROOT) -> set[str]:
    """Every model_package_arn that any commit of deployments/<environment>.json recorded."""
    import subprocess

    path = f"{RECORD_DIR}/{environment}.json"
    try:
        log = subprocess.run(
            ["git", "log", "--format=%H", "--", path],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError) as error:
        raise RequestError(f"cannot read the history of {path}: {error}") from error
    found = set()
    for commit in log:
        shown = subprocess.run(
            ["git", "show", f"{commit}:{path}"], cwd=root, capture_output=True, text=True
        )
        try:
            arn = json.loads(shown.stdout).get("model_package_arn") if shown.returncode == 0 else ""
        except (json.JSONDecodeError, AttributeError):
            arn = ""
        if arn:
            found.add(arn)
    return found


def gate_skipping_the_source(
    environment: str,
    arn: str,
    payload: dict[str, Any],
    actor: str,
    promote_from: Callable[[str], str],
    recorded: Callable[[str], set[str]],
) -> str:
    """A manual run for an environment that promotes from another: the package must have been
    recorded by the source, or the run gives a reason (returned, for the audit trail)."""
    source = promote_from(environment)
    if not source:
        return ""
    reason = " ".join(str(payload.get("skip_staging_reason") or "").split())[:300]
    if reason:
        return f"Skipped {source}: {reason} (requested by {actor or 'unknown'})."
    if arn == LATEST:
        raise RequestError(
            f"a manual {environment} deployment must name the ARN {source} deployed (see "
            f"deployments/{source}.json), not 'latest'; or give skip_staging_reason."
        )
    if arn not in recorded(source):
        raise RequestError(
            f"{arn} was never recorded as deployed to {source} (deployments/{source}.json and "
            f"its history): deploy it to {source} first (that run promotes it to {environment}), "
            "or give skip_staging_reason to skip it on purpose (audited)."
        )
    return ""


def read(
    event_name: str,
    event: dict[str, Any],
    read_file: Callable[[str], str] = lambda path: Path(path).read_text(encoding="utf-8"),
    promote_from: Callable[[str], str] = configured_promote_from,
    recorded: Callable[[str], set[str]] = recorded_in_git,
) -> dict[str, str]:
    override = ""
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
        given = payload.get("model_package_arn")
        if given is None and event_name == "workflow_dispatch":
            given = LATEST  # the input's default
        arn = check_arn(given if isinstance(given, str) else "", allow_latest=True)
        if event_name == "workflow_dispatch":
            actor = str((event.get("sender") or {}).get("login") or "")
            override = gate_skipping_the_source(
                environment, arn, payload, actor, promote_from, recorded
            )
        targets = {environment: arn}
        if arn != LATEST:  # an explicit approved package goes on to the environments promoting it
            targets.update({name: arn for name in promotions(environment, promote_from)})
        targets = {name: targets[name] for name in ENVIRONMENTS if name in targets}
    outputs = {
        "environments": "-".join(targets) or "none",
        "summary": "; ".join(f"{name}: {arn}" for name, arn in targets.items()) or "nothing",
        "override": override,
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
