"""The Baseline step and its registration with the model package, and the batch-scoring
definition: same image, KMS key, network settings and caching as the training pipeline; request
shapes checked against botocore's service model (what SageMaker itself validates)."""

from __future__ import annotations

import json

import botocore.session
import pytest

from build_pipeline.__main__ import generate, main
from env_config import load

ENVIRONMENTS = ("local", "dev", "staging", "prod")
FIXED_SHA = "0123456789abcdef0123456789abcdef01234567"  # as conftest.py
BASELINE_URI = "Steps.Baseline.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"


def steps_by_name(definition: dict) -> dict[str, dict]:
    steps = {}
    for step in definition["Steps"]:
        steps[step["Name"]] = step
        for key in ("IfSteps", "ElseSteps"):
            for child in step["Arguments"].get(key, []) if step["Type"] == "Condition" else []:
                steps[child["Name"]] = child
    return steps


def join_of(value: dict) -> list:
    return value["Std:Join"]["Values"]


def sagemaker_shape(operation: str):
    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model(operation).input_shape


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_baseline_reads_the_train_split_and_writes_per_execution(definitions, env):
    baseline = steps_by_name(definitions[env])["Baseline"]["Arguments"]
    inputs = {i["InputName"]: i["S3Input"] for i in baseline["ProcessingInputs"]}
    assert inputs["train"]["S3Uri"] == {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
    }
    assert baseline["AppSpecification"]["ContainerEntrypoint"][-1].endswith("/baseline.py")
    output = baseline["ProcessingOutputConfig"]["Outputs"][0]
    assert output["OutputName"] == "baseline"
    config = load(env)
    assert join_of(output["S3Output"]["S3Uri"]) == [
        config.s3_uri("models", "baseline"),
        {"Get": "Execution.PipelineExecutionId"},
    ]
    assert baseline["NetworkConfig"]["EnableNetworkIsolation"] is True


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_package_registers_the_baseline_for_drift_checks_and_as_metrics(definitions, env):
    register = steps_by_name(definitions[env])["RegisterModel"]["Arguments"]
    for section in (register["DriftCheckBaselines"], register["ModelMetrics"]):
        quality = section["ModelDataQuality"]
        assert join_of(quality["Statistics"]["S3Uri"]) == [{"Get": BASELINE_URI}, "statistics.json"]
        assert join_of(quality["Constraints"]["S3Uri"]) == [
            {"Get": BASELINE_URI},
            "constraints.json",
        ]
    shape = sagemaker_shape("CreateModelPackage")
    assert set(register["DriftCheckBaselines"]) <= set(shape.members["DriftCheckBaselines"].members)
    assert set(register["ModelMetrics"]) <= set(shape.members["ModelMetrics"].members)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_batch_scores_with_the_champion_under_the_same_settings(
    batch_definitions, definitions, env
):
    config = load(env)
    batch = batch_definitions[env]
    assert [(s["Name"], s["Type"]) for s in batch["Steps"]] == [("Score", "Processing")]
    score = batch["Steps"][0]
    args = score["Arguments"]
    evaluate = steps_by_name(definitions[env])["Evaluate"]["Arguments"]
    for key in ("RoleArn", "NetworkConfig"):
        assert args[key] == evaluate[key]
    assert args["AppSpecification"]["ImageUri"] == evaluate["AppSpecification"]["ImageUri"]
    assert args["AppSpecification"]["ContainerEntrypoint"][-1].endswith("/batch_score.py")
    kms = evaluate["ProcessingOutputConfig"]["KmsKeyId"]
    assert args["ProcessingOutputConfig"]["KmsKeyId"] == kms
    assert args["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == kms
    assert args["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    assert score["CacheConfig"] == {
        "Enabled": True,
        "ExpireAfter": config.get("batch.cache_expire_after"),
    }
    defaults = {p["Name"]: p.get("DefaultValue") for p in batch["Parameters"]}
    assert defaults["InputDataUri"] == config.s3_uri("batch", "input") + "/"
    assert defaults["ChampionModelUri"] == config.s3_uri("champion", "current") + "/"
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in args["ProcessingInputs"]}
    assert inputs["champion"] == {"Get": "Parameters.ChampionModelUri"}
    assert inputs["data"] == {"Get": "Parameters.InputDataUri"}
    output = args["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert output == config.s3_uri("batch", "output") + "/"
    assert args["Environment"] == {"BATCH_DATE": {"Get": "Parameters.BatchDate"}}
    members = set(sagemaker_shape("CreateProcessingJob").members)
    assert set(args) <= members


def test_batch_definition_is_reproducible_and_has_its_own_name(generated_definition, definitions):
    # The run's shared copy may come from another worker process: byte-identical across processes.
    first = generate("dev", git_sha=FIXED_SHA, kind="batch")
    assert first == generated_definition("dev", "batch")
    assert json.loads(first) != definitions["dev"]


def test_cli_writes_the_batch_definition_next_to_the_training_one(tmp_path, capsys):
    out = tmp_path / "batch-definition.json"
    assert main(["--env", "dev", "--kind", "batch", "--out", str(out), "--git-sha", FIXED_SHA]) == 0
    assert json.loads(out.read_text())["Steps"][0]["Name"] == "Score"
    with pytest.raises(SystemExit):
        main(["--env", "dev", "--kind", "scoring"])
    assert "invalid choice: 'scoring'" in capsys.readouterr().err
