"""Processing and Training jobs, run on this machine as SageMaker runs them in containers.

A job: find how its container would start (runtimes.plan: entry point, framework script mode or
a built-in algorithm), lay out one /opt/ml per simulated host (InstanceCount > 1 gives algo-1 ..
algo-N, hosts.py) with its inputs (ShardedByS3Key: each host its shard), resourceconfig.json and
the SM_* contract, then run every host's process at once inside the sandbox (sandbox.py: clean
environment, private /opt/ml, fake credentials, AWS_ENDPOINT_URL at an S3 endpoint serving the
object store, s3_endpoint.py). On success, processing uploads each host's outputs to the same
prefix; training packs algo-1's /opt/ml/model into model.tar.gz and uploads it to
<S3OutputPath>/<job>/output/model.tar.gz (hyperparameters.json holds strings, as SageMaker writes
it), and every host syncs its checkpoints.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_runner import (
    fsutil,
    hosts,
    job_checks,
    objectstore,
    paths,
    runtimes,
    sandbox,
    script_mode,
)
from local_runner.expressions import UnsupportedError, to_text
from local_runner.job_checks import CONTAINER_ROOT, check_runnable
from local_runner.s3_endpoint import S3Endpoint
from local_runner.workers import JobFailed, Worker, run_workers

# The interface the executor uses: jobs.JobSpec, run_processing, run_training, check_runnable,
# JobFailed (defined beside, re-exported here).
__all__ = ["JobFailed", "JobSpec", "check_runnable", "map_path", "run_processing", "run_training"]

DEFAULT_MAX_RUNTIME = 24 * 3600


@dataclass(frozen=True)
class JobSpec:
    """One job of a step. runtimes: the image table (None: environments/local.yaml's)."""

    step: str
    job_name: str
    step_dir: Path
    region: str
    account: str
    runtimes: tuple[runtimes.Runtime, ...] | None = None

    @property
    def opt_ml(self) -> Path:
        """algo-1's /opt/ml (the only host of a one-instance job)."""
        return self.step_dir / "opt_ml"

    @property
    def stdout_log(self) -> Path:
        return self.step_dir / "stdout.log"

    @property
    def stderr_log(self) -> Path:
        return self.step_dir / "stderr.log"

    def arn(self, kind: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{kind}/{self.job_name.lower()}"

    def table(self) -> list[runtimes.Runtime]:
        if self.runtimes is not None:
            return list(self.runtimes)
        return _default_table()


_table_cache: list[runtimes.Runtime] | None = None


def _default_table() -> list[runtimes.Runtime]:
    global _table_cache
    if _table_cache is None:
        _table_cache = runtimes.table_from_config(None)
    return _table_cache


def map_path(container_path: str, host: hosts.Host | JobSpec) -> Path:
    """A container path under /opt/ml -> the same path under the host's opt_ml folder."""
    if not isinstance(container_path, str) or not (
        container_path == CONTAINER_ROOT or container_path.startswith(CONTAINER_ROOT + "/")
    ):
        raise UnsupportedError(
            f"container path '{container_path}' is outside {CONTAINER_ROOT}; the local runner "
            "maps only /opt/ml/... (SageMaker requires it for job paths too)."
        )
    return host.opt_ml / container_path[len(CONTAINER_ROOT) :].lstrip("/")


def _launch(step_type: str, arguments: dict[str, Any], spec: JobSpec) -> runtimes.Launch:
    sandbox_problem = sandbox.problem()
    if sandbox_problem:
        raise UnsupportedError(f"step {spec.step}: {sandbox_problem}")
    try:
        return runtimes.plan(spec.step, step_type, arguments, spec.table())
    except runtimes.NotRunnable as error:
        raise UnsupportedError(str(error)) from error


def _cluster(step_type: str, arguments: dict[str, Any], spec: JobSpec) -> list[hosts.Host]:
    count = job_checks.instance_count(step_type, arguments)
    try:
        count = int(to_text(count))
    except ValueError:
        count = 0
    if not 1 <= count <= hosts.MAX_HOSTS:
        raise UnsupportedError(
            f"step {spec.step}: InstanceCount {count} is outside 1..{hosts.MAX_HOSTS}."
        )
    cluster = hosts.cluster(spec.step_dir, count)
    text = hosts.hosts_file_text(cluster)
    for host in cluster:
        (host.opt_ml / "output").mkdir(parents=True, exist_ok=True)
        fsutil.write_bytes(host.hosts_file, text.encode())
    return cluster


def _stage_input(
    uri: str,
    distribution: str,
    destination_of: Any,
    cluster: list[hosts.Host],
    what: str,
    spec: JobSpec,
) -> None:
    """Each host's share of the prefix's objects into its own folder."""
    objects = objectstore.list_objects(uri)
    if not objects:
        raise JobFailed(
            f"ClientError: {what}: no object under {uri} "
            f"(local object store: {objectstore.path_for(uri)}).",
            None,
            "",
            spec.stderr_log,
        )
    for host in cluster:
        objectstore.download_objects(
            uri, hosts.shard(objects, host, distribution), destination_of(host)
        )


def _max_runtime(arguments: dict[str, Any]) -> float:
    stopping = arguments.get("StoppingCondition") or {}
    return float(stopping.get("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME))


def _environment(
    host: hosts.Host,
    requested: dict[str, Any],
    spec: JobSpec,
    launch: runtimes.Launch,
    endpoint: str,
) -> dict[str, str]:
    env = sandbox.environment(
        {key: to_text(value) for key, value in (requested or {}).items()},
        host.home,
        spec.region,
        endpoint,
        launch.runtime.interpreter,
    )
    env["SM_OPT_ML"] = CONTAINER_ROOT
    return env


# -- Processing --
def run_processing(arguments: dict[str, Any], spec: JobSpec) -> dict[str, Any]:
    launch = _launch("Processing", arguments, spec)
    cluster = _cluster("Processing", arguments, spec)
    inputs = arguments.get("ProcessingInputs") or []
    for _name, source in job_checks.data_sources("Processing", arguments):
        if source is None or source.get("S3DataType", "S3Prefix") != "S3Prefix":
            raise UnsupportedError(
                job_checks.data_problems(f"step {spec.step}", "Processing", arguments)[0]
            )
    for item in inputs:
        source = item["S3Input"]
        local = source["LocalPath"]
        map_path(local, spec)
        _stage_input(
            source["S3Uri"],
            source.get("S3DataDistributionType", "FullyReplicated"),
            lambda host, local=local: map_path(local, host),
            cluster,
            f"input '{item.get('InputName', '?')}'",
            spec,
        )
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    for item in outputs:
        if "S3Output" not in item:
            raise UnsupportedError(
                f"step {spec.step}: output '{item.get('OutputName')}' is not an S3Output."
            )
    instance_type = job_checks.instance_type("Processing", arguments)
    for host in cluster:
        for item in outputs:
            map_path(item["S3Output"]["LocalPath"], host).mkdir(parents=True, exist_ok=True)
        config = host.opt_ml / "config"
        fsutil.write_json(
            config / "resourceconfig.json", hosts.resource_config(host, cluster, instance_type)
        )
        fsutil.write_json(
            config / "processingjobconfig.json", {**arguments, "ProcessingJobName": spec.job_name}
        )
    with S3Endpoint(paths.s3_root(), spec.region) as endpoint:
        workers = [
            Worker(
                host,
                [to_text(a) for a in launch.argv],
                _environment(host, arguments.get("Environment"), spec, launch, endpoint.url),
                str(host.folder),
                launch.runtime.interpreter,
            )
            for host in cluster
        ]
        run_workers(workers, _max_runtime(arguments), spec.stderr_log)
    for host in cluster:  # each host uploads its own outputs to the same prefix, as on SageMaker
        for item in outputs:
            output = item["S3Output"]
            objectstore.upload_dir(map_path(output["LocalPath"], host), output["S3Uri"])
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


# -- Training --
def run_training(arguments: dict[str, Any], spec: JobSpec) -> dict[str, Any]:
    launch = _launch("Training", arguments, spec)
    cluster = _cluster("Training", arguments, spec)
    algorithm = arguments.get("AlgorithmSpecification") or {}
    for _name, source in job_checks.data_sources("Training", arguments):
        if source is None or source.get("S3DataType", "S3Prefix") != "S3Prefix":
            raise UnsupportedError(
                job_checks.data_problems(f"step {spec.step}", "Training", arguments)[0]
            )
    channels = []
    for channel in arguments.get("InputDataConfig") or []:
        name = channel["ChannelName"]
        source = channel["DataSource"]["S3DataSource"]
        _stage_input(
            source["S3Uri"],
            source.get("S3DataDistributionType", "FullyReplicated"),
            lambda host, name=name: host.opt_ml / "input" / "data" / name,
            cluster,
            f"channel '{name}'",
            spec,
        )
        channels.append(channel)
    raw_hyperparameters = {
        key: to_text(value) for key, value in (arguments.get("HyperParameters") or {}).items()
    }
    checkpoint = arguments.get("CheckpointConfig") or {}
    checkpoint_path = checkpoint.get("LocalPath", "/opt/ml/checkpoints")
    instance_type = job_checks.instance_type("Training", arguments)
    input_data_config = {
        channel["ChannelName"]: {
            "TrainingInputMode": channel.get("InputMode")
            or algorithm.get("TrainingInputMode", "File"),
            "S3DistributionType": channel["DataSource"]["S3DataSource"].get(
                "S3DataDistributionType", "FullyReplicated"
            ),
            "RecordWrapperType": channel.get("RecordWrapperType", "None"),
            **({"ContentType": channel["ContentType"]} if channel.get("ContentType") else {}),
        }
        for channel in channels
    }
    for host in cluster:
        config = host.opt_ml / "input" / "config"
        fsutil.write_json(config / "hyperparameters.json", raw_hyperparameters)
        fsutil.write_json(config / "inputdataconfig.json", input_data_config)
        fsutil.write_json(
            config / "resourceconfig.json", hosts.resource_config(host, cluster, instance_type)
        )
        for folder in ("model", "output/data", "code"):
            (host.opt_ml / folder).mkdir(parents=True, exist_ok=True)
        checkpoint_dir = map_path(checkpoint_path, host)
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        if checkpoint.get("S3Uri"):
            objectstore.download_prefix(checkpoint["S3Uri"].rstrip("/") + "/", checkpoint_dir)
        if launch.kind == "script-mode":
            try:
                script_mode.unpack_code(launch, host.opt_ml / "code")
            except objectstore.ObjectStoreError as error:
                raise JobFailed(
                    f"ClientError: sagemaker_submit_directory: {error}", None, "", spec.stderr_log
                ) from error
    names = json.dumps(hosts.names(cluster))
    user_args = script_mode.cli_arguments(script_mode.user_hyperparameters(raw_hyperparameters))
    try:
        with S3Endpoint(paths.s3_root(), spec.region) as endpoint:
            workers = []
            for host in cluster:
                env = _environment(host, arguments.get("Environment"), spec, launch, endpoint.url)
                env.update(
                    _training_variables(
                        host,
                        cluster,
                        raw_hyperparameters,
                        input_data_config,
                        checkpoint_path,
                        instance_type,
                    )
                )
                env["SM_HOSTS"] = names
                env["TRAINING_JOB_NAME"] = (
                    spec.job_name
                )  # set in every SageMaker training container
                env["TRAINING_JOB_ARN"] = spec.arn("training-job")
                argv = [to_text(a) for a in launch.argv]
                cwd = str(host.folder)
                if launch.kind == "script-mode":
                    env.update(script_mode.environment(launch, raw_hyperparameters, user_args))
                    argv = script_mode.command(launch, user_args)
                    cwd = script_mode.CODE_DIR
                workers.append(Worker(host, argv, env, cwd, launch.runtime.interpreter))
            run_workers(workers, _max_runtime(arguments), spec.stderr_log)
    finally:
        if checkpoint.get("S3Uri"):  # synced even on failure: a Spot restart resumes from it
            for host in cluster:
                objectstore.upload_dir(map_path(checkpoint_path, host), checkpoint["S3Uri"])
    return _training_result(arguments, spec, algorithm, launch)


def _training_variables(
    host: hosts.Host,
    cluster: list[hosts.Host],
    raw_hyperparameters: dict[str, str],
    input_data_config: dict[str, Any],
    checkpoint_path: str,
    instance_type: str,
) -> dict[str, str]:
    """The SM_* variables of SageMaker's framework containers (container paths)."""
    env = {
        "SM_MODEL_DIR": f"{CONTAINER_ROOT}/model",
        "SM_OUTPUT_DATA_DIR": f"{CONTAINER_ROOT}/output/data",
        "SM_OUTPUT_DIR": f"{CONTAINER_ROOT}/output",
        "SM_INPUT_DIR": f"{CONTAINER_ROOT}/input",
        "SM_INPUT_CONFIG_DIR": f"{CONTAINER_ROOT}/input/config",
        "SM_CHECKPOINT_DIR": checkpoint_path,
        "SM_HPS": json.dumps(raw_hyperparameters),
        "SM_CHANNELS": json.dumps(sorted(input_data_config)),
        "SM_INPUT_DATA_CONFIG": json.dumps(input_data_config),
        "SM_CURRENT_HOST": host.name,
        "SM_CURRENT_INSTANCE_TYPE": instance_type,
        "SM_RESOURCE_CONFIG": json.dumps(hosts.resource_config(host, cluster, instance_type)),
        "SM_NETWORK_INTERFACE_NAME": "eth0",
        "SM_NUM_CPUS": str(os.cpu_count() or 1),
        "SM_NUM_GPUS": "0",
        "SM_NUM_NEURONS": "0",
    }
    for name in input_data_config:
        env[f"SM_CHANNEL_{name.upper()}"] = f"{CONTAINER_ROOT}/input/data/{name}"
    return env


def _training_result(
    arguments: dict[str, Any], spec: JobSpec, algorithm: dict[str, Any], launch: runtimes.Launch
) -> dict[str, Any]:
    """Pack algo-1's model (and output data), upload them, describe the job."""
    output_path = (arguments.get("OutputDataConfig") or {}).get("S3OutputPath")
    if not output_path:
        raise JobFailed(
            "ValidationException: OutputDataConfig.S3OutputPath is missing.",
            None,
            "",
            spec.stderr_log,
        )
    model_dir = spec.opt_ml / "model"
    output_data = spec.opt_ml / "output" / "data"
    # An empty /opt/ml/model still gives a model.tar.gz, as on SageMaker (an @step function's
    # job saves nothing there: its return value goes to S3).
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
        "FinalMetricDataList": parse_metrics(
            algorithm.get("MetricDefinitions") or _algorithm_metric_definitions(launch, spec), spec
        ),
    }


_EVALUATION_LINE = re.compile(r"#011(train|validation)-([^:#\s]+):")


def _algorithm_metric_definitions(launch: runtimes.Launch, spec: JobSpec) -> list[dict[str, str]]:
    """A built-in algorithm defines its own metrics (train:<m>, validation:<m>): one regex per
    pair its evaluation lines show, as the algorithm's metric definitions on AWS."""
    if launch.kind != "algorithm" or not spec.stdout_log.exists():
        return []
    pairs = sorted(set(_EVALUATION_LINE.findall(spec.stdout_log.read_text(errors="replace"))))
    return [
        {
            "Name": f"{channel}:{metric}",
            "Regex": rf"#011{channel}-{re.escape(metric)}:([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)",
        }
        for channel, metric in pairs
    ]
