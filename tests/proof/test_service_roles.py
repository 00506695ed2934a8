"""Issue 15's roles in the access proof: the batch triggers may start their own batch pipeline
and nothing else; Model Monitor's role may do what a data-quality job does and no more. Every
request is derived from Terraform's render (proof/service_roles.py); every decision is
@cloud-copilot/iam-simulate's (AWS's published evaluation logic), not moto's."""

from __future__ import annotations

import pytest

from proof import prove

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def wrong(inputs) -> list[str]:
    outcomes = prove.evaluate(inputs, prove.all_checks(inputs))
    return [prove.describe(o) for o in outcomes if not o.correct]


def statement(document: dict, sid: str) -> dict:
    return next(s for s in document["Statement"] if s.get("Sid") == sid)


def decided(outcomes, principal: str, expect: str) -> list:
    return [o for o in outcomes if o.check.principal == principal and o.check.expect == expect]


@pytest.mark.parametrize("env", ["dev", "staging"])
@pytest.mark.parametrize("trigger", ["scheduler", "events"])
def test_a_batch_trigger_starts_its_batch_pipeline_and_no_other(outcomes, env, trigger):
    principal = f"batch-{trigger}/{env}"
    allowed = decided(outcomes, principal, "Allowed")
    assert {(o.check.action, o.check.resource.rsplit("/", 1)[1]) for o in allowed} >= {
        ("sagemaker:StartPipelineExecution", f"sagemaker-gitops-{env}-batch")
    }, [o.check.resource for o in allowed]
    refused = {o.check.resource.rsplit("/", 1)[1] for o in decided(outcomes, principal, "Denied")}
    other = "staging" if env == "dev" else "dev"
    assert f"sagemaker-gitops-{env}" in refused  # its own training pipeline
    assert f"sagemaker-gitops-{other}-batch" in refused  # another environment's
    assert all(o.correct for o in decided(outcomes, principal, "Denied") + allowed)


def test_the_monitor_role_does_what_a_data_quality_job_does(outcomes):
    allowed = decided(outcomes, "monitor/staging", "Allowed")
    assert all(o.correct for o in allowed)
    pairs = {(o.check.action, o.check.resource) for o in allowed}
    bucket = "arn:aws:s3:::sagemaker-gitops-staging-artifacts-000000000000"
    s3 = {(a, r.split("/", 2)[2].split("/", 1)[0]) for a, r in pairs if r.startswith(bucket + "/")}
    assert ("s3:GetObject", "datacapture") in s3 and ("s3:GetObject", "champion") in s3
    assert ("s3:PutObject", "monitoring") in s3
    assert any(r.endswith("champion/current/baseline/constraints.json") for _, r in pairs)
    actions = {a for a, _ in pairs}
    assert {"kms:GenerateDataKey", "kms:Decrypt", "kms:CreateGrant", "ecr:BatchGetImage",
            "logs:PutLogEvents", "cloudwatch:PutMetricData"} <= actions  # fmt: skip
    metrics = [o for o in allowed if o.check.action == "cloudwatch:PutMetricData"]
    assert {o.check.context["cloudwatch:namespace"] for o in metrics} == {
        "aws/sagemaker/Endpoints/data-metrics"
    }


def test_the_monitor_role_may_not_write_raw_or_models_nor_read_dev(outcomes):
    refused = decided(outcomes, "monitor/staging", "Denied")
    reasons = " | ".join(o.check.why for o in refused)
    for case in ("writing staging/raw/", "writing staging/models/", "reading dev's bucket",
                 "outside its namespace", "without TLS", "AES256"):  # fmt: skip
        assert case in reasons, case
    assert all(o.correct for o in refused), [prove.describe(o) for o in refused if not o.correct]


def test_a_monitor_role_without_put_metric_data_is_named(mutable):
    role = mutable.account.roles["sagemaker-gitops-staging-monitor"]
    document = role.inline["least-privilege"]
    document["Statement"].remove(statement(document, "SageMakerMetrics"))
    problems = wrong(mutable)
    assert problems and all(
        p.startswith("WRONG: monitor/staging cloudwatch:PutMetricData on * was ImplicitlyDenied")
        for p in problems
    ), problems[:3]


def test_a_monitor_role_publishing_into_any_namespace_is_named(mutable):
    role = mutable.account.roles["sagemaker-gitops-staging-monitor"]
    del statement(role.inline["least-privilege"], "SageMakerMetrics")["Condition"]
    problems = wrong(mutable)
    assert problems and all(
        p.startswith(
            "WRONG: monitor/staging cloudwatch:PutMetricData on * was Allowed, must be Denied"
        )
        and "statement SageMakerMetrics (Allow)" in p
        for p in problems
    ), problems[:3]


def test_a_monitor_role_writing_the_whole_prefix_is_named(mutable):
    role = mutable.account.roles["sagemaker-gitops-staging-monitor"]
    grant = statement(role.inline["least-privilege"], "WriteReports")
    grant["Resource"] = grant["Resource"].split("/staging/")[0] + "/staging/*"
    problems = wrong(mutable)
    assert {p.split(" on ")[1].split(" was ")[0].split("/")[2] for p in problems} == {
        "raw",
        "models",
    }
    assert all(
        p.startswith("WRONG: monitor/staging s3:PutObject")
        and "statement WriteReports (Allow)" in p
        for p in problems
    ), problems[:3]


def test_a_scheduler_role_allowed_on_any_pipeline_is_named(mutable):
    role = mutable.account.roles["sagemaker-gitops-dev-batch-scheduler"]
    statement(role.inline["least-privilege"], "StartTheBatchPipeline")["Resource"] = "*"
    problems = wrong(mutable)
    assert problems and all(
        p.startswith("WRONG: batch-scheduler/dev sagemaker:StartPipelineExecution")
        and "was Allowed, must be Denied" in p
        and "statement StartTheBatchPipeline (Allow)" in p
        for p in problems
    ), problems[:3]
    assert any("pipeline/sagemaker-gitops-dev " in p for p in problems)
