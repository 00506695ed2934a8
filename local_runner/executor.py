"""Run a SageMaker pipeline definition (schema 2020-12-01) on this machine.

The executor builds the step graph from DependsOn, property references and Condition branches,
resolves Parameters (with overrides) and expressions, runs each step, and records everything under
<home>/runs/<execution-id>/. Processing and Training steps whose cache key (SageMaker's cache-key
attributes of the resolved request, plus the content hash of every S3 input) matches a successful
earlier run within CacheConfig.ExpireAfter are reused and shown as cached.

Before anything runs, the whole definition is checked: an unsupported step type, function,
condition or execution variable is an error that names it; nothing is silently skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from env_config import REPO_ROOT
from local_runner import fsutil, jobs, objectstore, params, paths
from local_runner.expressions import (
    CONDITION_TYPES,
    EXECUTION_VARIABLES,
    Context,
    ExpressionError,
    PropertyFileRef,
    UnsupportedError,
    describe,
    evaluate,
    find_functions,
    referenced_steps,
    resolve,
)
from local_runner.registry import PENDING, Registry

SUPPORTED_STEPS = ("Processing", "Training", "Condition", "Fail", "RegisterModel", "Model")
CACHEABLE = {
    "Processing": ("AppSpecification", "Environment", "ProcessingInputs"),
    "Training": (
        "AlgorithmSpecification",
        "CheckpointConfig",
        "DebugHookConfig",
        "DebugRuleConfigurations",
        "Environment",
        "HyperParameters",
        "InputDataConfig",
    ),
}
UNSUPPORTED_HINTS = {
    "Tuning": " Hyperparameter tuning runs on SageMaker only: set pipeline.tuning.enabled: false "
    "in environments/local.yaml (tuning jobs carry no entry point to run here).",
}
EXIT_OK, EXIT_STEP_FAILED, EXIT_DEFINITION, EXIT_FAIL_STEP = 0, 1, 2, 3


class DefinitionError(ValueError):
    """A definition that cannot run: malformed, cyclic, or naming an unknown step/parameter."""


# ---- parameters ----------------------------------------------------------------------------
def _convert(name: str, kind: str, value: Any) -> Any:
    try:
        if kind == "String":
            return value if isinstance(value, str) else str(value)
        if kind == "Integer":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if kind == "Float":
            return float(value)
        if kind == "Boolean":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            raise ValueError
    except (TypeError, ValueError):
        raise DefinitionError(
            f"parameter {name} ({kind}): '{value}' is not a valid {kind}."
        ) from None
    raise UnsupportedError(f"parameter {name}: type '{kind}' is not supported.")


def resolve_parameters(definition: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    try:  # names, types, EnumValues and the environment schema's ranges, before anything runs
        params.check(overrides, definition)
    except params.ParamsError as error:
        raise DefinitionError(str(error)) from None
    declared = {p["Name"]: p for p in definition.get("Parameters", [])}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise DefinitionError(
            f"unknown parameter {', '.join(unknown)} in PARAMS; the definition declares: "
            f"{', '.join(sorted(declared))}."
        )
    values = {}
    for name, parameter in declared.items():
        kind = parameter.get("Type", "String")
        if name in overrides:
            values[name] = _convert(name, kind, overrides[name])
        elif "DefaultValue" in parameter:
            values[name] = _convert(name, kind, parameter["DefaultValue"])
        else:
            raise DefinitionError(
                f'parameter {name} has no DefaultValue; pass it: PARAMS="{name}=<value>".'
            )
    return values


def parse_overrides(items: list[str]) -> dict[str, str]:
    overrides = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise DefinitionError(
                f"'{item}' is not Name=Value (PARAMS=\"AccuracyThreshold=0.95\")."
            )
        overrides[name.strip()] = value.strip()
    return overrides


# ---- the step graph ------------------------------------------------------------------------
@dataclass
class StepNode:
    name: str
    type: str
    spec: dict[str, Any]
    depends: set[str] = field(default_factory=set)
    branch: tuple[str, bool] | None = None  # (condition step, outcome that runs this step)


def flatten(definition: dict[str, Any]) -> dict[str, StepNode]:
    nodes: dict[str, StepNode] = {}
    pending_branch: dict[str, tuple[str, bool]] = {}

    def add(step: Any, branch: tuple[str, bool] | None) -> None:
        if not isinstance(step, dict) or "Name" not in step or "Type" not in step:
            raise DefinitionError(f"a step needs Name and Type: {str(step)[:200]}")
        name = step["Name"]
        if name in nodes:
            raise DefinitionError(f"step name '{name}' is used twice.")
        nodes[name] = StepNode(name=name, type=step["Type"], spec=step, branch=branch)
        if step["Type"] == "Condition":
            arguments = step.get("Arguments") or {}
            for key, outcome in (("IfSteps", True), ("ElseSteps", False)):
                for child in arguments.get(key) or []:
                    if isinstance(child, str):
                        pending_branch[child] = (name, outcome)
                    else:
                        add(child, (name, outcome))

    steps = definition.get("Steps")
    if not isinstance(steps, list) or not steps:
        raise DefinitionError("the definition has no Steps list.")
    for step in steps:
        add(step, None)
    for child, branch in pending_branch.items():
        if child not in nodes:
            raise DefinitionError(f"Condition step {branch[0]} names an unknown step '{child}'.")
        nodes[child].branch = branch
    return nodes


def _walk_conditions(conditions: Any, where: str) -> None:
    for condition in conditions or []:
        kind = condition.get("Type") if isinstance(condition, dict) else None
        if kind not in CONDITION_TYPES:
            raise UnsupportedError(
                f"step {where}: condition type '{kind}' is not supported (supported: "
                f"{', '.join(CONDITION_TYPES)})."
            )
        if kind == "Not":
            _walk_conditions([condition.get("Condition")], where)
        if kind == "Or":
            _walk_conditions(condition.get("Conditions"), where)


def check(definition: dict[str, Any], nodes: dict[str, StepNode]) -> list[str]:
    """Validate everything up front; returns the steps in a topological order."""
    for node in nodes.values():
        if node.type not in SUPPORTED_STEPS:
            raise UnsupportedError(
                f"step {node.name}: type '{node.type}' is not supported by the local runner "
                f"(supported: {', '.join(SUPPORTED_STEPS)}).{UNSUPPORTED_HINTS.get(node.type, '')}"
            )
        arguments = node.spec.get("Arguments") or {}
        if node.type == "Condition":
            _walk_conditions(arguments.get("Conditions"), node.name)
            arguments = {"Conditions": arguments.get("Conditions")}
        for function in find_functions(arguments):
            if function not in ("Get", "Std:Join", "Std:JsonGet"):
                raise UnsupportedError(
                    f"step {node.name}: function '{function}' is not supported (supported: Get, "
                    "Std:Join, Std:JsonGet)."
                )
        for get in _gets(arguments):
            head, _, rest = get.partition(".")
            if head == "Execution" and rest not in EXECUTION_VARIABLES:
                raise UnsupportedError(
                    f"step {node.name}: execution variable '{rest}' is not supported "
                    f"(supported: {', '.join(EXECUTION_VARIABLES)})."
                )
            if head == "Parameters" and rest not in {
                p["Name"] for p in definition.get("Parameters", [])
            }:
                raise DefinitionError(f"step {node.name}: Get '{get}' names no declared parameter.")
            if head not in ("Parameters", "Execution", "Steps"):
                raise UnsupportedError(
                    f"step {node.name}: Get '{get}' ('{head}' is not supported)."
                )
        references = referenced_steps(arguments)
        depends = set(node.spec.get("DependsOn") or [])
        for name in references | depends:
            if name not in nodes:
                raise DefinitionError(f"step {node.name} refers to unknown step '{name}'.")
        node.depends = (references | depends) - {node.name}
        if node.branch:
            node.depends.add(node.branch[0])
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise DefinitionError(f"the steps form a cycle: {' -> '.join([*trail, name])}.")
        state[name] = 1
        for dependency in sorted(nodes[name].depends, key=list(nodes).index):
            visit(dependency, [*trail, name])
        state[name] = 2
        order.append(name)

    for name in nodes:
        visit(name, [])
    return order


def _gets(value: Any) -> list[str]:
    found = []
    if isinstance(value, dict):
        if isinstance(value.get("Get"), str) and len(value) == 1:
            found.append(value["Get"])
        for item in value.values():
            found.extend(_gets(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_gets(item))
    return found


# ---- caching -------------------------------------------------------------------------------
_DURATION = re.compile(
    r"^P?(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> float:
    """ISO 8601 duration (P30D, PT1H, P4DT12H; the P may be omitted, as SageMaker accepts) in s."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        raise DefinitionError(f"CacheConfig.ExpireAfter '{text}' is not an ISO 8601 duration.")
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return float(
        ((years * 365 + months * 30 + weeks * 7 + days) * 24 + hours) * 3600
        + minutes * 60
        + seconds
    )


def _input_uris(node_type: str, arguments: dict[str, Any]) -> list[str]:
    if node_type == "Processing":
        return [
            i["S3Input"]["S3Uri"] for i in arguments.get("ProcessingInputs") or [] if "S3Input" in i
        ]
    return [
        c["DataSource"]["S3DataSource"]["S3Uri"]
        for c in arguments.get("InputDataConfig") or []
        if "S3DataSource" in (c.get("DataSource") or {})
    ]


def _output_uris(node_type: str, properties: dict[str, Any]) -> list[str]:
    if node_type == "Processing":
        outputs = (properties.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        return [o["S3Output"]["S3Uri"] for o in outputs]
    return [properties["ModelArtifacts"]["S3ModelArtifacts"]]


def cache_key(node: StepNode, arguments: dict[str, Any]) -> str:
    selected = {key: arguments.get(key) for key in CACHEABLE[node.type]}
    contents = {uri: objectstore.content_hash(uri) for uri in _input_uris(node.type, arguments)}
    if node.type == "Processing":
        selected["PropertyFiles"] = node.spec.get("PropertyFiles")
    payload = json.dumps(
        {"type": node.type, "request": selected, "inputs": contents}, sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# ---- the execution -------------------------------------------------------------------------
@dataclass
class StepResult:
    name: str
    type: str
    status: str  # Succeeded, Failed, Cached, NotRun
    seconds: float = 0.0
    detail: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    cached_from: str | None = None
    exit_code: int | None = None
    log: str | None = None


@dataclass
class ExecutionResult:
    execution_id: str
    status: str  # Succeeded, Failed
    exit_code: int
    steps: dict[str, StepResult]
    failure: str = ""
    folder: Path | None = None
    registered: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed_step(self) -> str | None:
        return next((s.name for s in self.steps.values() if s.status == "Failed"), None)


def new_execution_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def git_sha() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class Executor:
    def __init__(
        self,
        definition: dict[str, Any],
        *,
        overrides: dict[str, str] | None = None,
        pipeline_name: str = "local-pipeline",
        region: str = "us-east-1",
        account: str = "000000000000",
        registry: Registry | None = None,
        use_cache: bool = True,
        out: Callable[[str], None] | None = None,
        definition_sha256: str = "",
    ):
        self.definition = definition
        self.pipeline_name = pipeline_name
        self.region = region
        self.account = account
        self.registry = registry or Registry(region=region, account=account)
        self.use_cache = use_cache
        self.out = out or (lambda line: print(line, flush=True))
        self.definition_sha256 = (
            definition_sha256
            or hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()
        )
        self.parameters = resolve_parameters(definition, overrides or {})
        self.nodes = flatten(definition)
        self.order = check(definition, self.nodes)

    # -- context helpers --
    def _read_property_file(self, reference: PropertyFileRef) -> Any:
        node = self.nodes[reference.step]
        files = {f.get("PropertyFileName"): f for f in node.spec.get("PropertyFiles") or []}
        if reference.name not in files:
            raise ExpressionError(
                f"step {reference.step} declares no PropertyFile '{reference.name}' (declared: "
                f"{sorted(files)})."
            )
        entry = files[reference.name]
        outputs = (self.context.steps[reference.step].get("ProcessingOutputConfig") or {}).get(
            "Outputs"
        ) or []
        output = next((o for o in outputs if o.get("OutputName") == entry["OutputName"]), None)
        if output is None:
            raise ExpressionError(
                f"PropertyFile {reference.name}: step {reference.step} has no output "
                f"'{entry['OutputName']}'."
            )
        uri = output["S3Output"]["S3Uri"].rstrip("/") + "/" + entry["FilePath"].lstrip("/")
        return self._read_s3_json(uri, f"PropertyFile {reference.name}")

    @staticmethod
    def _read_s3_json(uri: str, what: str = "Std:JsonGet") -> Any:
        if not objectstore.exists(uri):
            raise ExpressionError(f"{what}: {uri} does not exist (the step did not write it).")
        try:
            return json.loads(objectstore.read_bytes(uri))
        except json.JSONDecodeError as error:
            raise ExpressionError(f"{what}: {uri} is not valid JSON ({error}).") from error

    def _say(self, line: str) -> None:
        self.out(line)

    # -- the run --
    def run(self, execution_id: str | None = None) -> ExecutionResult:
        execution_id = execution_id or new_execution_id()
        folder = paths.runs_dir() / execution_id
        folder.mkdir(parents=True, exist_ok=True)
        for shared in (paths.s3_root(), paths.registry_dir(), paths.cache_dir()):
            fsutil.remove_stale_partials(shared)  # left by a process killed mid-write
        started = time.time()
        arn = (
            f"arn:aws:sagemaker:{self.region}:{self.account}:pipeline/"
            f"{self.pipeline_name.lower()}/execution/{execution_id}"
        )
        self.context = Context(
            self.parameters,
            {
                "PipelineExecutionId": execution_id,
                "PipelineExecutionArn": arn,
                "PipelineName": self.pipeline_name,
                "PipelineArn": f"arn:aws:sagemaker:{self.region}:{self.account}:pipeline/"
                f"{self.pipeline_name.lower()}",
                "StartDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                "CurrentDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            },
            read_property_file=self._read_property_file,
            read_s3_json=self._read_s3_json,
        )
        results: dict[str, StepResult] = {}
        result = ExecutionResult(execution_id, "Executing", EXIT_OK, results, folder=folder)
        self._say(
            f"Execution {execution_id} of {self.pipeline_name}: {len(self.order)} steps "
            f"(folder {folder})"
        )
        self._record(result, started)
        stop: str | None = None
        width = max(len(name) for name in self.order)
        for index, name in enumerate(self.order, 1):
            node = self.nodes[name]
            tag = f"[{index}/{len(self.order)}] {name:<{width}} {node.type:<13}"
            reason = stop or self._not_runnable(node, results)
            if reason:
                results[name] = StepResult(name, node.type, "NotRun", detail=reason)
                self._say(f"{tag} not run: {reason}")
                continue
            self._say(f"{tag} started")
            step_started = time.time()
            try:
                step_result = self._run_step(node, execution_id, folder)
            except (ExpressionError, UnsupportedError, DefinitionError) as error:
                step_result = StepResult(name, node.type, "Failed", detail=str(error))
            except jobs.JobFailed as error:
                step_result = StepResult(
                    name,
                    node.type,
                    "Failed",
                    detail=error.reason,
                    exit_code=error.exit_code,
                    log=str(error.log),
                )
                step_result.properties = {"stderr_tail": error.stderr_tail}
            except Exception as error:  # a bug or an I/O error: report it like a failed job
                step_result = StepResult(
                    name, node.type, "Failed", detail=f"{type(error).__name__}: {error}"
                )
            step_result.seconds = time.time() - step_started
            results[name] = step_result
            if step_result.status in ("Succeeded", "Cached"):
                self.context.steps[name] = step_result.properties
            self._report(tag, step_result)
            if step_result.status == "Failed":
                result.status = "Failed"
                result.failure = f"{name}: {step_result.detail}"
                result.exit_code = EXIT_FAIL_STEP if node.type == "Fail" else EXIT_STEP_FAILED
                stop = f"the execution stopped after {name} failed"
            self._record(result, started)
        if result.status == "Executing":
            result.status = "Succeeded"
        self._record(result, started)
        elapsed = time.time() - started
        cached = sum(1 for s in results.values() if s.status == "Cached")
        self._say(
            f"Execution {execution_id} {result.status} in {elapsed:.1f}s "
            f"({cached} step(s) cached)" + (f": {result.failure}" if result.failure else "")
        )
        return result

    def _not_runnable(self, node: StepNode, results: dict[str, StepResult]) -> str | None:
        if node.branch:
            condition, outcome = node.branch
            done = results.get(condition)
            taken = done.properties.get("Outcome") if done else None
            if done and done.status == "Succeeded" and taken != ("True" if outcome else "False"):
                other = "if" if not outcome else "else"
                return f"{condition} evaluated {taken} (took the {other} branch)"
        for dependency in sorted(node.depends):
            if results[dependency].status == "NotRun":
                return f"depends on {dependency}, which did not run"
        return None

    def _report(self, tag: str, step: StepResult) -> None:
        if step.status == "Cached":
            self._say(
                f"{tag} cached ({step.seconds:.1f}s; reused from execution {step.cached_from})"
            )
        elif step.status == "Succeeded":
            extra = f" - {step.detail}" if step.detail else ""
            self._say(f"{tag} succeeded ({step.seconds:.1f}s){extra}")
        else:
            self._say(f"{tag} FAILED ({step.seconds:.1f}s): {step.detail}")
            if step.exit_code is not None:
                self._say(f"    exit code: {step.exit_code}")
            tail = step.properties.get("stderr_tail")
            if tail:
                self._say("    last 20 lines of stderr:")
                for line in tail.splitlines():
                    self._say(f"      {line}")
            if step.log:
                self._say(f"    full log: {step.log} (and stdout.log beside it)")

    def _record(self, result: ExecutionResult, started: float) -> None:
        fsutil.write_json(
            result.folder / "execution.json",
            {
                "PipelineExecutionId": result.execution_id,
                "PipelineName": self.pipeline_name,
                "Status": result.status,
                "FailureReason": result.failure,
                "ExitCode": result.exit_code,
                "Pid": os.getpid(),
                "StartTime": started,
                "LastModifiedTime": time.time(),
                "Parameters": self.parameters,
                "DefinitionSha256": self.definition_sha256,
                "Registered": result.registered,
                "StepOrder": list(result.steps),
                "Steps": {
                    name: {
                        "Type": s.type,
                        "Status": s.status,
                        "Seconds": round(s.seconds, 3),
                        "Detail": s.detail,
                        "CachedFrom": s.cached_from,
                        "ExitCode": s.exit_code,
                        "Log": s.log,
                        "Properties": s.properties if s.status != "Failed" else {},
                    }
                    for name, s in result.steps.items()
                },
            },
        )
        self._last_result = result

    # -- steps --
    def _run_step(self, node: StepNode, execution_id: str, folder: Path) -> StepResult:
        arguments = node.spec.get("Arguments") or {}
        if node.type == "Condition":
            return self._condition(node, arguments)
        resolved = resolve(arguments, self.context)
        if node.type == "Fail":
            message = resolved.get("ErrorMessage", "")
            return StepResult(node.name, node.type, "Failed", detail=str(message))
        if node.type == "RegisterModel":
            return self._register(node, resolved, execution_id)
        if node.type == "Model":
            return self._model(node, resolved)
        return self._job(node, resolved, execution_id, folder)

    def _condition(self, node: StepNode, arguments: dict[str, Any]) -> StepResult:
        outcomes = []
        for condition in arguments.get("Conditions") or []:
            value = evaluate(condition, self.context)
            outcomes.append(f"{describe(condition, self.context)} is {value}")
            if not value:
                break  # all conditions must hold; the first false one is the reason
        outcome = all(o.endswith("True") for o in outcomes)
        return StepResult(
            node.name,
            node.type,
            "Succeeded",
            detail=f"Outcome {outcome}: " + "; ".join(outcomes),
            properties={"Outcome": "True" if outcome else "False"},
        )

    def _job(
        self, node: StepNode, arguments: dict[str, Any], execution_id: str, folder: Path
    ) -> StepResult:
        cache = node.spec.get("CacheConfig") or {}
        key = entry_file = None
        if self.use_cache and cache.get("Enabled"):
            expire = parse_duration(cache.get("ExpireAfter", "P3650D"))
            key = cache_key(node, arguments)
            entry_file = paths.cache_dir() / self.pipeline_name / node.name / f"{key}.json"
            hit = self._cache_hit(node, entry_file, expire)
            if hit:
                return StepResult(
                    node.name,
                    node.type,
                    "Cached",
                    properties=hit["properties"],
                    cached_from=hit["execution_id"],
                )
        job_name = re.sub(r"[^A-Za-z0-9-]", "-", f"pipelines-{execution_id}-{node.name}")[:63]
        spec = jobs.JobSpec(node.name, job_name, folder / node.name, self.region, self.account)
        if node.type == "Processing":
            properties = jobs.run_processing(arguments, spec)
        else:
            properties = jobs.run_training(arguments, spec)
        if entry_file is not None:
            fsutil.write_json(
                entry_file,
                {
                    "key": key,
                    "created": time.time(),
                    "execution_id": execution_id,
                    "properties": properties,
                    "outputs": {
                        uri: objectstore.content_hash(uri)
                        for uri in _output_uris(node.type, properties)
                    },
                },
            )
        detail = ""
        metrics = properties.get("FinalMetricDataList") or []
        if metrics:
            detail = ", ".join(f"{m['MetricName']}={m['Value']:g}" for m in metrics)
        return StepResult(node.name, node.type, "Succeeded", detail=detail, properties=properties)

    @staticmethod
    def _cache_hit(node: StepNode, entry_file: Path, expire: float) -> dict[str, Any] | None:
        if not entry_file.is_file():
            return None
        entry = fsutil.read_json(entry_file)
        if time.time() - entry["created"] > expire:
            return None
        for uri, digest in entry["outputs"].items():  # outputs deleted or changed: run again
            if objectstore.content_hash(uri) != digest or not objectstore.list_objects(uri):
                return None
        return entry

    def _register(self, node: StepNode, arguments: dict[str, Any], execution_id: str) -> StepResult:
        group = arguments.get("ModelPackageGroupName")
        if not group:
            raise DefinitionError(f"step {node.name}: ModelPackageGroupName is missing.")
        containers = (arguments.get("InferenceSpecification") or {}).get("Containers") or []
        if not containers or not containers[0].get("ModelDataUrl"):
            raise DefinitionError(
                f"step {node.name}: InferenceSpecification.Containers[0].ModelDataUrl is missing."
            )
        container = containers[0]
        statistics = ((arguments.get("ModelMetrics") or {}).get("ModelQuality") or {}).get(
            "Statistics"
        ) or {}
        metrics: dict[str, Any] = {}
        if statistics.get("S3Uri"):
            metrics = self._read_s3_json(statistics["S3Uri"], f"{node.name} ModelMetrics")
        lineage = self._lineage(execution_id)
        record = self.registry.register(
            group,
            model_data_url=container["ModelDataUrl"],
            status=arguments.get("ModelApprovalStatus") or PENDING,
            image=container.get("Image", ""),
            metrics=metrics,
            metrics_uri=statistics.get("S3Uri"),
            lineage=lineage,
            customer_metadata=arguments.get("CustomerMetadataProperties") or {},
            description=arguments.get("ModelPackageDescription", ""),
            request=arguments,
        )
        self._last_result.registered.append(
            {
                "group": group,
                "version": record["ModelPackageVersion"],
                "status": record["ModelApprovalStatus"],
                "duplicate": bool(record.get("Duplicate")),
            }
        )
        return StepResult(
            node.name,
            node.type,
            "Succeeded",
            detail=(
                f"{group} version {record['ModelPackageVersion']} ({record['ModelApprovalStatus']})"
                + (
                    ", the same model artifact as before: no new version"
                    if record.get("Duplicate")
                    else ""
                )
            ),
            properties={
                "ModelPackageArn": record["ModelPackageArn"],
                "ModelPackageGroupName": group,
                "ModelPackageVersion": record["ModelPackageVersion"],
                "ModelApprovalStatus": record["ModelApprovalStatus"],
            },
        )

    def _lineage(self, execution_id: str) -> dict[str, Any]:
        data = {}
        for name, value in self.parameters.items():
            if isinstance(value, str) and value.startswith("s3://") and name.endswith("DataUri"):
                data[name] = {"uri": value, "sha256": objectstore.content_hash(value)}
        code = sorted(
            {uri for uri in _strings(self.definition) if re.search(r"/code/[0-9a-f]{6,}/?$", uri)}
        )
        return {
            "PipelineName": self.pipeline_name,
            "PipelineExecutionId": execution_id,
            "DefinitionSha256": self.definition_sha256,
            "GitSha": git_sha(),
            "Parameters": self.parameters,
            "Data": data,
            "Code": code,
            "Steps": {
                name: {
                    key: props[key]
                    for key in ("ProcessingJobName", "TrainingJobName", "ModelArtifacts")
                    if key in props
                }
                for name, props in self.context.steps.items()
            },
        }

    def _model(self, node: StepNode, arguments: dict[str, Any]) -> StepResult:
        name = re.sub(r"[^A-Za-z0-9-]", "-", f"{self.pipeline_name}-{node.name}-{int(time.time())}")
        fsutil.write_json(paths.home() / "models" / f"{name}.json", arguments)
        return StepResult(
            node.name,
            node.type,
            "Succeeded",
            detail=f"model {name}",
            properties={
                "ModelName": name,
                "ModelArn": f"arn:aws:sagemaker:{self.region}:{self.account}:model/{name.lower()}",
                **arguments,
            },
        )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def load_definition(path: Path, attempts: int = 3) -> dict[str, Any]:
    if not path.is_file():
        raise DefinitionError(f"{path}: no definition. Generate it: make definition ENV=local.")
    for attempt in range(attempts):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            if attempt == attempts - 1:
                raise DefinitionError(
                    f"{path}: not valid JSON ({error}). Regenerate it: make definition ENV=local."
                ) from error
            time.sleep(0.5)  # being rewritten by a concurrent `make definition`: read it again
    raise AssertionError("unreachable")
