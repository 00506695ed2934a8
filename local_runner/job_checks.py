"""Up-front checks of a Processing/Training request: every reason it cannot run on this machine,
found before any step runs (the executor calls check_runnable for every job step of the
definition), each naming the step, the image and the fix."""

from __future__ import annotations

import os
from typing import Any

from local_runner import hosts, runtimes, sandbox

CONTAINER_ROOT = "/opt/ml"
JOB_STEP_TYPES = ("Processing", "Training")
DEFAULT_INSTANCE_TYPE = "ml.m5.large"


def check_runnable(
    step_type: str, arguments: dict[str, Any], config: Any = None, step: str | None = None
) -> list[str]:
    """Every reason this Processing/Training request cannot run here, found before any step
    runs: each names the step (when given), the image and the fix. Other step types: []."""
    if step_type not in JOB_STEP_TYPES:
        return []
    label = f"step {step or '?'}"
    problems: list[str] = []
    reason = sandbox.problem()
    if reason:
        problems.append(f"{label}: {reason}")
    try:
        table = runtimes.table_from_config(config)
    except ValueError as error:
        return [*problems, f"{label}: {error}"]
    try:
        launch = runtimes.plan(label.removeprefix("step "), step_type, arguments, table)
    except runtimes.NotRunnable as error:
        return [*problems, str(error)]
    runtime = launch.runtime
    image = f"image {launch.image}" if isinstance(launch.image, str) and launch.image else "image"
    if runtime.python and not os.access(runtime.python, os.X_OK):
        problems.append(
            f"{label}: {image} (runtime {runtime.name}): python {runtime.python!r} is not an "
            f"executable. Fix local_runner.runtimes.{runtime.name}.python in "
            "environments/local.yaml."
        )
    else:
        missing = runtimes.missing_modules(runtime)
        if missing:
            problems.append(
                f"{label}: {image} (runtime {runtime.name}) needs {', '.join(missing)}, which "
                f"{runtime.interpreter} cannot import. Fix: pip install them there, or point "
                f"local_runner.runtimes.{runtime.name}.python in environments/local.yaml at an "
                "interpreter that has them."
            )
    problems += _check_entry_script(label, step_type, arguments, launch)
    problems += data_problems(label, step_type, arguments)
    return problems


def _input_dirs(step_type: str, arguments: dict[str, Any]) -> list[str]:
    if step_type == "Processing":
        return [
            item["S3Input"].get("LocalPath", "")
            for item in arguments.get("ProcessingInputs") or []
            if isinstance(item.get("S3Input"), dict)
        ]
    return [
        f"{CONTAINER_ROOT}/input/data/{channel.get('ChannelName')}"
        for channel in arguments.get("InputDataConfig") or []
    ]


def _check_entry_script(
    label: str, step_type: str, arguments: dict[str, Any], launch: runtimes.Launch
) -> list[str]:
    """An entry script under /opt/ml must arrive through an input: the image is not there."""
    if launch.kind != "entrypoint" or len(launch.argv) < 2:
        return []
    script = launch.argv[1]
    if not isinstance(script, str) or not script.startswith(CONTAINER_ROOT + "/"):
        return []
    inputs = [d.rstrip("/") for d in _input_dirs(step_type, arguments) if isinstance(d, str)]
    if any(script.startswith(directory + "/") for directory in inputs):
        return []
    return [
        f"{label}: image {launch.image}: the entry point {script} is not under any input's "
        f"local path ({', '.join(inputs) or 'no inputs'}); on AWS it would have to be in the "
        "image, and locally no image exists. Fix: ship the script as an input (the processor's "
        "code=, or a channel)."
    ]


def data_problems(label: str, step_type: str, arguments: dict[str, Any]) -> list[str]:
    problems = []
    count = instance_count(step_type, arguments)
    if isinstance(count, int) and not 1 <= count <= hosts.MAX_HOSTS:
        problems.append(
            f"{label}: InstanceCount {count} is outside 1..{hosts.MAX_HOSTS} for local hosts."
        )
    for name, local in _local_paths(step_type, arguments):
        if isinstance(local, str) and not (
            local == CONTAINER_ROOT or local.startswith(CONTAINER_ROOT + "/")
        ):
            problems.append(
                f"{label}: '{name}' has LocalPath '{local}', outside {CONTAINER_ROOT}; SageMaker "
                f"requires job paths under {CONTAINER_ROOT} too. Fix: use /opt/ml/processing/..."
            )
    for name, source in data_sources(step_type, arguments):
        if source is None:
            problems.append(
                f"{label}: input '{name}' is not an S3 input (DatasetDefinition, file system "
                "sources are not supported locally). Fix: read the data from S3."
            )
            continue
        data_type = source.get("S3DataType", "S3Prefix")
        if isinstance(data_type, str) and data_type != "S3Prefix":
            problems.append(
                f"{label}: input '{name}' has S3DataType '{data_type}'; only S3Prefix runs "
                "locally. Fix: point it at a prefix."
            )
    return problems


def _local_paths(step_type: str, arguments: dict[str, Any]) -> list[tuple[str, Any]]:
    if step_type != "Processing":
        checkpoint = arguments.get("CheckpointConfig") or {}
        return [("CheckpointConfig", checkpoint["LocalPath"])] if "LocalPath" in checkpoint else []
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    return [
        (item.get("InputName", "?"), (item.get("S3Input") or {}).get("LocalPath"))
        for item in arguments.get("ProcessingInputs") or []
    ] + [
        (item.get("OutputName", "?"), (item.get("S3Output") or {}).get("LocalPath"))
        for item in outputs
    ]


def data_sources(step_type: str, arguments: dict[str, Any]) -> list[tuple[str, Any]]:
    if step_type == "Processing":
        return [
            (item.get("InputName", "?"), item.get("S3Input"))
            for item in arguments.get("ProcessingInputs") or []
        ]
    return [
        (channel.get("ChannelName", "?"), (channel.get("DataSource") or {}).get("S3DataSource"))
        for channel in arguments.get("InputDataConfig") or []
    ]


def instance_count(step_type: str, arguments: dict[str, Any]) -> Any:
    if step_type == "Processing":
        resources = (arguments.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    else:
        resources = arguments.get("ResourceConfig") or {}
    return resources.get("InstanceCount", 1)


def instance_type(step_type: str, arguments: dict[str, Any]) -> str:
    if step_type == "Processing":
        resources = (arguments.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    else:
        resources = arguments.get("ResourceConfig") or {}
    return str(resources.get("InstanceType") or DEFAULT_INSTANCE_TYPE)
