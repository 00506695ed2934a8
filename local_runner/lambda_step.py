"""Lambda steps: the handler that environments/local.yaml maps the function to
(local_runner.lambdas.<name or ARN>: path/to/file.py:function) is invoked with the step's
Arguments as the event, in a child process with a clean environment (no AWS credentials), as
`local_runner.lambda_host`. Its returned mapping fills OutputParameters, typed as declared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from env_config import REPO_ROOT
from local_runner.expressions import ExpressionError

KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "TMPDIR", "HOME")
PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # where this local_runner is importable from


class LambdaFailed(RuntimeError):
    """The handler raised or returned something that is not a mapping of the declared outputs."""


def function_name(arn_or_name: str) -> str:
    """arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>] -> <name>."""
    parts = arn_or_name.split(":")
    if len(parts) >= 7 and parts[:3] == ["arn", "aws", "lambda"]:
        return parts[6]
    return arn_or_name


def handler_for(arn_or_name: str, lambdas: dict[str, str]) -> str | None:
    return lambdas.get(arn_or_name) or lambdas.get(function_name(arn_or_name))


def handler_problem(handler: str) -> str | None:
    """Why 'file.py:function' cannot be invoked, checked before any step runs."""
    path, _, function = handler.rpartition(":")
    file = REPO_ROOT / path
    if not path.endswith(".py") or not file.is_file():
        return f"handler file {path} does not exist in the repository ({REPO_ROOT})"
    if not function.isidentifier():
        return f"'{function}' is not a function name"
    return None


def _convert(name: str, kind: str, value: Any) -> Any:
    try:
        if kind == "Integer":
            return int(value)
        if kind == "Float":
            return float(value)
        if kind == "Boolean":
            return value if isinstance(value, bool) else str(value).lower() == "true"
        return value if isinstance(value, str) else json.dumps(value)
    except (TypeError, ValueError):
        raise LambdaFailed(f"output {name}: {value!r} is not a {kind}.") from None


def invoke(
    handler: str, event: dict[str, Any], outputs: list[dict[str, str]], folder: Path
) -> dict[str, Any]:
    """Run the handler; the step's properties (OutputParameters as [{Name, Value}])."""
    folder.mkdir(parents=True, exist_ok=True)
    result_file = folder / "lambda-result.json"
    result_file.unlink(missing_ok=True)
    path, _, function = handler.rpartition(":")
    env = {key: os.environ[key] for key in KEPT_VARIABLES if key in os.environ}
    # the handler's own folder first, as Lambda puts the function's code on the path
    folders = [str((REPO_ROOT / path).parent), str(PACKAGE_ROOT), str(REPO_ROOT)]
    imports = os.pathsep.join(dict.fromkeys(folders))
    env.update({"PYTHONPATH": imports, "PYTHONDONTWRITEBYTECODE": "1"})
    with (folder / "stdout.log").open("wb") as out, (folder / "stderr.log").open("wb") as err:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "local_runner.lambda_host",
                str(REPO_ROOT / path),
                function,
                str(result_file),
            ],
            input=json.dumps(event).encode(),
            stdout=out,
            stderr=err,
            env=env,
            cwd=REPO_ROOT,
            check=False,
        )
    if completed.returncode != 0 or not result_file.is_file():
        lines = (folder / "stderr.log").read_text(errors="replace").strip().splitlines()
        raise LambdaFailed(
            f"handler {handler} failed (exit {completed.returncode}): "
            f"{lines[-1] if lines else 'no error output'}; log {folder / 'stderr.log'}."
        )
    returned = json.loads(result_file.read_text(encoding="utf-8"))
    if not isinstance(returned, dict):
        raise LambdaFailed(f"handler {handler} returned {type(returned).__name__}, not a mapping.")
    parameters = []
    for output in outputs:
        name = output.get("OutputName")
        if name not in returned:
            raise ExpressionError(
                f"handler {handler} returned no '{name}' (returned: {sorted(returned)}); the step "
                "declares it in OutputParameters."
            )
        parameters.append(
            {
                "Name": name,
                "Value": _convert(name, output.get("OutputType", "String"), returned[name]),
            }
        )
    return {"OutputParameters": parameters}
