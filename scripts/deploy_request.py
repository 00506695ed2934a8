"""Read the deploy workflow's trigger into plain outputs, refusing anything malformed.

The deploy workflow starts on `repository_dispatch` (type model-approved, sent by the EventBridge
approval rule: client_payload = {"model_package_arn": ..., "environment": ...}) or on
`workflow_dispatch` (inputs environment, model_package_arn). This script reads the event from
$GITHUB_EVENT_PATH, so no event text is ever interpolated into a shell script, checks the
environment name and the ARN's format (or "latest"), and writes `environment`, `model_package_arn`
and one `deploy_<env>` flag per environment to $GITHUB_OUTPUT. Whether the package is Approved and
in that environment's group is checked next, with AWS credentials
(`python -m deploy validate-event`).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("dev", "staging", "prod")
LATEST = "latest"
ARN_PATTERN = re.compile(
    r"^arn:aws(-[a-z]+)*:sagemaker:[a-z0-9-]+:\d{12}:"
    r"model-package/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}/\d{1,9}$"
)


class RequestError(ValueError):
    """A trigger this workflow refuses; the message says what was wrong."""


def read(event_name: str, event: dict[str, Any]) -> dict[str, str]:
    if event_name == "repository_dispatch":
        if event.get("action") != "model-approved":
            raise RequestError(f"repository_dispatch type '{event.get('action')}' is not handled.")
        payload = event.get("client_payload") or {}
    elif event_name == "workflow_dispatch":
        payload = event.get("inputs") or {}
    else:
        raise RequestError(f"event '{event_name}' does not start a deployment.")
    environment = str(payload.get("environment") or "").strip()
    arn = str(payload.get("model_package_arn") or "").strip() or LATEST
    if environment not in ENVIRONMENTS:
        raise RequestError(
            f"environment '{environment[:40]}' is not one of {', '.join(ENVIRONMENTS)}."
        )
    if arn.lower() == LATEST:
        arn = LATEST
    elif not ARN_PATTERN.fullmatch(arn):
        raise RequestError(
            f"model_package_arn '{arn[:200]}' is not a versioned model package ARN "
            "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>) nor 'latest'."
        )
    outputs = {"environment": environment, "model_package_arn": arn}
    for name in ENVIRONMENTS:
        outputs[f"deploy_{name}"] = str(name == environment).lower()
    return outputs


def main() -> int:
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


if __name__ == "__main__":
    sys.exit(main())
