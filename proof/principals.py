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
    return {p.key: p for p in table}
