"""Who may assume each role: the trust policies Terraform renders, evaluated like every other
policy. GitHub's OIDC subject must name the repository, the environment and the release ref
(a workflow_dispatch of another branch that names the environment is refused); pull requests
reach only the plan role; AWS services only for this account (aws:SourceAccount)."""

from __future__ import annotations

from collections.abc import Iterator

from proof.rendered import Account
from proof.translate import Check

RELEASE_REF = "refs/heads/main"  # release_ref's default (terraform/bootstrap, terraform/)
OIDC = "token.actions.githubusercontent.com"
GITHUB = "GitHub OIDC"


def _oidc(account: Account, role: str, sub: str, expect: str, why: str) -> Check:
    context = {f"{OIDC}:sub": sub, f"{OIDC}:aud": "sts.amazonaws.com"}
    arn = account.roles[role].arn
    return Check(
        GITHUB,
        "sts:AssumeRoleWithWebIdentity",
        arn,
        context,
        expect,
        f"{why} ({sub})",
        "trust policy",
    )


def trust_checks(account: Account, configs: dict[str, dict]) -> Iterator[Check]:
    dev = configs["dev"]
    repo, project = dev["github_repository"], dev["project"]
    for env in configs:
        for role in (f"{project}-{env}-github-deploy", f"{project}-{env}-deploy"):
            if role not in account.roles:
                continue
            yield _oidc(account, role, f"repo:{repo}:environment:{env}:ref:{RELEASE_REF}", "Allowed",
                        f"{env}'s workflows from the release branch assume {role}")  # fmt: skip
            yield _oidc(account, role, f"repo:{repo}:environment:{env}:ref:refs/heads/feature", "Denied",
                        f"a workflow_dispatch of another branch naming environment {env} assumes {role}")  # fmt: skip
            yield _oidc(account, role, f"repo:{repo}:pull_request:ref:refs/pull/7/merge", "Denied",
                        f"a pull request assumes {role}")  # fmt: skip
            for other in configs:
                if other != env:
                    yield _oidc(account, role, f"repo:{repo}:environment:{other}:ref:{RELEASE_REF}", "Denied",
                                f"environment {other}'s workflow assumes {role}")  # fmt: skip
        plan = f"{project}-{env}-github-plan"
        if plan in account.roles:
            yield _oidc(account, plan, f"repo:{repo}:pull_request:ref:refs/pull/7/merge", "Allowed",
                        f"a pull request's plan assumes {plan}")  # fmt: skip
            yield _oidc(account, plan, "repo:someone/fork:pull_request:ref:refs/pull/7/merge", "Denied",
                        f"another repository's pull request assumes {plan}")  # fmt: skip
    for name, role in sorted(account.roles.items()):
        for statement in role.trust.get("Statement", []):
            service = statement.get("Principal", {}).get("Service")
            if not isinstance(service, str) or statement.get("Action") != "sts:AssumeRole":
                continue
            for source, expect in ((account.account_id, "Allowed"), ("111122223333", "Denied")):
                yield Check(f"service {service}", "sts:AssumeRole", role.arn, {"aws:SourceAccount": source},
                            expect, f"{service} acting for account {source} assumes {name}", "trust policy")  # fmt: skip
