"""Run a SageMaker pipeline definition (schema 2020-12-01) on this machine.

The executor builds the step graph from DependsOn, property references and Condition branches,
resolves Parameters (with overrides) and expressions, runs each step, and records everything under
<home>/runs/<execution-id>/. Processing and Training steps whose cache key (SageMaker's cache-key
attributes of the resolved request, plus the content hash of every S3 input) matches a successful
earlier run within CacheConfig.ExpireAfter are reused and shown as cached.

Before anything runs, the whole definition is checked: an unsupported step type, function,
condition or execution variable is an error that names it (and, for a step only AWS can run, how
to stub it); nothing is silently skipped. Independent steps run in parallel, up to the definition's
ParallelismConfiguration.MaxParallelExecutionSteps (given like StartPipelineExecution's, or in the
definition; SageMaker's default, 50, otherwise).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from env_config import REPO_ROOT
from local_runner import (
    fsutil,
    jobs,
    lambda_step,
    lineage,
    objectstore,
    params,
    paths,
    serving,
    stubs,
    transform,
    tuning,
)
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
from local_runner.settings import StepSettings

SUPPORTED_STEPS = (
    "Processing",
    "Training",
    "Condition",
    "Fail",
    "RegisterModel",
    "Model",
    "Transform",
    "Tuning",
    "Lambda",
)
DEFAULT_PARALLELISM = 50  # SageMaker's MaxParallelExecutionSteps when the definition sets none
DONE = ("Succeeded", "Cached", "Stubbed")
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
    # SageMaker's cache-key attributes of a tuning step (its trials are reused with it)
    "Tuning": (
        "HyperParameterTuningJobConfig",
        "TrainingJobDefinition",
        "TrainingJobDefinitions",
        "WarmStartConfig",
    ),
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


def _check_kind(node: StepNode, settings: StepSettings) -> None:
    """A step type this runner runs, or one the user stubbed; else say how to stub it."""
    if node.name in settings.stubs:
        return
    hint = stubs.how_to_stub(node.name, node.type, settings.where)
    if node.type == "Lambda":
        function = str(node.spec.get("FunctionArn", ""))
        handler = lambda_step.handler_for(function, settings.lambdas)
        if handler is None:
            raise UnsupportedError(
                f"step {node.name}: Lambda function '{function}' has no local handler; map it in "
                f"{settings.where}: local_runner: lambdas: "
                f"{lambda_step.function_name(function)}: path/to/file.py:handler, or {hint}."
            )
        problem = lambda_step.handler_problem(handler)
        if problem:
            raise UnsupportedError(f"step {node.name}: Lambda handler {handler}: {problem}.")
    elif node.type in stubs.STUB_ONLY:
        raise UnsupportedError(
            f"step {node.name}: type '{node.type}' runs only on AWS; to run the pipeline "
            f"locally, {hint}."
        )
    elif node.type not in SUPPORTED_STEPS:
        raise UnsupportedError(
            f"step {node.name}: type '{node.type}' is not supported by the local runner "
            f"(supported: {', '.join(SUPPORTED_STEPS)}); to run the pipeline anyway, {hint}."
        )
    if node.type == "Transform":
        transform.check(node.spec.get("Arguments") or {}, node.name)
    if node.type == "Tuning":
        tuning.check(node.spec.get("Arguments") or {}, node.name)


def runnable_problems(nodes: dict[str, StepNode], settings: StepSettings) -> list[str]:
    """What stops a job step from running on this machine (entry points, images, the sandbox),
    from local_runner.jobs.check_runnable (the jobs half of issue 13; absent before it lands).
    A tuning step is checked as the training job its trials run."""
    check_runnable = getattr(jobs, "check_runnable", None)
    if check_runnable is None:
        return []
    problems: list[str] = []
    for node in nodes.values():
        if node.name in settings.stubs:
            continue
        arguments = node.spec.get("Arguments") or {}
        kind = node.type
        if kind == "Tuning":
            kind = "Training"
            arguments = tuning.training_request(arguments.get("TrainingJobDefinition") or {}, {})
        problems += check_runnable(kind, arguments, None, node.name)
    return problems


def check(
    definition: dict[str, Any],
    nodes: dict[str, StepNode],
    settings: StepSettings | None = None,
) -> list[str]:
    """Validate everything up front; returns the steps in a topological order."""
    settings = settings or StepSettings()
    for node in nodes.values():
        _check_kind(node, settings)
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
    if node_type == "Tuning":
        arguments = arguments.get("TrainingJobDefinition") or {}
    return [
        c["DataSource"]["S3DataSource"]["S3Uri"]
        for c in arguments.get("InputDataConfig") or []
        if "S3DataSource" in (c.get("DataSource") or {})
    ]


def _output_uris(node_type: str, properties: dict[str, Any]) -> list[str]:
    if node_type == "Processing":
        outputs = (properties.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        return [o["S3Output"]["S3Uri"] for o in outputs]
    if node_type == "Tuning":  # every trial's model: get_top_model_s3_uri(top_k=n) may read any
        return [
            s["ModelArtifacts"]["S3ModelArtifacts"]
            for s in properties.get("TrainingJobSummaries") or []
            if (s.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
        ]
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
        settings: StepSettings | None = None,
        parallelism: dict[str, Any] | None = None,
    ):
        self.definition = definition
        self.settings = settings or StepSettings()
        self._lock = threading.RLock()
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
        self.order = check(definition, self.nodes, self.settings)
        # SageMaker takes ParallelismConfiguration with CreatePipeline/StartPipelineExecution
        # (given here), a definition may carry it too; else SageMaker's default.
        parallelism = parallelism or definition.get("ParallelismConfiguration") or {}
        self.max_parallel = int(parallelism.get("MaxParallelExecutionSteps") or DEFAULT_PARALLELISM)
        if self.max_parallel < 1:
            raise DefinitionError(
                f"ParallelismConfiguration.MaxParallelExecutionSteps must be >= 1, got "
                f"{self.max_parallel}."
            )

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
        with self._lock:
            self.out(line)

    # -- the run --
    def run(self, execution_id: str | None = None) -> ExecutionResult:
        # Jobs are checked here, not at construction: the caller stages code and data in between.
        problems = runnable_problems(self.nodes, self.settings)
        if problems:
            raise UnsupportedError(
                "the definition cannot run on this machine (nothing has run):\n  "
                + "\n  ".join(problems)
            )
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
        self._width = max(len(name) for name in self.order)
        self._started_count = 0
        self._schedule(result, execution_id, folder, started)
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

    def _schedule(
        self, result: ExecutionResult, execution_id: str, folder: Path, started: float
    ) -> None:
        """Start every step whose dependencies are done, up to max_parallel at once; after a
        failure, start nothing new and let running steps finish (as SageMaker does)."""
        results = result.steps
        pending = list(self.order)
        running: dict[Future, str] = {}
        stop: str | None = None
        with ThreadPoolExecutor(max_workers=self.max_parallel) as pool:
            while pending or running:
                for name in list(pending):
                    node = self.nodes[name]
                    if not all(d in results for d in node.depends):
                        continue
                    reason = stop or self._not_runnable(node, results)
                    if reason:
                        pending.remove(name)
                        with self._lock:
                            results[name] = StepResult(name, node.type, "NotRun", detail=reason)
                        self._say(f"{self._tag(node, None)} not run: {reason}")
                        continue
                    if len(running) >= self.max_parallel:
                        break
                    pending.remove(name)
                    with self._lock:
                        self._started_count += 1
                        index = self._started_count
                    self._say(f"{self._tag(node, index)} started")
                    future = pool.submit(self._timed_step, node, execution_id, folder)
                    running[future] = name
                    future.index = index  # type: ignore[attr-defined]
                if not running:
                    if pending:  # cannot happen after check(); never spin
                        raise DefinitionError(f"steps {pending} can never start.")
                    break
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    name = running.pop(future)
                    node = self.nodes[name]
                    step_result = future.result()
                    with self._lock:
                        results[name] = step_result
                        if step_result.status in DONE:
                            self.context.steps[name] = step_result.properties
                    self._report(self._tag(node, future.index), step_result)  # type: ignore
                    if step_result.status == "Failed" and result.status != "Failed":
                        result.status = "Failed"
                        result.failure = f"{name}: {step_result.detail}"
                        result.exit_code = (
                            EXIT_FAIL_STEP if node.type == "Fail" else EXIT_STEP_FAILED
                        )
                        stop = f"the execution stopped after {name} failed"
                    self._record(result, started)

    def _tag(self, node: StepNode, index: int | None) -> str:
        position = f"[{index}/{len(self.order)}]" if index else "[-]"
        return f"{position} {node.name:<{self._width}} {node.type:<13}"

    def _timed_step(self, node: StepNode, execution_id: str, folder: Path) -> StepResult:
        """Run one step (in a worker thread); every error becomes a Failed result."""
        name = node.name
        step_started = time.time()
        try:
            step_result = self._run_step(node, execution_id, folder, step_started)
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
        return step_result

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
        elif step.status in ("Succeeded", "Stubbed"):
            extra = f" - {step.detail}" if step.detail else ""
            verb = "succeeded" if step.status == "Succeeded" else "Stubbed"
            self._say(f"{tag} {verb} ({step.seconds:.1f}s){extra}")
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
        with self._lock:
            self._write_record(result, started)

    def _write_record(self, result: ExecutionResult, started: float) -> None:
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
                "StepOrder": [name for name in self.order if name in result.steps],
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
                    for name, s in list(result.steps.items())
                },
            },
        )
        self._last_result = result

    # -- steps --
    def _run_step(
        self, node: StepNode, execution_id: str, folder: Path, step_started: float
    ) -> StepResult:
        arguments = node.spec.get("Arguments") or {}
        context = self.context.at(
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(step_started))
        )  # ExecutionVariables.CURRENT_DATETIME is the step's own start time
        if node.name in self.settings.stubs:
            declared = stubs.properties(node.name, node.type, self.settings.stubs[node.name])
            return StepResult(
                node.name,
                node.type,
                "Stubbed",
                detail=f"declared outputs from {self.settings.where}",
                properties=declared,
            )
        if node.type == "Condition":
            return self._condition(node, arguments, context)
        resolved = resolve(arguments, context)
        if node.type == "Fail":
            message = resolved.get("ErrorMessage", "")
            return StepResult(node.name, node.type, "Failed", detail=str(message))
        if node.type == "RegisterModel":
            return self._register(node, resolved, execution_id)
        if node.type == "Model":
            return self._model(node, resolved)
        if node.type == "Lambda":
            return self._lambda(node, resolved, folder)
        job_name = re.sub(r"[^A-Za-z0-9-]", "-", f"pipelines-{execution_id}-{node.name}")[:63]
        if node.type == "Transform":
            return self._transform(node, resolved, job_name, folder)
        if node.type == "Tuning":
            return self._tuning(node, resolved, job_name, folder, execution_id)
        return self._job(node, resolved, execution_id, folder)

    def _lambda(self, node: StepNode, arguments: dict[str, Any], folder: Path) -> StepResult:
        handler = lambda_step.handler_for(str(node.spec["FunctionArn"]), self.settings.lambdas)
        try:
            properties = lambda_step.invoke(
                handler, arguments, node.spec.get("OutputParameters") or [], folder / node.name
            )
        except lambda_step.LambdaFailed as error:
            return StepResult(node.name, node.type, "Failed", detail=str(error))
        values = ", ".join(f"{p['Name']}={p['Value']}" for p in properties["OutputParameters"])
        return StepResult(
            node.name, node.type, "Succeeded", detail=f"{handler}: {values}", properties=properties
        )

    def _container_of(self, node: StepNode, model_name: str) -> dict[str, Any]:
        record = paths.home() / "models" / f"{model_name}.json"
        if not record.is_file():
            raise ExpressionError(
                f"step {node.name}: model '{model_name}' was not created in this run; create it "
                "with a model step (CreateModel) before the transform."
            )
        model = fsutil.read_json(record)
        container = model.get("PrimaryContainer") or next(iter(model.get("Containers") or []), None)
        if not container or not container.get("ModelDataUrl"):
            raise ExpressionError(f"step {node.name}: model '{model_name}' has no ModelDataUrl.")
        return container

    def _transform(
        self, node: StepNode, arguments: dict[str, Any], job_name: str, folder: Path
    ) -> StepResult:
        container = self._container_of(node, str(arguments.get("ModelName")))
        arn = f"arn:aws:sagemaker:{self.region}:{self.account}:transform-job/{job_name.lower()}"
        try:
            properties = transform.run(
                arguments, node.name, job_name, container, folder / node.name, arn, self._say
            )
        except (transform.TransformFailed, serving.ServingError) as error:
            return StepResult(node.name, node.type, "Failed", detail=str(error))
        output = properties["TransformOutput"]["S3OutputPath"]
        return StepResult(
            node.name, node.type, "Succeeded", detail=f"output {output}", properties=properties
        )

    def _tuning(
        self,
        node: StepNode,
        arguments: dict[str, Any],
        job_name: str,
        folder: Path,
        execution_id: str,
    ) -> StepResult:
        tuning_job = job_name[:32].rstrip("-")

        def train(request: dict[str, Any], trial: str) -> dict[str, Any]:
            spec = jobs.JobSpec(
                node.name, trial, folder / node.name / trial, self.region, self.account
            )
            return jobs.run_training(request, spec)

        log = folder / node.name / "stdout.log"  # `make logs STEP=<tuning step>`: the trials
        log.parent.mkdir(parents=True, exist_ok=True)

        def say(line: str) -> None:
            with log.open("a", encoding="utf-8") as handle:
                handle.write(line.strip() + "\n")
            self._say(line)

        return self._cached(
            node,
            arguments,
            execution_id,
            lambda: self._tuning_result(node, arguments, tuning_job, train, say),
        )

    def _tuning_result(
        self,
        node: StepNode,
        arguments: dict[str, Any],
        tuning_job: str,
        train: Callable[[dict[str, Any], str], dict[str, Any]],
        say: Callable[[str], None],
    ) -> StepResult:
        properties = tuning.run(arguments, node.name, tuning_job, train, say)
        properties["HyperParameterTuningJobArn"] = (
            f"arn:aws:sagemaker:{self.region}:{self.account}:hyper-parameter-tuning-job/"
            f"{tuning_job.lower()}"
        )
        best = properties["BestTrainingJob"]
        metric = best["FinalHyperParameterTuningJobObjectiveMetric"]
        return StepResult(
            node.name,
            node.type,
            "Succeeded",
            detail=(
                f"best of {len(properties['TrainingJobSummaries'])}: {best['TrainingJobName']} "
                f"{metric['MetricName']}={metric['Value']:g} {best['TunedHyperParameters']}"
            ),
            properties=properties,
        )

    def _condition(self, node: StepNode, arguments: dict[str, Any], context: Context) -> StepResult:
        outcomes = []
        for condition in arguments.get("Conditions") or []:
            value = evaluate(condition, context)
            outcomes.append(f"{describe(condition, context)} is {value}")
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
        def run() -> StepResult:
            job_name = re.sub(r"[^A-Za-z0-9-]", "-", f"pipelines-{execution_id}-{node.name}")[:63]
            spec = jobs.JobSpec(node.name, job_name, folder / node.name, self.region, self.account)
            if node.type == "Processing":
                properties = jobs.run_processing(arguments, spec)
            else:
                properties = jobs.run_training(arguments, spec)
            metrics = properties.get("FinalMetricDataList") or []
            detail = ", ".join(f"{m['MetricName']}={m['Value']:g}" for m in metrics)
            return StepResult(
                node.name, node.type, "Succeeded", detail=detail, properties=properties
            )

        return self._cached(node, arguments, execution_id, run)

    def _cached(
        self,
        node: StepNode,
        arguments: dict[str, Any],
        execution_id: str,
        run: Callable[[], StepResult],
    ) -> StepResult:
        """The step from the cache when CacheConfig allows and an entry matches; else run it and
        record an entry (with the content hash of its outputs)."""
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
        result = run()
        properties = result.properties
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
        return result

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
        documents = self._metrics_documents(node, arguments)
        statistics = ((arguments.get("ModelMetrics") or {}).get("ModelQuality") or {}).get(
            "Statistics"
        ) or {}
        metrics = documents.get("ModelQuality.Statistics") or next(iter(documents.values()), {})
        lineage = self._lineage(execution_id)
        lineage["MetricsDocuments"] = documents
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
        with self._lock:
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

    def _metrics_documents(self, node: StepNode, arguments: dict[str, Any]) -> dict[str, Any]:
        """Every JSON document of ModelMetrics and DriftCheckBaselines (ModelQuality.Statistics,
        Bias.Report, Explainability.Report, ...), keyed by where it sits."""
        documents: dict[str, Any] = {}
        for root in ("ModelMetrics", "DriftCheckBaselines"):
            for section, sources in (arguments.get(root) or {}).items():
                for kind, source in (sources or {}).items():
                    uri = source.get("S3Uri") if isinstance(source, dict) else None
                    content = str(source.get("ContentType", "application/json"))
                    if uri and "json" in content:
                        key = (
                            section + "." + kind
                            if root == "ModelMetrics"
                            else f"{root}.{section}.{kind}"
                        )
                        documents[key] = self._read_s3_json(uri, f"{node.name} {root}.{key}")
        return documents

    def _lineage(self, execution_id: str) -> dict[str, Any]:
        with self._lock:
            steps = dict(self.context.steps)
        found = lineage.collect(steps)
        by_value = {v: k for k, v in self.parameters.items() if isinstance(v, str)}
        data = {  # named after the parameter that supplied the URI, when one did
            by_value.get(item["uri"], key): item for key, item in found["Data"].items()
        }
        code = found["Code"]
        return {
            "Inputs": found["Inputs"],
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
                for name, props in steps.items()
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
