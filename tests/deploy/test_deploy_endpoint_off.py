"""endpoint.enabled: false (dev's default, no idle endpoint hours): an approved package becomes
the champion without an endpoint; replays, rollback, record, status and validate-event agree."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from deploy import record, status
from deploy.__main__ import main
from deploy.errors import DeployError

CHAMPION = "staging/champion/current/model.tar.gz"


@pytest.fixture
def off(world):
    world.settings = replace(world.settings, endpoint_enabled=False)
    return world


def test_rollout_promotes_the_champion_and_creates_no_endpoint(off, deployer_for):
    first = off.add_package()
    outcome = deployer_for(settings=off.settings).rollout(first)
    assert outcome.action == "champion" and "Set endpoint.enabled: true" in outcome.message
    assert off.clients.sagemaker.list_endpoints()["Endpoints"] == []
    assert off.clients.sagemaker.list_models()["Models"] == []
    assert off.read(CHAMPION).startswith(b"model v")
    assert not off.object_exists("staging/champion/current/NO_CHAMPION")

    again = deployer_for(settings=off.settings).rollout(first)
    assert again.action == "noop" and "already the champion" in again.message

    second = off.add_package()
    deployer_for(settings=off.settings).rollout(second)
    assert off.read(CHAMPION).endswith(b"1")
    back = deployer_for(settings=off.settings).rollback()
    assert back.model_package_arn == first and off.read(CHAMPION).endswith(b"0")

    entry = record.current_record(off.clients, off.settings, deployer_for().read_state())
    assert entry["model_package_arn"] == first and entry["endpoint_config_name"] == ""

    with pytest.raises(DeployError, match="no endpoint to smoke-test"):
        deployer_for(settings=off.settings).smoke_test()


def test_record_before_any_rollout_says_so(off):
    with pytest.raises(DeployError, match="nothing to record"):
        record.current_record(off.clients, off.settings, {})


def test_status_names_the_champion(off, deployer_for):
    off.clients.sagemaker.create_pipeline(
        PipelineName=off.settings.pipeline_name,
        PipelineDefinition=json.dumps({"Version": "2020-12-01", "Steps": []}),
        RoleArn=off.settings.execution_role_arn,
    )
    assert "off (endpoint.enabled: false) · champion: none rolled out yet" in status.status(
        off.clients, off.settings
    )
    arn = off.add_package()
    deployer_for(settings=off.settings).rollout(arn)
    text = status.status(off.clients, off.settings)
    assert f"champion: model package version 1 {arn}" in text


def test_validate_event_for_dev_uses_the_champion(world, capsys, deployer_for):
    """environments/dev.yaml has endpoint.enabled: false; the CLI reads it."""
    from deploy.settings import load

    dev = load("dev")
    assert dev.endpoint_enabled is False
    world.create_bucket(world.clients.s3, dev.bucket)
    world.clients.sagemaker.create_model_package_group(
        ModelPackageGroupName=dev.model_package_group
    )
    arn = world.add_package(group=dev.model_package_group)

    assert main(["validate-event", "--env", "dev", "--model-package-arn", arn]) == 0
    assert capsys.readouterr().out.startswith("OK:")
    assert main(["rollout", "--env", "dev", "--model-package-arn", arn]) == 0
    assert "is the champion of dev" in capsys.readouterr().out
    assert main(["validate-event", "--env", "dev", "--model-package-arn", arn]) == 0
    assert capsys.readouterr().out.startswith("Already deployed")


def test_the_champion_gets_its_identity_and_baseline_for_batch_and_monitoring(off, deployer_for):
    """What batch scoring and the Model Monitor schedule read beside the champion's model."""
    s3 = off.clients.s3
    bucket = off.settings.bucket
    baseline = "staging/models/baseline/exec-1"
    quality = {}
    for name in ("Statistics", "Constraints"):
        key = f"{baseline}/{name.lower()}.json"
        s3.put_object(Bucket=bucket, Key=key, Body=f'{{"{name}": 1}}'.encode())
        quality[name] = {"ContentType": "application/json", "S3Uri": f"s3://{bucket}/{key}"}
    s3.put_object(Bucket=bucket, Key="staging/models/job-b/output/model.tar.gz", Body=b"model b")
    with_baseline = off.clients.sagemaker.create_model_package(
        ModelPackageGroupName="sagemaker-gitops-staging",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": "000000000000.dkr.ecr.us-east-1.amazonaws.com/inference:b",
                    "ModelDataUrl": f"s3://{bucket}/staging/models/job-b/output/model.tar.gz",
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        DriftCheckBaselines={"ModelDataQuality": quality},
    )["ModelPackageArn"]
    deployer_for(settings=off.settings).rollout(with_baseline)
    identity = json.loads(off.read("staging/champion/current/champion.json"))
    assert identity["ModelPackageArn"] == with_baseline
    assert identity["DriftCheckBaselines"]["statistics"].endswith("/statistics.json")
    assert off.read("staging/champion/current/baseline/statistics.json") == b'{"Statistics": 1}'
    assert off.read("staging/champion/current/baseline/constraints.json") == b'{"Constraints": 1}'

    without = off.add_package()  # a newer package registered before the Baseline step existed
    deployer_for(settings=off.settings).rollout(without)
    assert json.loads(off.read("staging/champion/current/champion.json"))["ModelPackageArn"] == (
        without
    )
    assert not off.object_exists("staging/champion/current/baseline/statistics.json")

    deployer_for(settings=off.settings).rollback()  # the previous champion's files come back
    restored = json.loads(off.read("staging/champion/current/champion.json"))
    assert restored["ModelPackageArn"] == with_baseline
    assert off.object_exists("staging/champion/current/baseline/constraints.json")
