"""Issue 15's roles in the access proof: the batch triggers and the training pipeline's triggers
(schedule, new-data rule, the drift rule's retraining) may start their own pipeline and nothing
else, and a schedule's role may decrypt only its own payload; Model Monitor's role may do what a
data-quality job does and no more; the GitHub deploy role's apply of the monitoring schedule,
which moto cannot create, is proven from the plan. Every request is derived from Terraform's
render (proof/service_roles.py, proof/planned_requests.py); every decision is
@cloud-copilot/iam-simulate's (AWS's published evaluation logic), not moto's."""

from __future__ import annotations

import pytest

from proof import prove
from proof.translate import Translator

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def wrong(inputs) -> list[str]:
    outcomes = prove.evaluate(inputs, prove.all_checks(inputs))
    return [prove.describe(o) for o in outcomes if not o.correct]


def statement(document: dict, sid: str) -> dict:
    return next(s for s in document["Statement"] if s.get("Sid") == sid)


def decided(outcomes, principal: str, expect: str) -> list:
    return [o for o in outcomes if o.check.principal == principal and o.check.expect == expect]


def decisions_of(inputs, outcomes, principal: str, source: str) -> list:
    """The outcomes deciding the requests `principal` makes from `source` (a part of the
    request's source). The proof decides each distinct check once, named after the first
    request that needs it, so a request is found through its checks, not the outcome's source."""
    translator = Translator(inputs.account)
    keys = {
        check.key()
        for request in inputs.requests
        if request.principal == principal and source in request.source
        for check in translator.checks(request)
    }
    return [o for o in outcomes if o.check.key() in keys]


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


def test_the_drift_rule_s_role_starts_the_training_pipeline_on_the_latest_data(inputs, outcomes):
    """Issue 15: alarm -> EventBridge -> the training pipeline. The request is what EventBridge
    sends for the drift rule's target (monitored plan): StartPipelineExecution as the events
    role, with InputDataUri = pipeline.input_data_uri."""
    [request] = [r for r in inputs.requests if r.principal == "events/staging"
                 and "data-drift target retrain" in r.source]  # fmt: skip
    assert request.params["PipelineParameters"] == [
        {"Name": "InputDataUri", "Value": "s3://sagemaker-gitops-staging-artifacts-000000000000/staging/raw/"}
    ]  # fmt: skip
    retrain = decisions_of(inputs, outcomes, "events/staging", "data-drift target retrain")
    assert [(o.check.action, o.check.resource.rsplit("/", 1)[1], o.result) for o in retrain] == [
        ("sagemaker:StartPipelineExecution", "sagemaker-gitops-staging", "Allowed")
    ]
    sources = {o.check.source for o in decided(outcomes, "events/staging", "Allowed")}
    assert any("new-data target start-pipeline" in s for s in sources)  # the same role's other rule
    assert any(o.check.action == "events:InvokeApiDestination"
               for o in decided(outcomes, "events/staging", "Allowed"))  # fmt: skip


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_the_training_triggers_may_start_their_pipeline_and_nothing_else(outcomes, env):
    refused = decided(outcomes, f"events/{env}", "Denied") + decided(
        outcomes, f"scheduler/{env}", "Denied"
    )
    assert refused and all(o.correct for o in refused), [
        prove.describe(o) for o in refused if not o.correct
    ]
    reasons = " | ".join(o.check.why for o in refused)
    other = "staging" if env == "dev" else "dev"
    for case in (f"starting pipeline sagemaker-gitops-{env}-batch", f"starting pipeline sagemaker-gitops-{other}",
                 "calling UpdatePipeline", "calling DeletePipeline", "calling StopPipelineExecution",
                 f"calling {other}'s API destination", "decrypting the payload of schedule",
                 "decrypting an artifact object's data key"):  # fmt: skip
        assert case in reasons, case


@pytest.mark.parametrize("principal", ["scheduler/dev", "batch-scheduler/staging"])
def test_a_scheduler_role_decrypts_its_schedule_s_payload_derived_from_the_schedule(
    outcomes, principal
):
    """Not asserted: the Decrypt comes from the rendered schedule's kms_key_arn and ARN."""
    [decrypt] = [
        o for o in decided(outcomes, principal, "Allowed") if o.check.action == "kms:Decrypt"
    ]
    schedule = decrypt.check.context["kms:EncryptionContext:aws:scheduler:schedule:arn"]
    assert decrypt.correct and schedule.startswith("arn:aws:scheduler:")
    assert schedule.endswith("-batch-pipeline") == principal.startswith("batch-")
    assert "kms:ViaService" not in decrypt.check.context


def test_the_deploy_role_s_apply_of_the_monitoring_schedule_is_proven(inputs, outcomes):
    """moto has no CreateMonitoringSchedule: the requests come from the monitored plan through
    botocore's shapes (proof/planned_requests.py); iam-simulate decides them."""
    planned = [o for o in decisions_of(inputs, outcomes, "github-deploy/staging", "(planned)")
               if o.check.expect == "Allowed"]  # fmt: skip
    assert planned and all(o.correct for o in planned), [
        prove.describe(o) for o in planned if not o.correct
    ]
    actions = {o.check.action for o in planned}
    assert {"sagemaker:CreateDataQualityJobDefinition", "sagemaker:CreateMonitoringSchedule",
            "cloudwatch:PutCompositeAlarm", "cloudwatch:PutMetricAlarm", "events:PutRule",
            "events:PutTargets"} <= actions  # fmt: skip
    passes = {(o.check.resource.rsplit("/", 1)[1], o.check.context["iam:PassedToService"])
              for o in planned if o.check.action == "iam:PassRole"}  # fmt: skip
    assert ("sagemaker-gitops-staging-monitor", "sagemaker.amazonaws.com") in passes
    assert ("sagemaker-gitops-staging-events", "events.amazonaws.com") in passes


def test_a_deploy_role_without_the_monitoring_grant_is_named(mutable):
    arn = next(
        a
        for a, n in mutable.account.managed_names.items()
        if n == "sagemaker-gitops-staging-events-deploy"  # the ml policy is at IAM's size limit
    )
    document = mutable.account.managed_policies[arn]
    document["Statement"].remove(statement(document, "ModelMonitorSchedule"))
    problems = wrong(mutable)
    assert any(
        p.startswith("WRONG: github-deploy/staging sagemaker:CreateMonitoringSchedule")
        for p in problems
    )
    assert all(p.startswith("WRONG: github-deploy/staging sagemaker:") and "was ImplicitlyDenied" in p
               for p in problems), problems[:3]  # fmt: skip


def test_a_monitor_role_passable_to_any_service_is_not_what_is_proven(mutable):
    """iam:PassedToService decides the monitor role's pass: a grant without it would let the
    deploy role hand the role to EC2; the proof's request names SageMaker."""
    arn = next(
        a
        for a, n in mutable.account.managed_names.items()
        if n == "sagemaker-gitops-staging-ml-deploy"
    )
    grant = statement(mutable.account.managed_policies[arn], "PassEnvironmentRoles")
    grant["Condition"] = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    problems = wrong(mutable)
    assert any("github-deploy/staging iam:PassRole on arn:aws:iam::000000000000:role/sagemaker-gitops-staging-monitor"
               in p and "(planned)" in p for p in problems), problems[:3]  # fmt: skip


def test_a_retrain_role_allowed_on_any_pipeline_is_named(mutable):
    role = mutable.account.roles["sagemaker-gitops-staging-events"]
    statement(role.inline["least-privilege"], "StartThisPipeline")["Resource"] = "*"
    problems = wrong(mutable)
    assert problems and all(
        p.startswith("WRONG: events/staging sagemaker:StartPipelineExecution")
        and "was Allowed, must be Denied" in p
        and "statement StartThisPipeline (Allow)" in p
        for p in problems
    ), problems[:3]
    assert any("pipeline/sagemaker-gitops-staging-batch " in p for p in problems)
    # dev's pipeline stays denied: staging's permissions boundary allows no dev resource
    assert not any("pipeline/sagemaker-gitops-dev " in p for p in problems)


def test_a_scheduler_role_decrypting_without_the_schedule_condition_is_named(mutable):
    role = mutable.account.roles["sagemaker-gitops-dev-scheduler"]
    del statement(role.inline["least-privilege"], "DecryptThisSchedule")["Condition"]
    problems = wrong(mutable)
    assert problems and all(
        p.startswith("WRONG: scheduler/dev kms:Decrypt")
        and "was Allowed, must be Denied" in p
        and "statement DecryptThisSchedule (Allow)" in p
        for p in problems
    ), problems[:3]
    assert any("artifact object's data key" in p for p in problems)
