"""Which local command stands in for a job's container: the image -> runtime table and the
launch plan of a Processing or Training request, with every problem found before anything runs.

A job runs, in this order of precedence:
1. its ContainerEntrypoint, when it is a Python interpreter (run with the runtime's Python) or a
   shell script (`/bin/bash runproc.sh`, FrameworkProcessor; `job_driver.sh`, @step functions),
   with that Python first on PATH;
2. framework script mode (Training): `sagemaker_program` + `sagemaker_submit_directory`
   hyperparameters, the contract of SageMaker's framework images (sklearn, xgboost, pytorch,
   huggingface) -- see script_mode.py;
3. the image's built-in algorithm (Training, no entry point): the runtime's `algorithm`
   (`xgboost`: local_runner/algorithms/xgboost_algorithm.py, SageMaker's XGBoost contract).
The table lives in environments/local.yaml (`local_runner.runtimes`, read by env_config): an
image matches a runtime by its repository name; users add their own images there.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ALGORITHMS_DIR = Path(__file__).resolve().parent / "algorithms"
ALGORITHMS = {"xgboost": ALGORITHMS_DIR / "xgboost_algorithm.py"}
PYTHON_NAMES = re.compile(r"^(?:.*/)?python(?:3(?:\.\d+)?)?$")
SHELL_NAMES = re.compile(r"^(?:/usr)?(?:/bin/)?(?:ba)?sh$")
SCRIPT_MODE_KEYS = ("sagemaker_program", "sagemaker_submit_directory")


@dataclass(frozen=True)
class Runtime:
    """One row of the table: which images, which interpreter, what they must provide."""

    name: str
    repositories: tuple[str, ...]
    python: str = ""
    modules: tuple[str, ...] = ()
    algorithm: str = ""

    @property
    def interpreter(self) -> str:
        return self.python or sys.executable


DEFAULT_RUNTIME = Runtime("project", ())


@dataclass(frozen=True)
class Launch:
    """How one job starts: `argv` (container paths; runs inside the sandbox) and its kind."""

    kind: str  # entrypoint | script-mode | algorithm
    argv: list[str]
    runtime: Runtime
    image: str
    program: str = ""
    submit_directory: str = ""
    hyperparameters: dict[str, Any] = field(default_factory=dict)


class NotRunnable(ValueError):
    """A job that cannot run locally; the message names the step, the image and the fix."""


def repository_name(image: str) -> str:
    """<account>.dkr.ecr.<region>.amazonaws.com/<name>:<tag> (or @sha256:...) -> <name>."""
    tail = image.rsplit("/", 1)[-1]
    return re.split(r"[:@]", tail, maxsplit=1)[0]


def table_from_config(config: Any) -> list[Runtime]:
    """The runtime table of an EnvConfig (local_runner.runtimes; absent = none)."""
    if config is None:
        from env_config import load

        config = load("local")
    rows = config.local_runtimes() if hasattr(config, "local_runtimes") else {}
    return [
        Runtime(
            name,
            tuple(row.get("repositories") or ()),
            row.get("python") or "",
            tuple(row.get("modules") or ()),
            row.get("algorithm") or "",
        )
        for name, row in rows.items()
    ]


def match(image: Any, table: list[Runtime]) -> Runtime | None:
    if not isinstance(image, str) or not image:
        return None
    name = repository_name(image)
    for runtime in table:
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in runtime.repositories):
            return runtime
    return None


def _image(step_type: str, arguments: dict[str, Any]) -> Any:
    if step_type == "Processing":
        return (arguments.get("AppSpecification") or {}).get("ImageUri", "")
    algorithm = arguments.get("AlgorithmSpecification") or {}
    return algorithm.get("TrainingImage") or algorithm.get("AlgorithmName") or ""


def _describe(image: Any) -> str:
    return f"image {image}" if isinstance(image, str) and image else "its image"


def decode_hyperparameter(value: str) -> Any:
    """SageMaker's framework containers JSON-decode each value the SDK JSON-encoded."""
    import json

    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def plan(step: str, step_type: str, arguments: dict[str, Any], table: list[Runtime]) -> Launch:
    """The launch of a resolved (or still unresolved) request; NotRunnable says why not."""
    image = _image(step_type, arguments)
    runtime = match(image, table) or DEFAULT_RUNTIME
    key = "AppSpecification" if step_type == "Processing" else "AlgorithmSpecification"
    spec = arguments.get(key) or {}
    entrypoint = spec.get("ContainerEntrypoint") or []
    if entrypoint:
        argv = [*entrypoint, *(spec.get("ContainerArguments") or [])]
        first = argv[0]
        if isinstance(first, str) and PYTHON_NAMES.match(first):
            return Launch("entrypoint", [runtime.interpreter, *argv[1:]], runtime, image)
        if isinstance(first, str) and SHELL_NAMES.match(first):
            return Launch(
                "entrypoint",
                ["/bin/bash" if "bash" in first else "/bin/sh", *argv[1:]],
                runtime,
                image,
            )
        raise NotRunnable(
            f"step {step}: {_describe(image)}: entry point {first!r} is neither a Python "
            "interpreter nor a shell script, and the local runner runs no images (no Docker). "
            "Fix: make ContainerEntrypoint ['python3', '<script>'] (or a bash script shipped as "
            "an input)."
        )
    if step_type != "Training":
        raise NotRunnable(
            f"step {step}: {_describe(image)}: no ContainerEntrypoint, so SageMaker would run the "
            "image's own entry point, which does not exist without Docker. Fix: give the "
            "processor a script (ScriptProcessor/FrameworkProcessor `code=`), which sets "
            "ContainerEntrypoint."
        )
    hyperparameters = arguments.get("HyperParameters") or {}
    if "sagemaker_program" in hyperparameters:
        program = decode_hyperparameter(hyperparameters["sagemaker_program"])
        directory = decode_hyperparameter(hyperparameters.get("sagemaker_submit_directory", ""))
        if not directory:
            raise NotRunnable(
                f"step {step}: {_describe(image)}: script mode names sagemaker_program "
                f"{program!r} but no sagemaker_submit_directory (the code's S3 tar.gz). Fix: "
                "build the estimator with source_dir= so the SDK uploads the code."
            )
        if isinstance(directory, str) and not directory.startswith("s3://"):
            raise NotRunnable(
                f"step {step}: sagemaker_submit_directory {directory!r} is not an s3:// URI; "
                "the local runner reads code only from the object store. Fix: let the SDK "
                "upload source_dir to S3 (a pipeline session does)."
            )
        return Launch("script-mode", [], runtime, image, str(program), str(directory))
    if runtime.algorithm:
        script = ALGORITHMS.get(runtime.algorithm)
        if script is None:
            raise NotRunnable(
                f"step {step}: runtime {runtime.name!r} names algorithm {runtime.algorithm!r}; "
                f"the local runner has {', '.join(sorted(ALGORITHMS))}. Fix "
                "local_runner.runtimes in environments/local.yaml."
            )
        return Launch("algorithm", [runtime.interpreter, str(script)], runtime, image)
    raise NotRunnable(
        f"step {step}: {_describe(image)} has no entry point, no script mode hyperparameters "
        "(sagemaker_program) and no local built-in algorithm. Fix: add the image's repository "
        f"name ({repository_name(image) if isinstance(image, str) else '?'}) to "
        "local_runner.runtimes in environments/local.yaml with `algorithm:`, or train with a "
        "script (entry_point=...)."
    )


def missing_modules(runtime: Runtime) -> list[str]:
    """The runtime's modules its interpreter cannot import."""
    if not runtime.modules:
        return []
    if not runtime.python or Path(runtime.python).resolve() == Path(sys.executable).resolve():
        return [name for name in runtime.modules if importlib.util.find_spec(name) is None]
    probe = (
        "import importlib.util, sys\n"
        "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))"
    )
    try:
        result = subprocess.run(
            [runtime.python, "-c", probe, *runtime.modules],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return list(runtime.modules)
    return result.stdout.split() if result.returncode == 0 else list(runtime.modules)
