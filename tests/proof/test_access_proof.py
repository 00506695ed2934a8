"""The access proof holds for the template as committed, and fails, naming principal, action,
resource and statement, for each policy bug it exists to catch. The engine behind every
decision is @cloud-copilot/iam-simulate (AWS's published evaluation logic), not moto."""

from __future__ import annotations

import re

import pytest

from proof import prove

# Each mutation evaluates every decision again (about 15 s of node each on a busy machine); the
# first run after a change of terraform/ renders on moto first (minutes: see docs/benchmarks.md).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def wrong(inputs) -> list[str]:
    outcomes = prove.evaluate(inputs, prove.all_checks(inputs))
    return [prove.describe(o) for o in outcomes if not o.correct]


def statement(document: dict, sid: str) -> dict:
    return next(s for s in document["Statement"] if s.get("Sid") == sid)


def test_every_recorded_request_is_allowed_and_every_must_deny_case_denied(outcomes):
    problems = [prove.describe(o) for o in outcomes if not o.correct]
    assert not problems, "\n".join(problems[:20])
    assert re.fullmatch(
        r"access proof: [1-9]\d* requests allowed as required, [1-9]\d* denied as required, 0 wrong",
        prove.summary(outcomes),
    )


def test_the_proof_covers_every_principal_and_the_issue_s_must_deny_cases(outcomes):
    principals = {
        o.check.principal
        for o in outcomes
        if o.check.expect == "Allowed" and o.check.source != "trust policy"
    }
    assert principals == {
        "github-deploy/dev", "github-plan/dev", "github-deploy/staging", "deploy/staging",
        "github-deploy/prod", "deploy/dev", "execution/dev", "scheduler/dev", "events/dev",
        "scheduler/staging", "events/staging", "batch-scheduler/dev", "batch-events/dev",
        "batch-scheduler/staging", "batch-events/staging", "monitor/staging",
    }  # fmt: skip
    reasons = " | ".join(o.check.why for o in outcomes if o.check.expect == "Denied")
    for case in ("the plan role writing", "GitHub dispatch token", "decrypting with the state key directly",
                 "on staging's resource", "on prod's resource", "AES256", "without TLS"):  # fmt: skip
        assert case in reasons, case
    actions = {(o.check.principal, o.check.action) for o in outcomes if o.check.expect == "Allowed"}
    # the calls the issue names: code upload, pipeline start, lock/state, CreateModelPackage
    assert ("github-deploy/dev", "s3:PutObject") in actions
    assert ("github-deploy/dev", "sagemaker:StartPipelineExecution") in actions
    assert ("deploy/staging", "s3:PutObject") in actions
    assert ("execution/dev", "sagemaker:CreateModelPackage") in actions
    assert ("execution/dev", "kms:GenerateDataKey") in actions


def test_the_old_bucket_policy_denies_header_less_uploads(mutable):
    """Issue 11: StringNotEquals without a Null guard is TRUE when the header is absent."""
    policy = mutable.account.buckets["sagemaker-gitops-dev-artifacts-000000000000"].policy
    deny = statement(policy, "DenyNonKmsUploads")
    deny["Condition"] = {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}
    problems = wrong(mutable)
    named = [p for p in problems if "DenyNonKmsUploads" in p and "s3:PutObject" in p]
    assert named, problems[:5]
    assert any(
        "github-deploy/dev s3:PutObject on arn:aws:s3:::sagemaker-gitops-dev-artifacts-000000000000/dev/code/"
        in p
        for p in named
    )
    assert all("was ExplicitlyDenied, must be Allowed" in p for p in named)


def test_an_identity_policy_missing_one_action_is_named(mutable):
    role = mutable.account.roles["sagemaker-gitops-dev-execution"]
    grant = statement(role.inline["least-privilege"], "ReadWriteEnvironmentPrefix")
    grant["Action"] = [a for a in grant["Action"] if a != "s3:PutObject"]
    problems = wrong(mutable)
    assert problems
    assert all(
        p.startswith(
            "WRONG: execution/dev s3:PutObject on arn:aws:s3:::sagemaker-gitops-dev-artifacts"
        )
        for p in problems
    ), problems[:3]
    assert "no statement allows it in: identity policy" in problems[0]


def test_a_plan_role_with_write_access_is_named(mutable):
    role = mutable.account.roles["sagemaker-gitops-dev-github-plan"]
    deploy_storage = next(
        arn
        for arn, name in mutable.account.managed_names.items()
        if name == "sagemaker-gitops-dev-storage-deploy"
    )
    role.attached.append(deploy_storage)
    problems = wrong(mutable)
    assert problems
    assert all(
        p.startswith("WRONG: github-plan/dev ") and "was Allowed, must be Denied" in p
        for p in problems
    ), problems[:3]
    assert any("s3:PutObject on arn:aws:s3:::sagemaker-gitops-tfstate-000000000000/dev/terraform.tfstate" in p
               and "sagemaker-gitops-dev-storage-deploy statement TerraformState (Allow)" in p for p in problems)  # fmt: skip


def test_a_token_readable_by_the_plan_role_is_named(mutable):
    role = mutable.account.roles["sagemaker-gitops-dev-github-plan"]
    events = next(
        arn
        for arn, name in mutable.account.managed_names.items()
        if name == "sagemaker-gitops-dev-events-plan"
    )
    statement(mutable.account.managed_policies[events], "GithubTokenSecret")["Action"].append(
        "secretsmanager:GetSecretValue"
    )
    assert role.attached
    problems = wrong(mutable)
    assert any(
        "github-plan/dev secretsmanager:GetSecretValue" in p and "GithubTokenSecret" in p
        for p in problems
    ), problems[:3]


def test_an_unknown_operation_stops_the_proof_with_its_name(inputs):
    from proof.moto_server import ProofError
    from proof.requests import Request
    from proof.translate import Translator

    request = Request(
        "deploy/staging", "sagemaker", "CreateCluster", {"ClusterName": "x"}, "a test"
    )
    with pytest.raises(ProofError, match=r"unknown operation sagemaker:CreateCluster in a test"):
        Translator(inputs.account).checks(request)


def test_the_principals_table_in_the_docs_is_what_the_proof_decided(inputs, outcomes):
    from proof import docs_table

    text = docs_table.DOC.read_text()
    assert (
        docs_table.replace_section(text, docs_table.markdown(inputs, outcomes)) == text
    ), "docs/infrastructure.md's principals table is stale: run `make proof-docs`."


def test_trust_policies_admit_only_the_release_branch_and_this_account(outcomes):
    trust = [o for o in outcomes if o.check.source == "trust policy"]
    assert trust and all(o.correct for o in trust)
    refused = " | ".join(o.check.why for o in trust if o.check.expect == "Denied")
    assert "a workflow_dispatch of another branch naming environment dev" in refused
    assert "acting for account 111122223333" in refused
