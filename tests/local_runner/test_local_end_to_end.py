"""End to end on the generated definition (build_pipeline) with the real training code: the life
cycle of `make deploy ENV=local`, in a private LOCAL_RUNNER_HOME and on a spare port."""

from __future__ import annotations

import json

import pytest

from local_runner import endpoint, lifecycle, objectstore, paths
from local_runner.executor import EXIT_FAIL_STEP, EXIT_STEP_FAILED

pytestmark = pytest.mark.slow
WEAK = {"MaxIter": "1", "LearningRate": "0.01"}  # a quick, poor model (one boosting round)
QUICK = {"MaxIter": "30"}  # a good model in a fraction of the default 200 rounds (test time)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOCAL_RUNNER_HOME", str(tmp_path_factory.mktemp("e2e") / "home"))
        patch.delenv("LOCAL_RUNNER_SERVE_SCRIPT", raising=False)
        yield lifecycle.Local.load()
        endpoint.undeploy(out=lambda line: None)


@pytest.fixture(scope="module")
def port():
    return endpoint.free_port()


def run(local, **overrides):
    lines: list[str] = []
    result = lifecycle.run(local, {k: str(v) for k, v in overrides.items()}, out=lines.append)
    return result, "\n".join(lines)


def test_a_bad_dataset_fails_at_preprocess_and_registers_nothing(local):
    bad = local.config.s3_uri("bad") + "/"
    objectstore.put_bytes(bad + "data.csv", b"mean_radius,malignant\n1.0,0\n")
    result, output = run(local, InputDataUri=bad)
    assert result.exit_code == EXIT_STEP_FAILED
    assert result.failed_step == "Preprocess"
    assert "missing column 'mean_texture'" in result.failure
    assert "exit code: 2" in output and "last 20 lines of stderr" in output
    assert local.registry.versions(local.group) == []


def test_a_model_under_the_threshold_is_rejected_and_the_run_says_why(local):
    result, output = run(local, AccuracyThreshold=0.999, **WEAK)
    assert result.exit_code == EXIT_FAIL_STEP
    assert result.steps["RejectModel"].status == "Failed"
    assert "Model rejected by the quality gate" in result.failure
    assert "must be >= AccuracyThreshold 0.999" in result.failure
    assert "GreaterThanOrEqualTo(" in output and ", 0.999) is False" in output
    assert result.steps["RegisterModel"].status == "NotRun"
    assert local.registry.versions(local.group) == []


def test_deploy_runs_approves_serves_and_smoke_tests(local, port):
    lines: list[str] = []
    assert lifecycle.deploy(local, port, QUICK, max_latency_ms=None, out=lines.append) == 0
    output = "\n".join(lines)
    assert "Smoke test passed: 20 test rows -> 20 predictions" in output
    assert f"http://127.0.0.1:{port}/invocations" in output
    versions = local.registry.versions(local.group)
    assert [(v["ModelPackageVersion"], v["ModelApprovalStatus"]) for v in versions] == [
        (1, "Approved")
    ]
    assert local.registry.champion(local.group)["version"] == 1
    assert objectstore.exists(local.champion_uri + "model.tar.gz")
    # the Baseline step's files, registered with the package and published with the champion
    for name in ("statistics", "constraints"):
        assert objectstore.exists(f"{local.champion_uri}baseline/{name}.json")
    assert "data-quality baseline s3://" in lifecycle.describe_versions(local)
    lineage = versions[0]["Lineage"]
    assert lineage["Data"]["InputDataUri"]["uri"] == local.config.get("pipeline.input_data_uri")
    assert versions[0]["Metrics"]["binary_classification_metrics"]["accuracy"]["value"] >= 0.9
    # what the README's curl does: one prediction per row of the sample file
    rows = (paths.endpoint_dir() / "sample-rows.csv").read_bytes()
    status, payload, headers = endpoint.request(port, "POST", "/invocations", rows, "text/csv")
    predictions = json.loads(payload)["predictions"]
    assert status == 200 and headers["x-model-version"] == "1"
    assert len(predictions) == len(rows.decode().strip().splitlines()) == 20
    instances = [[float(x) for x in line.split(",")] for line in rows.decode().splitlines()[:3]]
    body = json.dumps({"instances": instances}).encode()
    status, payload, _ = endpoint.request(port, "POST", "/invocations", body, "application/json")
    assert status == 200 and len(json.loads(payload)["predictions"]) == 3
    assert "Version 1" in lifecycle.describe_versions(local) or "v1" in (
        lifecycle.describe_versions(local)
    )


def test_deploy_again_is_safe_and_reuses_the_cache(local, port):
    lines: list[str] = []
    assert lifecycle.deploy(local, port, QUICK, max_latency_ms=None, out=lines.append) == 0
    output = "\n".join(lines)
    assert "Preprocess    Processing    cached" in output
    assert "Train         Training      cached" in output
    assert f"Endpoint already serves version 1 on 127.0.0.1:{port}." in output
    assert len(local.registry.versions(local.group)) == 1
    status = lifecycle.status_text(local)
    assert "Champion of sagemaker-gitops-local: 1" in status
    assert f"http://127.0.0.1:{port} healthy, version 1" in status


def test_a_challenger_worse_than_the_champion_registers_nothing(local, port):
    result, output = run(local, AccuracyThreshold=0.5, **WEAK)
    assert result.steps["Train"].status == "Cached"  # trained by the threshold test
    assert result.exit_code == EXIT_FAIL_STEP, output
    assert "LessThanOrEqualTo(" in output and ", 0.01) is False" in output
    assert "accuracy drop" in result.failure
    assert len(local.registry.versions(local.group)) == 1
    assert endpoint.request(port, "GET", "/ping")[2]["x-model-version"] == "1"
    log = lifecycle.read_log("Train")
    assert "# Train (Training)" in log and "stdout.log" in log
