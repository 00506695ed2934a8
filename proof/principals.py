"""Who acts in the template, what each must be able to do, and where the proof gets its requests.
The same table is printed by `python -m proof --table` into docs/infrastructure.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    key: str
    role: str  # IAM role name, from environments/<env>.yaml
    trusted_by: str
    does: str  # what it must be allowed to do (the requests the proof records for it)
    recorded_from: str


def principals(project: str, execution_role: str) -> dict[str, Principal]:
    table = [
        Principal(
            "github-deploy/dev",
            f"{project}-dev-github-deploy",
            "GitHub OIDC, environment `dev` (terraform/bootstrap)",
            "`terraform apply` of dev (state, lock, every resource of the root) and every AWS step "
            "of `make deploy ENV=dev`: image check, code upload, pipeline start",
            "moto's recorder during the apply; boto3 hooks in the release orchestrator",
        ),
        Principal(
            "github-plan/dev",
            f"{project}-dev-github-plan",
            "GitHub OIDC, `pull_request` (terraform/bootstrap)",
            "the reads of `make plan ENV=dev` (refresh, state read; no lock)",
            "moto's recorder during the plan",
        ),
        Principal(
            "github-deploy/staging",
            f"{project}-staging-github-deploy",
            "GitHub OIDC, environment `staging` (terraform/bootstrap)",
            "`terraform apply` of staging; deploy/ rollouts from the deploy workflow",
            "moto's recorder during the apply; deploy/'s moto tests with boto3 hooks",
        ),
        Principal(
            "deploy/staging",
            f"{project}-staging-deploy",
            "GitHub OIDC environment `staging`, the deploy Lambda (modules/iam)",
            "rollout, rollback, lock, state, champion copy, smoke test, status, logs",
            "deploy/'s moto tests with boto3 hooks",
        ),
        Principal(
            "github-deploy/prod",
            f"{project}-prod-github-deploy",
            "GitHub OIDC, environment `prod` (terraform/bootstrap)",
            "deploy/ rollouts of prod from the deploy workflow, including the promotion of "
            "staging's approved packages",
            "deploy/'s moto tests with boto3 hooks",
        ),
        Principal(
            "deploy/dev",
            f"{project}-dev-deploy",
            "GitHub OIDC environment `dev`, the deploy Lambda (modules/iam)",
            "deploy/ in dev (lock, state, champion)",
            "deploy/'s moto tests with boto3 hooks",
        ),
        Principal(
            "execution/dev",
            execution_role,
            "sagemaker.amazonaws.com, this account only (modules/iam)",
            "the pipeline's jobs: read raw/ and code/, write processed/, models/, checkpoints and "
            "the evaluation with the KMS key, read the champion, pull the images, logs, metrics, "
            "volume key grants, CreateModelPackage",
            "derived from build/dev/pipeline-definition.json",
        ),
    ]
    table += _service_principals(project)
    return {p.key: p for p in table}


# Roles AWS services assume on a schedule or an event: their requests come from the rendered
# schedule, rule targets and monitoring job definition (proof/service_roles.py).
SERVICE_PRINCIPALS = (
    "scheduler/dev", "events/dev", "scheduler/staging", "events/staging",
    "batch-scheduler/dev", "batch-events/dev", "batch-scheduler/staging",
    "batch-events/staging", "monitor/staging",
)  # fmt: skip


def _service_principals(project: str) -> list[Principal]:
    table = []
    for env in ("dev", "staging"):
        table += [
            Principal(
                f"scheduler/{env}",
                f"{project}-{env}-scheduler",
                "scheduler.amazonaws.com, this account only (modules/iam)",
                "start the training pipeline on pipeline.schedule; decrypt the schedule's payload "
                "(its encryption context names the schedule)",
                "the EventBridge Scheduler schedule's target and key in terraform show -json",
            ),
            Principal(
                f"events/{env}",
                f"{project}-{env}-events",
                "events.amazonaws.com, this account only (modules/iam)",
                "start the training pipeline when data lands in raw/ and, where monitoring runs, "
                "when the data-drift alarm fires (with pipeline.input_data_uri); deliver approval "
                "events to the GitHub API destination",
                "the new-data, drift and approval rules' targets in terraform show -json (the drift "
                "rule from the monitored plan)",
            ),
            Principal(
                f"batch-scheduler/{env}",
                f"{project}-{env}-batch-scheduler",
                "scheduler.amazonaws.com, this account only (modules/batch)",
                "start the batch pipeline on batch.schedule",
                "the EventBridge Scheduler schedule's target in terraform show -json",
            ),
            Principal(
                f"batch-events/{env}",
                f"{project}-{env}-batch-events",
                "events.amazonaws.com, this account only (modules/batch)",
                "start the batch pipeline when a file lands in batch/input/",
                "the new-data rule's target in terraform show -json",
            ),
        ]
    table.append(
        Principal(
            "monitor/staging",
            f"{project}-staging-monitor",
            "sagemaker.amazonaws.com, this account only (modules/monitoring)",
            "the Model Monitor data-quality job: read the endpoint's capture and the champion's "
            "baseline, write the reports with the KMS key, volume key grant, pull the analyzer "
            "image, processing job logs, drift metrics in its namespace (dev has no endpoint "
            "that captures data, so no schedule and no requests for dev's monitor role)",
            "the data-quality job definition, endpoint configuration and drift alarms in "
            "terraform show -json",
        )
    )
    return table
