"""ENV=local end to end: the definition, the code and data in the object store, the run, approval
per environments/local.yaml, the endpoint and its smoke test. The CLI (local_runner.cli) and the
Make targets (mk/local.mk) are thin layers over these functions.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import code_bundle
from env_config import REPO_ROOT, EnvConfig, load
from local_runner import endpoint, fsutil, objectstore, paths
from local_runner.executor import (
    EXIT_FAIL_STEP,
    DefinitionError,
    ExecutionResult,
    Executor,
    load_definition,
)
from local_runner.registry import APPROVED, PENDING, Registry

DEFINITION = REPO_ROOT / "build" / "local" / "pipeline-definition.json"
SAMPLE_DATA = REPO_ROOT / "data" / "raw" / "breast_cancer.csv"
DEFINITION_SOURCES = ("build_pipeline", "env_config", "training_code")


class LocalError(RuntimeError):
    """A life-cycle step that cannot go on; the message says what to do."""


@dataclass
class Local:
    """The local environment's names, all derived from environments/local.yaml."""

    config: EnvConfig

    @classmethod
    def load(cls) -> Local:
        config = load("local")
        if not config.is_local:
            raise LocalError("the local runner serves ENV=local only.")
        return cls(config)

    @property
    def group(self) -> str:
        return self.config.model_package_group

    @property
    def champion_uri(self) -> str:
        return self.config.s3_uri("champion", "current") + "/"

    @property
    def registry(self) -> Registry:
        return Registry(
            self.champion_uri, region=self.config.region, account=self.config.account_id
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
) -> ExecutionResult:
    if definition_path == DEFINITION:  # the generated one is kept current; a given file is as is
        ensure_definition(definition_path, out)
    definition = load_definition(definition_path)
    executor = Executor(
        definition,
        overrides=overrides or {},
        pipeline_name=local.config.get("resources.pipeline_name"),
        region=local.config.region,
        account=local.config.account_id,
        registry=local.registry,
        use_cache=use_cache,
        out=out,
        definition_sha256=fsutil.sha256_bytes(definition_path.read_bytes()),
    )
    code_uri = stage_code(local)
    if code_uri not in definition_path.read_text(encoding="utf-8"):
        raise DefinitionError(f"{definition_path} does not use the current code bundle {code_uri}.")
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


def test_rows(execution: dict[str, Any], count: int) -> tuple[list[list[str]], list[int]]:
    """The first rows of the test split of an execution: features (as text) and labels."""
    outputs = execution["Steps"]["Preprocess"]["Properties"]["ProcessingOutputConfig"]["Outputs"]
    uri = next(o["S3Output"]["S3Uri"] for o in outputs if o["OutputName"] == "test")
    objects = [
        path
        for key, path in objectstore.list_objects(uri.rstrip("/") + "/")
        if key.endswith(".csv")
    ]
    if not objects:
        raise LocalError(f"no test split under {uri}.")
    schema = json.loads((REPO_ROOT / "training_code" / "schema.json").read_text(encoding="utf-8"))
    with objects[0].open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows, labels = [], []
        for record in reader:
            rows.append([record[name] for name in schema["features"]])
            labels.append(int(float(record[schema["label"]])))
            if len(rows) == count:
                break
    return rows, labels


def smoke_test(
    port: int, rows: list[list[str]], labels: list[int], max_latency_ms: float | None, out=print
) -> dict[str, Any]:
    """Invoke the endpoint with test rows: one prediction per row, valid labels and
    probabilities, agreement with the true labels, and (optionally) a latency bound per row."""
    body = "\n".join(",".join(row) for row in rows).encode()
    status, payload, headers = endpoint.request(port, "POST", "/invocations", body, "text/csv")
    if status != 200:
        raise LocalError(f"smoke test: POST /invocations returned {status}: {payload[:300]!r}")
    predictions = json.loads(payload)["predictions"]
    if len(predictions) != len(rows):
        raise LocalError(f"smoke test: {len(rows)} rows sent, {len(predictions)} predictions back.")
    for index, prediction in enumerate(predictions):
        if prediction.get("label") not in (0, 1) or not 0 <= float(prediction["probability"]) <= 1:
            raise LocalError(f"smoke test: prediction {index} is not valid: {prediction}.")
    agreement = sum(p["label"] == y for p, y in zip(predictions, labels, strict=True)) / len(rows)
    if agreement < 0.8:
        raise LocalError(
            f"smoke test: only {agreement:.0%} of {len(rows)} test rows predicted correctly; the "
            "served model does not behave like the evaluated one (feature order? wrong model?)."
        )
    latencies = []
    for row in rows:
        started = time.perf_counter()
        status, _, _ = endpoint.request(port, "POST", "/invocations", ",".join(row).encode())
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise LocalError(f"smoke test: a single-row request returned {status}.")
    slowest = max(latencies)
    if max_latency_ms is not None and slowest > max_latency_ms:
        raise LocalError(
            f"smoke test: slowest single-row request took {slowest:.0f} ms, over "
            f"endpoint.smoke_test.max_latency_ms={max_latency_ms}."
        )
    result = {
        "rows": len(rows),
        "agreement": agreement,
        "max_latency_ms": round(slowest, 2),
        "version": headers.get("x-model-version"),
    }
    out(
        f"Smoke test passed: {len(rows)} test rows -> {len(predictions)} predictions, "
        f"{agreement:.0%} correct, slowest single row {slowest:.1f} ms "
        f"(model version {result['version']})."
    )
    return result


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
    execution = latest_execution(with_step="Preprocess")
    if execution is None:
        raise LocalError("no execution with a test split to smoke-test with.")
    rows, labels = test_rows(execution, int(local.config.get("endpoint.smoke_test.rows")))
    smoke_test(port, rows, labels, max_latency_ms, out)
    sample = paths.endpoint_dir() / "sample-rows.csv"
    fsutil.write_bytes(sample, ("\n".join(",".join(r) for r in rows) + "\n").encode())
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
            metrics = record.get("Metrics") or {}
            accuracy = _dig(metrics, "binary_classification_metrics.accuracy.value")
            auc = _dig(metrics, "binary_classification_metrics.auc.value")
            lineage = record.get("Lineage") or {}
            data = next(iter((lineage.get("Data") or {}).values()), {})
            mark = "*" if record["ModelPackageVersion"] == champion else " "
            lines.append(
                f" {mark} v{record['ModelPackageVersion']:<3} {record['ModelApprovalStatus']:<22}"
                f" accuracy={_fmt(accuracy)} auc={_fmt(auc)} created {record['CreationTime']}"
            )
            lines.append(
                f"        run {lineage.get('PipelineExecutionId', '?')}, git "
                f"{str(lineage.get('GitSha', '?'))[:12]}, data sha256 "
                f"{str(data.get('sha256', '?'))[:12]}, model sha256 "
                f"{record['ModelDataSha256'][:12]}"
            )
    return "\n".join(lines)


def _dig(document: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(document, dict) or part not in document:
            return None
        document = document[part]
    return document


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
