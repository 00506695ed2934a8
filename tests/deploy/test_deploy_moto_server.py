"""The Done criterion, end to end through the CLI against a moto *server* on 127.0.0.1.

The code sets no endpoint of its own: boto3 follows AWS_ENDPOINT_URL. With an Approved package,
`python -m deploy rollout` creates the endpoint (and passes the smoke test against moto's
sagemaker-runtime, whose answers are queued through moto's API); the same rollout again changes
nothing; a package that is not Approved is refused with a clear message and a non-zero exit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from deploy.settings import load
from local_moto.server import running_moto

from .conftest import create_rollback_alarms

REPO = Path(__file__).resolve().parents[2]
GROUP = "sagemaker-gitops-staging"
REGION = load("staging").region  # moto plays the environment's region (a fork's after make init)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory):
    """moto's server on a port of its own (local_moto), playing the environment's account so
    that the strict ARN check sees the YAML's account."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with running_moto(load("staging").account_id, log) as url:
        yield url


@pytest.fixture
def server_env(moto_url, monkeypatch):
    """A clean moto (reset: each test starts from nothing) and the CLI's environment."""
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_url}/moto-api/reset", data=b"", method="POST"), timeout=10
    ).read()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=moto_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        PYTHONPATH=str(REPO),
    )
    env.pop("GITHUB_OUTPUT", None)
    return env


def deploy_cli(env: dict, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deploy", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def queue_answers(url: str, *bodies: str) -> None:
    payload = {
        "region": REGION,  # moto keeps queued answers per region (the fork's after make init)
        "account_id": load("staging").account_id,  # ... and per account (MOTO_ACCOUNT_ID)
        "results": [
            {
                "Body": body,
                "ContentType": "application/json",
                "InvokedProductionVariant": "AllTraffic",
                "CustomAttributes": "",
            }
            for body in bodies
        ],
    }
    request = urllib.request.Request(
        f"{url}/moto-api/static/sagemaker/endpoint-results",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).read()


def snapshot(sm, s3, bucket: str) -> dict:
    objects = s3.list_objects_v2(Bucket=bucket, Prefix="staging/").get("Contents", [])
    return {
        "models": sorted(m["ModelName"] for m in sm.list_models()["Models"]),
        "configs": sorted(
            c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]
        ),
        "endpoint": sm.describe_endpoint(EndpointName="sagemaker-gitops-staging")[
            "EndpointConfigName"
        ],
        "objects": sorted((o["Key"], o["ETag"]) for o in objects),
    }


def seed(sm, s3, bucket: str):
    """The environment's bucket, test split, one model, the group; returns package(status)."""
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:  # outside S3's default region (a fork's, after make init)
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="staging/champion/current/NO_CHAMPION", Body=b"")
    features = json.loads((REPO / "training_code" / "schema.json").read_text())["features"]
    rows = [",".join([*features, "malignant"])] + [
        ",".join(str(i + j / 10) for j in range(len(features))) + ",1" for i in range(30)
    ]
    s3.put_object(
        Bucket=bucket, Key="staging/processed/e1/test/part-0.csv", Body="\n".join(rows).encode()
    )
    s3.put_object(Bucket=bucket, Key="staging/models/job-1/output/model.tar.gz", Body=b"model one")
    sm.create_model_package_group(ModelPackageGroupName=GROUP)

    def package(status: str) -> str:
        return sm.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [
                    {
                        "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/inf@sha256:"
                        + "b" * 64,
                        "ModelDataUrl": f"s3://{bucket}/staging/models/job-1/output/model.tar.gz",
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
            CustomerMetadataProperties={
                "GitSha": "c" * 40,
                "TestDataUri": f"s3://{bucket}/staging/processed/e1/test/",
            },
        )["ModelPackageArn"]

    return package


def test_rollout_creates_then_is_a_no_op_and_refuses_an_unapproved_package(server_env, moto_url):
    import boto3

    settings = load("staging")
    sm = boto3.client("sagemaker", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    assert sm.meta.endpoint_url == moto_url, "boto3 follows AWS_ENDPOINT_URL"
    bucket = settings.bucket
    package = seed(sm, s3, bucket)

    approved = package("Approved")
    queue_answers(
        moto_url,
        json.dumps({"predictions": [{"label": 1, "probability": 0.8}] * settings.smoke_rows}),
        json.dumps({"predictions": [{"label": 0, "probability": 0.1}]}),
    )

    first = deploy_cli(
        server_env,
        "rollout",
        "--env",
        "staging",
        "--model-package-arn",
        approved,
        "--poll",
        "0",
        "--max-latency-ms",
        "600000",
    )
    assert first.returncode == 0, first.stderr
    assert "Created sagemaker-gitops-staging: model package version 1" in first.stdout
    assert (
        "Smoke test of sagemaker-gitops-staging (20 rows" in first.stdout
        and "passed" in first.stdout
    )
    assert (
        sm.describe_endpoint(EndpointName="sagemaker-gitops-staging")["EndpointStatus"]
        == "InService"
    )
    champion = s3.get_object(Bucket=bucket, Key="staging/champion/current/model.tar.gz")[
        "Body"
    ].read()
    assert champion == b"model one"
    before = snapshot(sm, s3, bucket)
    assert (
        len(before["configs"]) == 1
        and ("staging/champion/current/NO_CHAMPION", "") not in before["objects"]
    )

    again = deploy_cli(server_env, "rollout", "--env", "staging", "--model-package-arn", approved)
    assert again.returncode == 0, again.stderr
    assert "Nothing to do: sagemaker-gitops-staging already serves" in again.stdout
    assert snapshot(sm, s3, bucket) == before

    pending = package("PendingManualApproval")
    refused = deploy_cli(server_env, "rollout", "--env", "staging", "--model-package-arn", pending)
    assert refused.returncode == 2
    assert refused.stderr.startswith(
        f"error: Model package {pending} is PendingManualApproval, not Approved"
    )
    assert "Traceback" not in refused.stderr
    assert snapshot(sm, s3, bucket) == before


@pytest.fixture
def standin(moto_url, server_env):
    """The stricter UpdateEndpoint stand-in (tests/deploy/sagemaker_standin.py) in front of
    moto_server: the CLI talks to it, it talks to moto."""
    from .sagemaker_standin import StandIn

    proxy = StandIn(upstream=moto_url, seconds=1.0, region=REGION)
    url = proxy.start()
    server_env["AWS_ENDPOINT_URL"] = url
    try:
        yield proxy, url
    finally:
        proxy.stop()


def test_create_update_failed_update_alarm_rollback_and_rollback_through_the_standin(
    server_env, moto_url, standin
):
    """The update path against a server whose endpoint is Creating/Updating/RollingBack for a
    while and refuses an update in progress (sagemaker_standin.StandIn stands behind every
    assertion about endpoint states; moto behind the rest)."""
    import boto3

    proxy, url = standin
    settings = load("staging")
    sm = boto3.client("sagemaker", region_name=REGION, endpoint_url=url)
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=url)
    package = seed(sm, s3, settings.bucket)
    create_rollback_alarms(
        boto3.client("cloudwatch", region_name=REGION, endpoint_url=url), settings
    )
    good = (
        json.dumps({"predictions": [{"label": 1, "probability": 0.8}] * settings.smoke_rows}),
        json.dumps({"predictions": [{"label": 0, "probability": 0.1}]}),
    )
    arns = [package("Approved") for _ in range(5)]
    name = settings.endpoint_name

    def rollout(arn: str, *extra: str) -> subprocess.CompletedProcess:
        queue_answers(moto_url, *good)
        return deploy_cli(
            server_env,
            "rollout",
            "--env",
            "staging",
            "--model-package-arn",
            arn,
            "--poll",
            "0.2",
            "--max-latency-ms",
            "600000",
            *extra,
        )

    def serving() -> str:
        return sm.describe_endpoint(EndpointName=name)["EndpointConfigName"]

    def owned() -> list[str]:
        return sorted(
            c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]
        )

    # create: Creating, then InService
    created = rollout(arns[0])
    assert created.returncode == 0, created.stderr
    assert f"{name}: Creating" in created.stdout and f"{name}: InService" in created.stdout

    # update: Updating (old config serving, new one pending), then InService on the new one
    updated = rollout(arns[1])
    assert updated.returncode == 0, updated.stderr
    assert f"{name}: Updating" in updated.stdout and "Updated " in updated.stdout
    assert serving().startswith(f"{name}-v2-")

    # an update while Updating is refused by the stand-in, and the CLI says retry later
    proxy.seconds = 300.0  # this update lasts until finish_now()
    started = rollout(arns[2], "--no-wait")
    assert started.returncode == 0 and "Started updating" in started.stdout, started.stderr
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Updating"
    with pytest.raises(sm.exceptions.ClientError, match="Cannot update in-progress endpoint"):
        sm.update_endpoint(EndpointName=name, EndpointConfigName=serving())
    busy = rollout(arns[3], "--no-wait")
    assert busy.returncode == 6 and "is Updating; retry when it is InService" in busy.stderr
    proxy.finish_now()
    proxy.seconds = 1.0
    assert serving().startswith(f"{name}-v3-")
    before = owned()

    # a failed update: SageMaker keeps the old config; the new config and model are deleted
    proxy.fail_next_update("The new fleet failed its health checks.")
    failed = rollout(arns[3])
    assert failed.returncode == 1 and "failed and SageMaker kept" in failed.stderr
    assert "health checks" in failed.stderr and "Traceback" not in failed.stderr
    assert serving().startswith(f"{name}-v3-") and owned() == before

    # an alarm during the canary: RollingBack, then the old config; nothing left behind
    proxy.alarm_next_update()
    alarmed = rollout(arns[4])
    assert alarmed.returncode == 1 and "rolled back automatically" in alarmed.stderr
    assert f"{name}: RollingBack" in alarmed.stdout
    assert serving().startswith(f"{name}-v3-") and owned() == before

    # rollback: the previous Approved package (version 2), through the same canary update
    queue_answers(moto_url, *good)
    back = deploy_cli(
        server_env, "rollback", "--env", "staging", "--poll", "0.2", "--max-latency-ms", "600000"
    )
    assert back.returncode == 0, back.stderr
    assert f"{name}: Updating" in back.stdout and "Rolled back" in back.stdout
    assert serving().startswith(f"{name}-v2-")
    assert (
        proxy.update_requests[-1]["DeploymentConfig"]["BlueGreenUpdatePolicy"][
            "TrafficRoutingConfiguration"
        ]["Type"]
        == "CANARY"
    )
    assert proxy.refused_updates == 1, "deploy/ never sent an update to a busy endpoint"
