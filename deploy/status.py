"""`make status` and `make logs`: the latest pipeline executions step by step, the failing step's
reason and where its logs are; which model package version serves on the endpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from deploy import registry
from deploy.aws import Clients, error_message, is_not_found
from deploy.errors import DeployError
from deploy.settings import Settings

LOG_GROUPS = {
    "ProcessingJob": "/aws/sagemaker/ProcessingJobs",
    "TrainingJob": "/aws/sagemaker/TrainingJobs",
    "TransformJob": "/aws/sagemaker/TransformJobs",
}


@dataclass
class Step:
    name: str
    status: str
    failure_reason: str = ""
    job_kind: str = ""  # ProcessingJob | TrainingJob | TransformJob | ""
    job_name: str = ""
    detail: str = ""  # condition outcome, fail message, registered package

    @property
    def log_group(self) -> str:
        return LOG_GROUPS.get(self.job_kind, "")

    @classmethod
    def from_api(cls, raw: dict) -> Step:
        metadata = raw.get("Metadata") or {}
        kind = next((k for k in LOG_GROUPS if metadata.get(k, {}).get("Arn")), "")
        job_name = metadata[kind]["Arn"].rsplit("/", 1)[-1] if kind else ""
        detail = ""
        if "Condition" in metadata:
            detail = f"outcome {metadata['Condition'].get('Outcome')}"
        elif "Fail" in metadata:
            detail = metadata["Fail"].get("ErrorMessage", "")
        elif "RegisterModel" in metadata:
            detail = metadata["RegisterModel"].get("Arn", "")
        return cls(
            name=raw.get("StepName", ""),
            status=raw.get("StepStatus", ""),
            failure_reason=raw.get("FailureReason", "") or "",
            job_kind=kind,
            job_name=job_name,
            detail=detail,
        )


@dataclass
class Execution:
    arn: str
    status: str
    started: str
    failure_reason: str = ""
    steps: list[Step] = field(default_factory=list)

    @property
    def failing_step(self) -> Step | None:
        return next((s for s in self.steps if s.status == "Failed"), None)


def console_logs_link(region: str, step: Step) -> str:
    group = quote(quote(step.log_group, safe=""), safe="").replace("%", "$")
    stream = quote(quote(f"?logStreamNameFilter={step.job_name}", safe=""), safe="").replace(
        "%", "$"
    )
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#logsV2:log-groups/log-group/{group}/log-events{stream}"
    )


def list_steps(clients: Clients, execution_arn: str) -> list[Step]:
    steps: list[Step] = []
    token = None
    while True:
        kwargs = {"PipelineExecutionArn": execution_arn, "SortOrder": "Ascending"}
        if token:
            kwargs["NextToken"] = token
        response = clients.sagemaker.list_pipeline_execution_steps(**kwargs)
        steps.extend(Step.from_api(raw) for raw in response.get("PipelineExecutionSteps", []))
        token = response.get("NextToken")
        if not token:
            return steps


def executions(clients: Clients, settings: Settings, limit: int = 3) -> list[Execution]:
    try:
        response = clients.sagemaker.list_pipeline_executions(
            PipelineName=settings.pipeline_name,
            SortBy="CreationTime",
            SortOrder="Descending",
            MaxResults=limit,
        )
    except Exception as error:
        if is_not_found(error):
            raise DeployError(
                f"Pipeline {settings.pipeline_name} does not exist ({error_message(error)}). "
                f"Create it with `make apply ENV={settings.environment}`."
            ) from None
        raise
    found = []
    for summary in response.get("PipelineExecutionSummaries", []):
        arn = summary["PipelineExecutionArn"]
        started = summary.get("StartTime")
        found.append(
            Execution(
                arn=arn,
                status=summary.get("PipelineExecutionStatus", ""),
                started=started.strftime("%Y-%m-%d %H:%M:%SZ") if started else "",
                failure_reason=summary.get("PipelineExecutionFailureReason", "") or "",
                steps=list_steps(clients, arn),
            )
        )
    return found


def render_status(
    settings: Settings,
    runs: list[Execution],
    serving: registry.Serving | None,
    serving_version: int | None = None,
    champion: dict | None = None,
) -> str:
    lines = [f"Environment {settings.environment} · pipeline {settings.pipeline_name}"]
    if not runs:
        lines.append("  No pipeline executions yet.")
    for run in runs:
        lines.append(f"  {run.started}  {run.status:<10} {run.arn.rsplit('/', 1)[-1]}")
        for step in run.steps:
            extra = f"  ({step.detail})" if step.detail else ""
            lines.append(f"      {step.name:<16} {step.status}{extra}")
        failing = run.failing_step
        if failing:
            reason = failing.failure_reason or failing.detail or "no reason given"
            lines.append(f"    Failed step: {failing.name}: {reason}")
            if failing.log_group:
                lines.append(f"    Logs: make logs ENV={settings.environment} STEP={failing.name}")
                lines.append(
                    f"          aws logs tail {failing.log_group} --log-stream-name-prefix "
                    f"{failing.job_name} --since 7d"
                )
                lines.append(f"          {console_logs_link(settings.region, failing)}")
        elif run.status == "Failed" and run.failure_reason:
            lines.append(f"    Failure: {run.failure_reason}")
    lines.append(f"Endpoint {settings.endpoint_name}:")
    if not settings.endpoint_enabled:
        current = champion or {}
        lines.append(
            "  off (endpoint.enabled: false) · champion: "
            + (
                f"model package version {current.get('model_package_version')} "
                f"{current.get('model_package_arn')}"
                if current.get("model_package_arn")
                else "none rolled out yet"
            )
        )
    elif serving is None:
        lines.append("  not deployed (`make rollout ENV=... ` creates it).")
    else:
        version = f"version {serving_version} " if serving_version else ""
        lines.append(
            f"  {serving.status} · model package {version}{serving.package_arn or '(unknown)'}"
            f" · config {serving.config_name}"
        )
        if serving.pending_config_name:
            lines.append(
                f"  updating to {serving.pending_package_arn or '?'} (config "
                f"{serving.pending_config_name})"
            )
        if serving.failure_reason:
            lines.append(f"  failure: {serving.failure_reason}")
    return "\n".join(lines)


def status(clients: Clients, settings: Settings, limit: int = 3) -> str:
    runs = executions(clients, settings, limit)
    if not settings.endpoint_enabled:
        from deploy.rollout import read_state

        state = read_state(clients, settings)
        return render_status(settings, runs, None, champion=state.get("current"))
    serving = registry.serving(clients, settings.endpoint_name)
    version = None
    if serving and serving.package_arn:
        try:
            version = registry.describe_package(clients, serving.package_arn).version
        except DeployError:
            version = None
    return render_status(settings, runs, serving, version)


def logs(
    clients: Clients,
    settings: Settings,
    step_name: str,
    execution_arn: str | None = None,
    out: Callable[[str], None] = print,
) -> int:
    """Print the CloudWatch log events of a step's job; returns the number of lines printed."""
    if execution_arn is None:
        runs = executions(clients, settings, limit=1)
        if not runs:
            raise DeployError(f"Pipeline {settings.pipeline_name} has no executions yet.")
        run = runs[0]
    else:
        run = Execution(
            arn=execution_arn, status="", started="", steps=list_steps(clients, execution_arn)
        )
    step = next((s for s in run.steps if s.name == step_name), None)
    if step is None:
        names = ", ".join(s.name for s in run.steps) or "none yet"
        raise DeployError(
            f"Step '{step_name}' is not in execution {run.arn.rsplit('/', 1)[-1]} (steps: {names})."
        )
    if not step.log_group:
        out(f"{step.name} ({step.status}) runs no job, so it has no logs.")
        for text in (step.failure_reason, step.detail):
            if text:
                out(f"  {text}")
        return 0
    try:
        streams = clients.logs.describe_log_streams(
            logGroupName=step.log_group, logStreamNamePrefix=f"{step.job_name}/"
        ).get("logStreams", [])
    except Exception as error:
        if not is_not_found(error):
            raise
        raise DeployError(
            f"No logs for step {step.name}: log group {step.log_group} does not exist in "
            f"{settings.region} (the job {step.job_name} never started, or its logs expired). "
            f"See `make status ENV={settings.environment}` for the step's FailureReason."
        ) from None
    if not streams:
        out(f"No log streams for {step.job_name} in {step.log_group} yet.")
        return 0
    printed = 0
    for stream in sorted(streams, key=lambda s: s["logStreamName"]):
        out(f"==> {step.log_group} {stream['logStreamName']}")
        token = None
        while True:
            kwargs = {
                "logGroupName": step.log_group,
                "logStreamName": stream["logStreamName"],
                "startFromHead": True,
            }
            if token:
                kwargs["nextToken"] = token
            response = clients.logs.get_log_events(**kwargs)
            for event in response.get("events", []):
                out(event["message"].rstrip("\n"))
                printed += 1
            next_token = response.get("nextForwardToken")
            if not response.get("events") or next_token == token:
                break
            token = next_token
    return printed
