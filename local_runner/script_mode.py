"""Framework script mode, as SageMaker's framework images run it (the sagemaker-training toolkit):
the code tar.gz of `sagemaker_submit_directory` unpacked into /opt/ml/code, the program run from
there with the user's hyperparameters as `--name value` arguments (sorted by name) and the
SM_* variables (SM_HPS, SM_HP_<NAME>, SM_USER_ARGS, SM_MODULE_DIR, ...)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from local_runner import objectstore
from local_runner.runtimes import Launch, decode_hyperparameter

CODE_DIR = "/opt/ml/code"


def user_hyperparameters(raw: dict[str, str]) -> dict[str, Any]:
    """The decoded hyperparameters without the framework's own sagemaker_* keys."""
    return {
        key: decode_hyperparameter(value)
        for key, value in raw.items()
        if not key.startswith("sagemaker_")
    }


def _arg_value(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{key}={item}" for key, item in sorted(value.items()))
    return str(value)


def cli_arguments(hyperparameters: dict[str, Any]) -> list[str]:
    """--name value pairs in sorted order (single-letter names as -n), as the toolkit builds."""
    arguments: list[str] = []
    for key in sorted(hyperparameters):
        arguments += [f"--{key}" if len(key) > 1 else f"-{key}", _arg_value(hyperparameters[key])]
    return arguments


def unpack_code(launch: Launch, code_dir: Path) -> None:
    """Extract the submit directory's tar.gz into the host's code folder (no path escapes)."""
    data = objectstore.read_bytes(launch.submit_directory)
    code_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        archive.extractall(code_dir, filter="data")


def command(launch: Launch, user_args: list[str]) -> list[str]:
    program = launch.program
    if program.endswith(".py"):
        return [launch.runtime.interpreter, program, *user_args]
    if program.endswith(".sh"):
        return ["/bin/sh", "-c", f"./{program} " + " ".join(_quote(a) for a in user_args)]
    return [f"./{program}", *user_args]


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def environment(launch: Launch, raw: dict[str, str], user_args: list[str]) -> dict[str, str]:
    hyperparameters = user_hyperparameters(raw)
    env = {
        "SM_MODULE_DIR": launch.submit_directory,
        "SM_MODULE_NAME": Path(launch.program).stem,
        "SM_USER_ENTRY_POINT": launch.program,
        "SM_USER_ARGS": json.dumps(user_args),
        "SM_HPS": json.dumps(hyperparameters),
        "SM_FRAMEWORK_MODULE": "",
        "SM_LOG_LEVEL": "20",
        "PYTHONPATH": CODE_DIR,
    }
    for key, value in hyperparameters.items():
        env[f"SM_HP_{key.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env
