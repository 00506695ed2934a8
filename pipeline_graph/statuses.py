"""Step statuses to colour the DAG with, from whichever record is at hand.

Accepted files (JSON):
- the local runner's record of one execution, `.local/runs/<execution-id>/execution.json`
  (`{"Steps": {"Train": {"Status": "Succeeded", ...}}}`);
- SageMaker's `aws sagemaker list-pipeline-execution-steps` output
  (`{"PipelineExecutionSteps": [{"StepName": "Train", "StepStatus": "Succeeded"}]}`);
- a plain mapping `{"Train": "Succeeded"}`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

# Status -> (fill, stroke). SageMaker's names plus the local runner's Cached, Stubbed (a step only
# AWS can run, given declared outputs) and NotRun.
COLOURS = {
    "Succeeded": ("#d3f2dc", "#1e8e3e"),
    "Cached": ("#d6ecfb", "#1a73e8"),
    "Executing": ("#fff3c4", "#b58100"),
    "Starting": ("#fff3c4", "#b58100"),
    "Stopping": ("#fff3c4", "#b58100"),
    "Failed": ("#fbd5d2", "#c5221f"),
    "Stopped": ("#fbd5d2", "#c5221f"),
    "Stubbed": ("#f3e8fd", "#8430ce"),
    "NotRun": ("#eeeeee", "#9aa0a6"),
}
DEFAULT_COLOURS = ("#ffffff", "#3c4043")


class StatusError(ValueError):
    """A statuses file that cannot be read; the message says which forms are accepted."""


def parse_statuses(data: object, source: str = "statuses") -> dict[str, str]:
    if isinstance(data, dict) and isinstance(data.get("Steps"), dict):
        return {name: str(step.get("Status", "")) for name, step in data["Steps"].items()}
    if isinstance(data, dict) and isinstance(data.get("PipelineExecutionSteps"), list):
        return {
            str(step["StepName"]): str(step.get("StepStatus", ""))
            for step in data["PipelineExecutionSteps"]
        }
    if isinstance(data, dict) and all(isinstance(value, str) for value in data.values()):
        return dict(data)
    raise StatusError(
        f"{source}: expected a local run's execution.json, the output of `aws sagemaker "
        'list-pipeline-execution-steps`, or {"StepName": "Status"}.'
    )


def load_statuses(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise StatusError(f"{path}: no such file.") from error
    except ValueError as error:
        raise StatusError(f"{path}: not JSON ({error}).") from error
    return parse_statuses(data, str(path))


def local_home(repo_root: Path) -> Path:
    """Where the local runner keeps its state (the same rule as local_runner.paths.home)."""
    value = os.environ.get("LOCAL_RUNNER_HOME")
    return Path(value).resolve() if value else repo_root / ".local"


def latest_local_run(repo_root: Path) -> Path:
    """execution.json of the newest local execution (ids sort by start time)."""
    runs = local_home(repo_root) / "runs"
    records = sorted(runs.glob("*/execution.json")) if runs.is_dir() else []
    if not records:
        raise StatusError(
            f"No local run under {runs}: run the pipeline first (make run ENV=local), or give "
            "STATUS=<path to a statuses JSON>."
        )
    return records[-1]
