"""Processing and Training jobs as subprocesses, with the SageMaker container contract mapped into
a per-run folder: /opt/ml/... becomes <run>/<step>/opt_ml/..., the interpreter is this Python.

A job: download its S3 inputs into the mapped paths, run the entry point with SM_OPT_ML (and
the SM_* variables of framework containers) set, then on success upload its outputs. Training
also writes input/config/hyperparameters.json (string values, as SageMaker does), packs
<SM_OPT_ML>/model/ into model.tar.gz, uploads it to <S3OutputPath>/<job>/output/model.tar.gz,
and syncs checkpoints.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_runner import fsutil, objectstore
from local_runner.expressions import UnsupportedError, to_text

CONTAINER_ROOT = "/opt/ml"
_CONTAINER_PATH = re.compile(r"(?<![\w./-])/opt/ml(?=/|$|[^\w.-])")
PYTHON_NAMES = re.compile(r"^(?:.*/)?python(?:3(?:\.\d+)?)?$")
DEFAULT_MAX_RUNTIME = 24 * 3600


class JobFailed(RuntimeError):
    """A job whose process failed: everything a person needs to act on it."""

    def __init__(self, reason: str, exit_code: int | None, stderr_tail: str, log: Path):
        super().__init__(reason)
        self.reason = reason
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail
        self.log = log


@dataclass(frozen=True)
class JobSpec:
    step: str
    job_name: str
    step_dir: Path
    region: str
    account: str

    @property
    def opt_ml(self) -> Path:
        return self.step_dir / "opt_ml"

    @property
    def stdout_log(self) -> Path:
        return self.step_dir / "stdout.log"

    @property
    def stderr_log(self) -> Path:
        return self.step_dir / "stderr.log"

    def arn(self, kind: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{kind}/{self.job_name.lower()}"


def map_path(container_path: str, spec: JobSpec) -> Path:
    """A container path under /opt/ml -> the same path under the step's opt_ml folder."""
    if not isinstance(container_path, str) or not (
        container_path == CONTAINER_ROOT or container_path.startswith(CONTAINER_ROOT + "/")
    ):
        raise UnsupportedError(
            f"step {spec.step}: container path '{container_path}' is outside {CONTAINER_ROOT}; "
            "the local runner maps only /opt/ml/... (SageMaker requires it for job paths too)."
        )
    return spec.opt_ml / container_path[len(CONTAINER_ROOT) :].lstrip("/")


def map_text(text: str, spec: JobSpec) -> str:
    return _CONTAINER_PATH.sub(str(spec.opt_ml), text)


def command(entrypoint: Any, arguments: Any, spec: JobSpec) -> list[str]:
    if not entrypoint:
        raise UnsupportedError(
            f"step {spec.step}: no ContainerEntrypoint. The local runner runs no images, so every "
            "job step must name its entry point explicitly (python3 <script>)."
        )
    parts = [map_text(to_text(item), spec) for item in [*entrypoint, *(arguments or [])]]
    if not PYTHON_NAMES.match(parts[0]):
        raise UnsupportedError(
            f"step {spec.step}: entry point '{parts[0]}' is not a Python interpreter; the local "
            "runner runs python3 entry points with this project's Python (no Docker)."
        )
    return [sys.executable, *parts[1:]]


def base_environment(spec: JobSpec, extra: dict[str, Any] | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SM_")}
    env.update({key: map_text(to_text(value), spec) for key, value in (extra or {}).items()})
    env["SM_OPT_ML"] = str(spec.opt_ml)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def failure_reason(spec: JobSpec) -> str | None:
    for name in ("failure", "message"):
        path = spec.opt_ml / "output" / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace").strip()
            if text:
                return text
    return None


def execute(argv: list[str], env: dict[str, str], spec: JobSpec, max_runtime: float) -> None:
    """Run the process; raise JobFailed with its reason, exit code and stderr tail on failure."""
    spec.step_dir.mkdir(parents=True, exist_ok=True)
    (spec.opt_ml / "output").mkdir(parents=True, exist_ok=True)
    with spec.stdout_log.open("wb") as out, spec.stderr_log.open("wb") as err:
        out.write(f"$ {' '.join(argv)}\n".encode())
        out.flush()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=spec.step_dir)
        timed_out = threading.Event()

        def stop() -> None:  # StoppingCondition: SIGTERM, then SIGKILL after 10 s, as SageMaker
            timed_out.set()
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

        timer = threading.Timer(max_runtime, stop)
        timer.daemon = True
        timer.start()
        try:
            code = process.wait()  # no polling: returns the moment the job ends
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            timer.cancel()
    if timed_out.is_set():
        raise JobFailed(
            f"MaxRuntimeExceeded: the job ran longer than {max_runtime:.0f} s "
            "(StoppingCondition.MaxRuntimeInSeconds).",
            None,
            tail(spec.stderr_log),
            spec.stderr_log,
        )
    if code != 0:
        reason = failure_reason(spec) or f"AlgorithmError: the entry point exited with code {code}."
        raise JobFailed(reason, code, tail(spec.stderr_log), spec.stderr_log)


def _max_runtime(arguments: dict[str, Any]) -> float:
    stopping = arguments.get("StoppingCondition") or {}
    return float(stopping.get("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME))


def run_processing(arguments: dict[str, Any], spec: JobSpec) -> dict[str, Any]:
    app = arguments.get("AppSpecification") or {}
    argv = command(app.get("ContainerEntrypoint"), app.get("ContainerArguments"), spec)
    for item in arguments.get("ProcessingInputs") or []:
        name = item.get("InputName", "?")
        if "S3Input" not in item:
            raise UnsupportedError(
                f"step {spec.step}: input '{name}' is not an S3Input (DatasetDefinition inputs "
                "are not supported locally)."
            )
        s3_input = item["S3Input"]
        if s3_input.get("S3DataType", "S3Prefix") != "S3Prefix":
            raise UnsupportedError(
                f"step {spec.step}: input '{name}' has S3DataType "
                f"'{s3_input.get('S3DataType')}'; only S3Prefix is supported locally."
            )
        local = map_path(s3_input["LocalPath"], spec)
        if objectstore.download_prefix(s3_input["S3Uri"], local) == 0:
            raise JobFailed(
                f"ClientError: input '{name}': no object under {s3_input['S3Uri']} "
                f"(local object store: {objectstore.path_for(s3_input['S3Uri'])}).",
                None,
                "",
                spec.stderr_log,
            )
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    for item in outputs:
        if "S3Output" not in item:
            raise UnsupportedError(
                f"step {spec.step}: output '{item.get('OutputName')}' is not an S3Output."
            )
        map_path(item["S3Output"]["LocalPath"], spec).mkdir(parents=True, exist_ok=True)
    env = base_environment(spec, arguments.get("Environment"))
    execute(argv, env, spec, _max_runtime(arguments))
    for item in outputs:
        output = item["S3Output"]
        objectstore.upload_dir(map_path(output["LocalPath"], spec), output["S3Uri"])
    return {
        **arguments,
        "ProcessingJobName": spec.job_name,
        "ProcessingJobArn": spec.arn("processing-job"),
        "ProcessingJobStatus": "Completed",
        "ExitMessage": "",
    }


def pack_model(model_dir: Path, target: Path) -> None:
    """model.tar.gz of the folder's contents, byte-for-byte reproducible (sorted, zeroed times)."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for file in sorted(model_dir.rglob("*")):
            info = archive.gettarinfo(str(file), arcname=file.relative_to(model_dir).as_posix())
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if file.is_file():
                with file.open("rb") as handle:
                    archive.addfile(info, handle)
            else:
                archive.addfile(info)
    fsutil.write_bytes(target, buffer.getvalue())


def parse_metrics(definitions: list[dict[str, str]], spec: JobSpec) -> list[dict[str, Any]]:
    """FinalMetricDataList: the last match of each MetricDefinitions regex in the job's logs."""
    if not definitions:
        return []
    text = "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in (spec.stdout_log, spec.stderr_log)
        if path.exists()
    )
    metrics = []
    for definition in definitions:
        matches = re.findall(definition["Regex"], text)
        if matches:
            last = matches[-1][0] if isinstance(matches[-1], tuple) else matches[-1]
            try:
                value = float(last)
            except ValueError:
                continue
            metrics.append(
                {"MetricName": definition["Name"], "Value": value, "Timestamp": time.time()}
            )
    return metrics


def run_training(arguments: dict[str, Any], spec: JobSpec) -> dict[str, Any]:
    algorithm = arguments.get("AlgorithmSpecification") or {}
    argv = command(algorithm.get("ContainerEntrypoint"), algorithm.get("ContainerArguments"), spec)
    env = base_environment(spec, arguments.get("Environment"))
    channels = []
    for channel in arguments.get("InputDataConfig") or []:
        name = channel["ChannelName"]
        source = (channel.get("DataSource") or {}).get("S3DataSource")
        if not source:
            raise UnsupportedError(
                f"step {spec.step}: channel '{name}' has no S3DataSource (file system and "
                "dataset sources are not supported locally)."
            )
        if source.get("S3DataType", "S3Prefix") != "S3Prefix":
            raise UnsupportedError(
                f"step {spec.step}: channel '{name}' has S3DataType '{source.get('S3DataType')}'; "
                "only S3Prefix is supported locally."
            )
        local = spec.opt_ml / "input" / "data" / name
        if objectstore.download_prefix(source["S3Uri"], local) == 0:
            raise JobFailed(
                f"ClientError: channel '{name}': no object under {source['S3Uri']}.",
                None,
                "",
                spec.stderr_log,
            )
        env[f"SM_CHANNEL_{name.upper()}"] = str(local)
        channels.append(name)
    hyperparameters = {
        key: to_text(value) for key, value in (arguments.get("HyperParameters") or {}).items()
    }
    config = spec.opt_ml / "input" / "config"
    fsutil.write_json(config / "hyperparameters.json", hyperparameters)
    fsutil.write_json(
        config / "inputdataconfig.json",
        {
            name: {"TrainingInputMode": algorithm.get("TrainingInputMode", "File")}
            for name in channels
        },
    )
    fsutil.write_json(
        config / "resourceconfig.json", {"current_host": "algo-1", "hosts": ["algo-1"]}
    )
    checkpoint = arguments.get("CheckpointConfig") or {}
    checkpoint_dir = map_path(checkpoint.get("LocalPath", "/opt/ml/checkpoints"), spec)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    if checkpoint.get("S3Uri"):
        objectstore.download_prefix(checkpoint["S3Uri"].rstrip("/") + "/", checkpoint_dir)
    model_dir = spec.opt_ml / "model"
    output_data = spec.opt_ml / "output" / "data"
    model_dir.mkdir(parents=True, exist_ok=True)
    output_data.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "SM_MODEL_DIR": str(model_dir),
            "SM_OUTPUT_DATA_DIR": str(output_data),
            "SM_CHECKPOINT_DIR": str(checkpoint_dir),
            "SM_HPS": json.dumps(hyperparameters),
            "SM_CHANNELS": json.dumps(channels),
            "SM_CURRENT_HOST": "algo-1",
            "SM_HOSTS": json.dumps(["algo-1"]),
        }
    )
    try:
        execute(argv, env, spec, _max_runtime(arguments))
    finally:
        if checkpoint.get("S3Uri"):  # synced even on failure: a Spot restart resumes from it
            objectstore.upload_dir(checkpoint_dir, checkpoint["S3Uri"])
    output_path = (arguments.get("OutputDataConfig") or {}).get("S3OutputPath")
    if not output_path:
        raise JobFailed(
            "ValidationException: OutputDataConfig.S3OutputPath is missing.",
            None,
            "",
            spec.stderr_log,
        )
    if not any(model_dir.iterdir()):
        raise JobFailed(
            f"AlgorithmError: the job wrote nothing to {model_dir} (SM_MODEL_DIR); a training job "
            "must save its model there.",
            0,
            tail(spec.stderr_log),
            spec.stderr_log,
        )
    artifact_uri = f"{output_path.rstrip('/')}/{spec.job_name}/output/model.tar.gz"
    packed = spec.step_dir / "model.tar.gz"
    pack_model(model_dir, packed)
    objectstore.put_file(packed, artifact_uri)
    if any(output_data.iterdir()):
        packed_output = spec.step_dir / "output.tar.gz"
        pack_model(output_data, packed_output)
        objectstore.put_file(
            packed_output, f"{output_path.rstrip('/')}/{spec.job_name}/output/output.tar.gz"
        )
    return {
        **arguments,
        "TrainingJobName": spec.job_name,
        "TrainingJobArn": spec.arn("training-job"),
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "ModelArtifacts": {"S3ModelArtifacts": artifact_uri},
        "FinalMetricDataList": parse_metrics(algorithm.get("MetricDefinitions") or [], spec),
    }
