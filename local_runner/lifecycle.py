"""ENV=local end to end: the definition, the code and data in the object store, the run, approval
per environments/local.yaml, the endpoint and its smoke test. The CLI (local_runner.cli) and the
Make targets (mk/local.mk) are thin layers over these functions.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import code_bundle
from env_config import REPO_ROOT, EnvConfig, load
from local_runner import champion as champion_files
from local_runner import endpoint, fsutil, lineage, objectstore, paths, smoke
from local_runner.executor import (
    EXIT_FAIL_STEP,
    DefinitionError,
    ExecutionResult,
    Executor,
    flatten,
    load_definition,
)
from local_runner.registry import APPROVED, PENDING, Registry
from local_runner.settings import StepSettings

DEFINITION = REPO_ROOT / "build" / "local" / "pipeline-definition.json"
SAMPLE_DATA = REPO_ROOT / "data" / "raw" / "breast_cancer.csv"
DEFINITION_SOURCES = ("build_pipeline", "env_config", "training_code")


class LocalError(RuntimeError):
    """A life-cycle step that cannot go on; the message says what to do."""


@dataclass
class Local:
    """The local environment's names, all derived from environments/local.yaml; `group_name`
    picks another model package group (one another definition registers into)."""

    config: EnvConfig
    group_name: str | None = None

    @classmethod
    def load(cls, group: str | None = None) -> Local:
        config = load("local")
        if not config.is_local:
            raise LocalError("the local runner serves ENV=local only.")
        return cls(config, group)

    @property
    def group(self) -> str:
        return self.group_name or self.config.model_package_group

    @property
    def is_template_group(self) -> bool:
        return self.group == self.config.model_package_group

    @property
    def champion_uri(self) -> str:
        return self.config.s3_uri("champion", "current") + "/"

    @property
    def registry(self) -> Registry:
        """Only the template's group publishes its champion where the template's Evaluate reads
        it (champion/current/); another group's approvals must never overwrite that."""
        return Registry(
            self.champion_uri if self.is_template_group else None,
            region=self.config.region,
            account=self.config.account_id,
        )

    @property
    def port(self) -> int:
        return int(self.config.get("endpoint.port"))


# ---- preparing a run -----------------------------------------------------------------------
def _newest_source_mtime() -> float:
    newest = (REPO_ROOT / "environments" / "local.yaml").stat().st_mtime
    for folder in DEFINITION_SOURCES:
        for path in (REPO_ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


def definition_is_stale(path: Path = DEFINITION) -> str | None:
    """Why the definition must be regenerated, or None when it is current."""
    if not path.is_file():
        return f"{path.relative_to(REPO_ROOT)} does not exist"
    if path.stat().st_mtime < _newest_source_mtime():
        return "build_pipeline/, training_code/ or environments/local.yaml changed since"
    if f"/code/{code_bundle.digest()}/" not in path.read_text(encoding="utf-8"):
        return "it names another training_code/ digest than the current one"
    return None


def ensure_definition(path: Path = DEFINITION, out=print) -> Path:
    reason = definition_is_stale(path)
    if reason:
        out(f"Generating the definition ({reason}): python -m build_pipeline --env local")
        completed = subprocess.run(
            [sys.executable, "-m", "build_pipeline", "--env", "local", "--out", str(path)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            raise LocalError(
                "`python -m build_pipeline --env local` failed:\n"
                + (completed.stderr or completed.stdout).strip()
            )
    return path


def stage_code(local: Local) -> str:
    """Copy training_code/ to s3://<bucket>/<prefix>/code/<digest>/ (as CI uploads it)."""
    uri = code_bundle.code_uri(local.config)
    for relative in code_bundle.files():
        target = f"{uri}{relative.as_posix()}"
        source = code_bundle.CODE_DIR / relative
        existing = objectstore.path_for(target)
        if not existing.is_file() or existing.read_bytes() != source.read_bytes():
            objectstore.put_file(source, target)
    return uri


def registry_for(local: Local, definition: dict[str, Any]) -> Registry:
    """The template's registry (which publishes the champion for its Evaluate) only when every
    RegisterModel step of the definition registers into the template's group."""
    groups = {
        str((node.spec.get("Arguments") or {}).get("ModelPackageGroupName"))
        for node in flatten(definition).values()
        if node.type == "RegisterModel"
    }
    if groups <= {local.config.model_package_group}:
        return local.registry
    return Local(local.config, next(iter(groups))).registry  # any other group: no publication


def definition_problems(definition: dict[str, Any]) -> list[str]:
    """What SageMaker's API model refuses in the definition (definition_check: botocore's shapes,
    installed with this project), so a definition AWS would reject never runs here; the runner's
    own checks follow. Imported here, not at the top: botocore's model costs about 80 ms, and
    every other command of the CLI (models, approve, status, ...) loads this module."""
    from definition_check import validate

    return [str(problem) for problem in validate(definition)]


def pipeline_name(local: Local, definition_path: Path) -> str:
    if definition_path.resolve() == DEFINITION.resolve():
        return local.config.get("resources.pipeline_name")
    return re.sub(r"[^A-Za-z0-9-]+", "-", definition_path.stem).strip("-")[:82] or "pipeline"


def stage_path(source: Path, uri: str) -> int:
    """A local file or folder into the object store at uri (a folder's files under the prefix)."""
    if source.is_dir():
        return objectstore.upload_dir(source, uri)
    if source.is_file():
        target = uri if not uri.endswith("/") else uri + source.name
        objectstore.put_file(source, target)
        return 1
    raise LocalError(f"{source}: no such file or folder to stage.")


def code_locations(definition: dict[str, Any]) -> list[tuple[str, str]]:
    """(step, uri) of every code location the definition names literally (code inputs and
    channels, sagemaker_submit_directory, SAGEMAKER_SUBMIT_DIRECTORY)."""
    found = []
    for node in flatten(definition).values():
        arguments = node.spec.get("Arguments") or {}
        for record in lineage.inputs_of(node.name, arguments):
            if record["kind"] == "code" and isinstance(record["uri"], str):
                found.append((node.name, record["uri"]))
    return found


def resolve_code(local: Local, definition: dict[str, Any]) -> None:
    """Every code location of the definition must be in the object store before anything runs:
    this template's bundle is staged from training_code/; anything else must already be there."""
    template = code_bundle.code_uri(local.config)
    template_prefix = local.config.s3_uri("code") + "/"
    for step, uri in code_locations(definition):
        if uri == template:
            stage_code(local)
        elif uri.startswith(template_prefix):
            raise DefinitionError(
                f"step {step}: code location {uri} is an older training_code/ bundle than the "
                f"current one ({template}); regenerate the definition: make definition ENV=local."
            )
        elif not objectstore.list_objects(uri):
            raise DefinitionError(
                f"step {step}: code location {uri} is not in the local object store "
                f"({objectstore.path_for(uri)}); put the code there first: python -m local_runner "
                f"stage <file or folder> {uri}"
            )


def stage_data(input_uri: str, out=print) -> None:
    """The sample dataset at InputDataUri, unless the user already put data there."""
    if objectstore.list_objects(input_uri):
        return
    if not SAMPLE_DATA.is_file():
        out("Writing the sample dataset (python -m sample_data).")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sample_data",
                "--out",
                str(SAMPLE_DATA),
            ],
            cwd=REPO_ROOT,
            check=True,
        )
    objectstore.put_file(SAMPLE_DATA, input_uri.rstrip("/") + "/" + SAMPLE_DATA.name)
    out(f"Copied {SAMPLE_DATA.relative_to(REPO_ROOT)} to {input_uri}")


def run(
    local: Local,
    overrides: dict[str, str] | None = None,
    *,
    definition_path: Path = DEFINITION,
    use_cache: bool = True,
    out=print,
    max_parallel: int | None = None,
) -> ExecutionResult:
    """Run any definition: the generated one (kept current), or a given file as it is (its
    pipeline is named after the file, so its cache and runs stay apart from the template's)."""
    if definition_path.resolve() == DEFINITION.resolve():  # however the path was spelled
        ensure_definition(definition_path, out)
    definition = load_definition(definition_path)
    problems = definition_problems(definition)
    if problems:
        raise DefinitionError(
            f"{definition_path} is not a definition SageMaker accepts (nothing has run):\n  "
            + "\n  ".join(problems)
        )
    executor = Executor(
        definition,
        overrides=overrides or {},
        pipeline_name=pipeline_name(local, definition_path),
        region=local.config.region,
        account=local.config.account_id,
        registry=registry_for(local, definition),
        use_cache=use_cache,
        out=out,
        definition_sha256=fsutil.sha256_bytes(definition_path.read_bytes()),
        settings=StepSettings.from_config(local.config),
        parallelism={"MaxParallelExecutionSteps": max_parallel} if max_parallel else None,
    )
    resolve_code(local, definition)
    parameters = executor.parameters
    if parameters.get("InputDataUri") == local.config.get("pipeline.input_data_uri"):
        stage_data(parameters["InputDataUri"], out)
    local.registry.ensure_champion_marker()
    return executor.run()


# ---- registry and endpoint -----------------------------------------------------------------
def serve_champion(local: Local, port: int, out=print) -> dict[str, Any] | None:
    version = local.registry.champion(local.group)["version"]
    if version is None:
        return None
    return endpoint.deploy(local.registry.get(local.group, version), port, out)


def follow_champion(local: Local, out=print) -> None:
    """After approve/reject/rollback: a running endpoint switches to the (new) champion."""
    state = endpoint.status()
    if not state["running"]:
        return
    if (state["backend"] or {}).get("group", local.group) != local.group:
        return  # the endpoint serves another group's champion: approving here does not touch it
    port = state["proxy"]["port"]
    if serve_champion(local, port, out) is None:
        out("No approved version is left; stopping the endpoint.")
        endpoint.undeploy(out)


def latest_execution(with_step: str | None = None) -> dict[str, Any] | None:
    runs = paths.runs_dir()
    if not runs.is_dir():
        return None
    for folder in sorted(runs.iterdir(), reverse=True):
        record = folder / "execution.json"
        if not record.is_file():
            continue
        execution = fsutil.read_json(record)
        step = execution["Steps"].get(with_step) if with_step else None
        if with_step is None or (step and step["Status"] in ("Succeeded", "Cached")):
            return execution
    return None


def run_smoke_test(local: Local, port: int, max_latency_ms: float | None, out=print) -> bool:
    """Smoke-test the champion as served on port with its own test rows; False when skipped
    (the reason is printed). Writes the rows to endpoint/sample-rows.csv for curl."""
    version = local.registry.champion(local.group)["version"]
    if version is None:
        raise LocalError("no champion is served: make deploy ENV=local")
    record = local.registry.get(local.group, version)
    try:
        rows = smoke.read_rows(
            smoke.test_uri(record), int(local.config.get("endpoint.smoke_test.rows"))
        )
    except smoke.Skipped as reason:
        out(f"Smoke test skipped: {reason}.")
        return False
    try:
        smoke.smoke_test(port, rows, max_latency_ms, out)
    except smoke.SmokeError as error:
        raise LocalError(str(error)) from error
    sample = paths.endpoint_dir() / "sample-rows.csv"
    fsutil.write_bytes(sample, ("\n".join(",".join(r) for r in rows.rows) + "\n").encode())
    return True


def deploy(
    local: Local,
    port: int,
    overrides: dict[str, str] | None = None,
    max_latency_ms: float | None = None,
    out=print,
) -> int:
    """The whole life cycle; returns the process exit code."""
    policy = local.config.get("approval.policy")
    if policy == "auto" and not local.config.is_local:
        raise LocalError("auto-approval is allowed only for ENV=local.")
    out(f"== 1/4 Pipeline run (definition {DEFINITION.relative_to(REPO_ROOT)})")
    result = run(local, overrides, out=out)
    registered = result.registered[-1] if result.registered else None
    kept = ""
    if result.status != "Succeeded":
        if result.exit_code != EXIT_FAIL_STEP:
            out(
                f"The run failed at {result.failed_step}; nothing was deployed. Details above; "
                f"logs: make logs ENV=local STEP={result.failed_step}"
            )
            return result.exit_code
        kept = result.failure
    out("== 2/4 Approval (approval.policy: " + policy + ")")
    if registered:
        if registered["status"] == PENDING and policy == "auto":
            local.registry.approve(local.group, registered["version"], "auto (approval.policy)")
            out(f"Approved version {registered['version']} (policy auto, local only).")
        elif registered["status"] == APPROVED:
            out(f"Version {registered['version']} was approved at registration (policy {policy}).")
        else:
            out(
                f"Version {registered['version']} is {registered['status']}. Approve it with: "
                f"make approve ENV=local VERSION={registered['version']}"
            )
    else:
        out(f"Nothing was registered: {kept or 'the run registered no model'}")
    champion = local.registry.champion(local.group)["version"]
    out("== 3/4 Endpoint")
    if champion is None:
        out("There is no approved model yet, so no endpoint was started.")
        return result.exit_code if kept else 0
    if kept:
        out(f"The champion (version {champion}) stays in service.")
    backend = serve_champion(local, port, out)
    out("== 4/4 Smoke test")
    run_smoke_test(local, port, max_latency_ms, out)
    sample = paths.endpoint_dir() / "sample-rows.csv"
    out("")
    out(
        f"Done. Model version {backend['version']} of '{local.group}' serves on "
        f"http://127.0.0.1:{port} (run {result.execution_id}: {result.status})."
    )
    out("Next:")
    out(
        f"  curl -s -X POST -H 'Content-Type: text/csv' --data-binary @{_display(sample)} "
        f"http://127.0.0.1:{port}/invocations"
    )
    out("  make models ENV=local                 # versions, status, metrics, lineage")
    out('  make run ENV=local PARAMS="MaxIter=50"  # a new run (cached steps are reused)')
    out("  make approve ENV=local VERSION=<n>    # serve another version (zero downtime)")
    out("  make rollback ENV=local               # back to the previous champion")
    out("  make status ENV=local                 # last run step by step, champion, endpoint")
    out("  make logs ENV=local STEP=Train        # a step's logs")
    out("  make undeploy ENV=local               # stop the endpoint")
    return 0


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def describe_versions(local: Local) -> str:
    registry = local.registry
    lines = []
    for group in registry.groups() or [local.group]:
        champion = registry.champion(group)["version"]
        versions = registry.versions(group)
        lines.append(
            f"Model package group {group}: {len(versions)} version(s), champion: "
            f"{champion if champion is not None else 'none'}"
        )
        for record in versions:
            lineage = record.get("Lineage") or {}
            documents = lineage.get("MetricsDocuments") or {"": record.get("Metrics") or {}}
            shown = " ".join(
                f"{name}={_fmt(value)}" for name, value in metric_values(documents)[:MAX_METRICS]
            )
            data = next(iter((lineage.get("Data") or {}).values()), {})
            mark = "*" if record["ModelPackageVersion"] == champion else " "
            lines.append(
                f" {mark} v{record['ModelPackageVersion']:<3} {record['ModelApprovalStatus']:<22}"
                f" {shown or 'no metrics'} created {record['CreationTime']}"
            )
            lines.append(
                f"        run {lineage.get('PipelineExecutionId', '?')}, git "
                f"{str(lineage.get('GitSha', '?'))[:12]}, data sha256 "
                f"{str(data.get('sha256', '?'))[:12]}, model sha256 "
                f"{record['ModelDataSha256'][:12]}"
            )
            baseline = champion_files.baseline_uris(record)
            if baseline:
                lines.append(f"        data-quality baseline {baseline['statistics']}")
    return "\n".join(lines)


MAX_METRICS = 6


def metric_values(documents: dict[str, Any]) -> list[tuple[str, float]]:
    """(name, value) of every metric in the package's metrics documents, whatever their kind:
    SageMaker's {"<name>": {"value": v, "standard_deviation": s}} shape gives <name>=v, any other
    number its key (standard deviations, counts of the confusion matrix and the like are left
    out, they are not what a reader compares versions by)."""
    found: list[tuple[str, float]] = []

    def walk(node: Any, name: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("value"), (int, float)) and not isinstance(node["value"], bool):
                found.append((name, float(node["value"])))
                return
            for key, item in node.items():
                if key not in (
                    "standard_deviation",
                    "confusion_matrix",
                    "receiver_operating_characteristic_curve",
                    "precision_recall_curve",
                ):
                    walk(item, key)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            found.append((name, float(node)))

    for document in documents.values():
        walk(document, "value")
    return found


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "-"


def read_log(step: str, execution_id: str | None = None, lines: int | None = None) -> str:
    execution = (
        fsutil.read_json(paths.runs_dir() / execution_id / "execution.json")
        if execution_id
        else latest_execution()
    )
    if execution is None:
        raise LocalError("no local execution yet: make run ENV=local")
    folder = paths.runs_dir() / execution["PipelineExecutionId"]
    steps = execution["Steps"]
    if step not in steps:
        raise LocalError(
            f"execution {execution['PipelineExecutionId']} has no step '{step}' (steps: "
            f"{', '.join(steps)})."
        )
    info = steps[step]
    text = io.StringIO()
    text.write(
        f"# {step} ({info['Type']}) in execution {execution['PipelineExecutionId']}: "
        f"{info['Status']} {info.get('Detail') or ''}\n"
    )
    if info["Status"] == "Cached":
        text.write(f"# cached: the logs are those of execution {info['CachedFrom']}\n")
        folder = paths.runs_dir() / info["CachedFrom"]
    for name in ("stdout.log", "stderr.log"):
        path = folder / step / name
        if path.is_file():
            content = path.read_text(encoding="utf-8", errors="replace").splitlines()
            if lines:
                content = content[-lines:]
            text.write(f"--- {path}\n" + "\n".join(content) + "\n")
    return text.getvalue()


def status_text(local: Local) -> str:
    lines = []
    execution = latest_execution()
    if execution:
        alive = fsutil.pid_alive(execution.get("Pid", 0))
        state = execution["Status"]
        if state == "Executing" and not alive:
            state = "Stopped (its process is gone; run again: cached steps are reused)"
        lines.append(f"Last execution {execution['PipelineExecutionId']}: {state}")
        order = execution.get("StepOrder") or list(execution["Steps"])
        for name in order:
            step = execution["Steps"][name]
            detail = step.get("Detail") or ""
            line = f"  {name:<14} {step['Status']:<9} {step['Seconds']:>7.1f}s {detail}"
            lines.append(line[:160])
    else:
        lines.append("No local execution yet (make run ENV=local).")
    champion = local.registry.champion(local.group)["version"]
    lines.append(f"Champion of {local.group}: {champion if champion is not None else 'none'}")
    state = endpoint.status()
    if state["running"]:
        backend = state["backend"] or {}
        lines.append(
            f"Endpoint: http://127.0.0.1:{state['proxy']['port']} "
            f"{'healthy' if state['healthy'] else 'NOT healthy'}, version {backend.get('version')}"
        )
    else:
        lines.append("Endpoint: not running (make deploy ENV=local)")
    return "\n".join(lines)
