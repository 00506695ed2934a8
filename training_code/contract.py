"""The SageMaker container contract, in one place, for the step scripts.

SageMaker mounts everything under /opt/ml. The local runner and the tests cannot write there, so the
root can be moved with the SM_OPT_ML environment variable; every other path is derived from it. The
SM_* variables that framework containers export (SM_CHANNEL_TRAIN, SM_MODEL_DIR, ...) win when set,
because a bring-your-own container receives only the files, not the variables.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

DEFAULT_ROOT = "/opt/ml"


class StepInputError(Exception):
    """Bad input that the user must fix: the message says what, where, and how."""


def opt_ml(*parts: str) -> Path:
    """A path inside the container's /opt/ml tree, honouring SM_OPT_ML."""
    return Path(os.environ.get("SM_OPT_ML", DEFAULT_ROOT), *parts)


def from_env(variable: str, *default_parts: str) -> Path:
    """SM_* variable when exported, else the documented default under /opt/ml."""
    value = os.environ.get(variable)
    return Path(value) if value else opt_ml(*default_parts)


def channel_dir(name: str) -> Path:
    """A training input channel: SM_CHANNEL_<NAME> or /opt/ml/input/data/<name>."""
    return from_env(f"SM_CHANNEL_{name.upper()}", "input", "data", name)


def model_dir() -> Path:
    return from_env("SM_MODEL_DIR", "model")


def output_data_dir() -> Path:
    return from_env("SM_OUTPUT_DATA_DIR", "output", "data")


def checkpoint_dir() -> Path:
    return from_env("SM_CHECKPOINT_DIR", "checkpoints")


def read_hyperparameters() -> dict[str, str]:
    """SageMaker writes every hyperparameter as a JSON string; callers convert types."""
    path = opt_ml("input", "config", "hyperparameters.json")
    if not path.exists():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {key: str(value) for key, value in raw.items()}


def fail(message: str, failure_file: Path | None = None) -> None:
    """Print the message for the logs, leave it where SageMaker reads a job's FailureReason, exit 2."""
    print(f"ERROR: {message}", file=sys.stderr, flush=True)
    target = failure_file or opt_ml("output", "failure")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(message[:1024], encoding="utf-8")
    except OSError:
        pass  # the message is already in the logs; a read-only /opt/ml must not hide it
    raise SystemExit(2)


def write_json_atomically(path: Path, payload: dict) -> None:
    """Write then rename, so a reader never sees half a file (a killed job leaves no torn JSON)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(payload, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)
