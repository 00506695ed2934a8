"""The sandbox of a local job: no host environment (above all no AWS credentials), boto3 reaching
the run's object store through the local S3 endpoint, /opt/ml private to the job.

What stands behind the S3 assertions: the job's own boto3 (botocore parses every answer with
S3's service model, so a malformed response fails the job)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from job_requests import BUCKET, job_spec, processing, s3_output, stage_script, training, uri

from local_runner import jobs, objectstore, sandbox
from local_runner.expressions import UnsupportedError

HOST_SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAHOSTREALKEY00001",
    "AWS_SECRET_ACCESS_KEY": "host-real-secret",
    "AWS_SESSION_TOKEN": "host-real-session-token",
    "AWS_PROFILE": "host-admin-profile",
    "AWS_ENDPOINT_URL": "https://host-endpoint.invalid",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
    "HOST_ONLY_VARIABLE": "should-not-leak",
}

PRINT_ENVIRONMENT = """
    import json, os
    print(json.dumps(dict(os.environ)))
    with open("/opt/ml/processing/output/env.json", "w") as handle:
        json.dump(dict(os.environ), handle)
"""


def test_a_job_sees_no_host_aws_variable(home, monkeypatch, tmp_path):
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = eu-west-1\n")
    for key, value in {**HOST_SECRETS, "AWS_CONFIG_FILE": str(config)}.items():
        monkeypatch.setenv(key, value)
    stage_script("env.py", PRINT_ENVIRONMENT)
    request = processing(
        "env.py",
        outputs=[s3_output("env", uri("out/env"), "/opt/ml/processing/output")],
        environment={"AWS_ACCESS_KEY_ID": "AKIAFROMDEFINITION01", "MODE": "fast"},
    )
    spec = job_spec(home)
    jobs.run_processing(request, spec)
    seen = json.loads(objectstore.read_bytes(uri("out/env/env.json")))
    for key, value in HOST_SECRETS.items():
        assert seen.get(key) != value, key
    assert "AWS_SESSION_TOKEN" not in seen and "AWS_PROFILE" not in seen
    assert "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" not in seen
    assert seen["AWS_ACCESS_KEY_ID"] == sandbox.FAKE_ACCESS_KEY  # not even the definition's
    assert seen["AWS_CONFIG_FILE"] != str(config)
    assert not Path(seen["AWS_CONFIG_FILE"]).exists()
    assert seen["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert seen["AWS_ENDPOINT_URL_S3"] == seen["AWS_ENDPOINT_URL"]
    assert seen["AWS_EC2_METADATA_DISABLED"] == "true"
    assert seen["MODE"] == "fast"  # the request's own Environment is kept
    assert Path(seen["HOME"]).is_relative_to(spec.step_dir)


BOTO3_JOB = """
    import json
    import boto3

    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket="{bucket}", Prefix="raw/")
    keys = [item["Key"] for item in listed.get("Contents", [])]
    body = s3.get_object(Bucket="{bucket}", Key="raw/a.csv")["Body"].read().decode()
    s3.put_object(Bucket="{bucket}", Key="written-by-job/hello.txt", Body=b"from the job")
    with open("/opt/ml/processing/output/listed.json", "w") as handle:
        json.dump({{"keys": keys, "body": body}}, handle)
"""


def test_a_job_calling_boto3_lists_the_runs_objects(home):
    objectstore.put_bytes(uri("raw/a.csv"), b"1,2\n")
    objectstore.put_bytes(uri("raw/sub/b.csv"), b"3,4\n")
    objectstore.put_bytes(uri("other/c.csv"), b"5,6\n")
    stage_script("s3job.py", BOTO3_JOB.format(bucket=BUCKET))
    request = processing(
        "s3job.py", outputs=[s3_output("listed", uri("out/listed"), "/opt/ml/processing/output")]
    )
    jobs.run_processing(request, job_spec(home))
    seen = json.loads(objectstore.read_bytes(uri("out/listed/listed.json")))
    assert seen == {"keys": ["raw/a.csv", "raw/sub/b.csv"], "body": "1,2\n"}
    # the job's own write landed in the runner's object store, not anywhere else
    assert objectstore.read_bytes(uri("written-by-job/hello.txt")) == b"from the job"


WRITE_OPT_ML = """
    import os
    os.makedirs("/opt/ml/model", exist_ok=True)
    with open("/opt/ml/model/x", "w") as handle:
        handle.write("written to a hard-coded /opt/ml path")
"""


def test_a_job_writing_to_opt_ml_writes_into_the_run_folder(home):
    host_had_opt_ml = Path("/opt/ml").exists()
    code = stage_script("write.py", WRITE_OPT_ML, prefix="train-code")
    request = training(
        "111111111111.dkr.ecr.us-east-1.amazonaws.com/sagemaker-gitops-jobs:1",
        {"code": code},
        {},
        entrypoint=["python3", "/opt/ml/input/data/code/write.py"],
    )
    spec = job_spec(home, "Train")
    result = jobs.run_training(request, spec)
    assert (spec.opt_ml / "model" / "x").read_text() == "written to a hard-coded /opt/ml path"
    assert Path("/opt/ml").exists() == host_had_opt_ml
    assert not Path("/opt/ml/model/x").exists()
    assert objectstore.exists(result["ModelArtifacts"]["S3ModelArtifacts"])


PIP_INTO_VENV = """
    import pathlib, sys
    target = pathlib.Path(sys.prefix) / "local-runner-sandbox-probe"
    try:
        target.write_text("a job changed the project's venv")
    except OSError as error:
        print(f"refused: {error}")
    else:
        raise SystemExit("the venv was writable from a job")
"""


def test_the_projects_python_environment_is_read_only_inside_a_job(home):
    stage_script("pip.py", PIP_INTO_VENV)
    spec = job_spec(home)
    jobs.run_processing(processing("pip.py"), spec)
    assert "Read-only file system" in spec.stdout_log.read_text()
    import sys

    assert not (Path(sys.prefix) / "local-runner-sandbox-probe").exists()


def test_without_a_mount_namespace_the_job_is_refused_up_front(home, monkeypatch, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no unshare on PATH: as on a machine without it
    sandbox.problem.cache_clear()
    try:
        stage_script("env.py", PRINT_ENVIRONMENT)
        request = processing("env.py")
        problems = jobs.check_runnable("Processing", request, None, step="Prep")
        assert len(problems) == 1
        assert problems[0].startswith("step Prep: local jobs need `unshare`")
        spec = job_spec(home, "Prep")
        with pytest.raises(UnsupportedError, match="unshare"):
            jobs.run_processing(request, spec)
        assert not spec.stdout_log.exists()  # nothing ran
    finally:
        sandbox.problem.cache_clear()


@pytest.mark.parametrize("apparmor", [True, False])
def test_a_refused_user_namespace_is_explained_with_its_fix(monkeypatch, apparmor):
    import subprocess

    refused = subprocess.CompletedProcess(
        ["unshare"], 1, "", "unshare: write failed /proc/self/uid_map: Operation not permitted"
    )
    monkeypatch.setattr(sandbox.subprocess, "run", lambda *a, **k: refused)
    monkeypatch.setattr(sandbox, "_apparmor_restricts_user_namespaces", lambda: apparmor)
    sandbox.problem.cache_clear()
    try:
        reason = sandbox.problem()
    finally:
        sandbox.problem.cache_clear()
    if apparmor:
        assert "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in reason
    else:
        assert "Operation not permitted" in reason and "user.max_user_namespaces" in reason
