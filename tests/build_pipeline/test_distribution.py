"""How the definition spreads data over several instances: raw input and the train/validation
channels ShardedByS3Key, what every host needs FullyReplicated, Evaluate on one instance, and
Preprocess told how many part files the training hosts need.

The distribution values are checked against botocore's SageMaker service model (the API's own
enum), not against what the SDK happened to emit."""

from __future__ import annotations

import botocore.session
import pytest

ENVIRONMENTS = ("local", "dev", "staging", "prod")


def steps_by_name(definition: dict) -> dict[str, dict]:
    return {step["Name"]: step for step in definition["Steps"]}


def allowed(shape_name: str) -> list[str]:
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.shape_for(shape_name).members["S3DataDistributionType"]
    return shape.enum


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_raw_input_is_sharded_and_code_is_replicated(definitions, env):
    inputs = {
        i["InputName"]: i["S3Input"]
        for i in steps_by_name(definitions[env])["Preprocess"]["Arguments"]["ProcessingInputs"]
    }
    assert inputs["raw"]["S3DataDistributionType"] == "ShardedByS3Key"
    assert inputs["code"]["S3DataDistributionType"] == "FullyReplicated"
    for value in (i["S3DataDistributionType"] for i in inputs.values()):
        assert value in allowed("ProcessingS3Input")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_train_shards_the_splits_and_replicates_statistics_and_code(definitions, env):
    channels = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3DataDistributionType"]
        for c in steps_by_name(definitions[env])["Train"]["Arguments"]["InputDataConfig"]
    }
    assert channels == {
        "code": "FullyReplicated",
        "train": "ShardedByS3Key",
        "validation": "ShardedByS3Key",
        "statistics": "FullyReplicated",
    }
    assert set(channels.values()) <= set(allowed("S3DataSource"))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_instance_counts_are_parameters_and_evaluate_runs_once(definitions, env):
    steps = steps_by_name(definitions[env])
    preprocess = steps["Preprocess"]["Arguments"]
    assert preprocess["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == {
        "Get": "Parameters.ProcessingInstanceCount"
    }
    assert steps["Train"]["Arguments"]["ResourceConfig"]["InstanceCount"] == {
        "Get": "Parameters.TrainingInstanceCount"
    }
    evaluate = steps["Evaluate"]["Arguments"]
    assert evaluate["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    test_input = next(i for i in evaluate["ProcessingInputs"] if i["InputName"] == "test")
    assert test_input["S3Input"]["S3DataDistributionType"] == "FullyReplicated"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_preprocess_writes_one_part_per_training_host(definitions, env):
    arguments = steps_by_name(definitions[env])["Preprocess"]["Arguments"]["AppSpecification"]
    flag, value = arguments["ContainerArguments"]
    assert flag == "--parts"
    assert value == {
        "Std:Join": {"On": "", "Values": [{"Get": "Parameters.TrainingInstanceCount"}]}
    }


def test_instance_count_defaults_come_from_the_environment_files(definitions):
    from env_config import load

    for env in ENVIRONMENTS:
        parameters = {p["Name"]: p for p in definitions[env]["Parameters"]}
        pipeline = load(env).get("pipeline")
        assert parameters["ProcessingInstanceCount"]["DefaultValue"] == int(
            pipeline["processing_instance_count"]
        )
        assert parameters["TrainingInstanceCount"]["DefaultValue"] == int(
            pipeline["training_instance_count"]
        )
