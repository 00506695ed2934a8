"""Helpers of the local runner tests: the fixture code bundle (fixtures/code: stdlib-only scripts
that follow the container contract) and a small hand-written definition with every step type of
the real pipeline, so the executor is tested without the real training code."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from local_runner.executor import Executor
from local_runner.registry import Registry

FIXTURES = Path(__file__).parent / "fixtures"
CODE = FIXTURES / "code"
BUCKET = "test-bucket"
CODE_URI = f"s3://{BUCKET}/code/"
RAW_URI = f"s3://{BUCKET}/raw/"
CHAMPION_URI = f"s3://{BUCKET}/champion/"
GOOD_ROWS = "0.9,1\n0.1,0\n0.8,1\n"


def registry() -> Registry:
    return Registry(CHAMPION_URI)


def get(path: str) -> dict[str, str]:
    return {"Get": path}


def join(*values: Any, on: str = "/") -> dict[str, Any]:
    return {"Std:Join": {"On": on, "Values": list(values)}}


def json_get(path: str) -> dict[str, Any]:
    return {
        "Std:JsonGet": {
            "PropertyFile": get("Steps.Score.PropertyFiles.Report"),
            "Path": path,
        }
    }


CACHE = {"CacheConfig": {"Enabled": True, "ExpireAfter": "P30D"}}
PROCESSING = "/opt/ml/processing"


def processing_input(name: str, uri: Any, local: str) -> dict[str, Any]:
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
        },
    }


def processing_output(name: str, uri: Any, local: str) -> dict[str, Any]:
    return {
        "OutputName": name,
        "S3Output": {"S3Uri": uri, "LocalPath": local, "S3UploadMode": "EndOfJob"},
    }


def split_uri(split: str) -> dict[str, str]:
    return get(f"Steps.Prep.ProcessingOutputConfig.Outputs['{split}'].S3Output.S3Uri")


def make_definition() -> dict[str, Any]:
    """Prep -> Fit -> Score -> Gate -> Register | Reject, shaped like the generated definition."""
    execution_id = get("Execution.PipelineExecutionId")
    prep = {
        "Name": "Prep",
        "Type": "Processing",
        **copy.deepcopy(CACHE),
        "Arguments": {
            "AppSpecification": {
                "ImageUri": "000000000000.dkr.ecr.us-east-1.amazonaws.com/jobs:tag",
                "ContainerEntrypoint": ["python3", f"{PROCESSING}/input/code/prep.py"],
                "ContainerArguments": ["--input", f"{PROCESSING}/input/data"],
            },
            "Environment": {"MODE": get("Parameters.Mode")},
            "ProcessingInputs": [
                processing_input("code", CODE_URI, f"{PROCESSING}/input/code"),
                processing_input("raw", get("Parameters.InputDataUri"), f"{PROCESSING}/input/data"),
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    processing_output(
                        split,
                        join(f"s3://{BUCKET}/processed", execution_id, split),
                        f"{PROCESSING}/{split}",
                    )
                    for split in ("train", "test")
                ]
            },
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                    "VolumeSizeInGB": 30,
                }
            },
            "RoleArn": "arn:aws:iam::000000000000:role/r",
        },
    }
    fit = {
        "Name": "Fit",
        "Type": "Training",
        **copy.deepcopy(CACHE),
        "Arguments": {
            "AlgorithmSpecification": {
                "TrainingImage": "000000000000.dkr.ecr.us-east-1.amazonaws.com/jobs:tag",
                "TrainingInputMode": "File",
                "ContainerEntrypoint": ["python3", "/opt/ml/input/data/code/train.py"],
                "MetricDefinitions": [
                    {"Name": "validation:accuracy", "Regex": "validation:accuracy=([0-9\\.]+);"}
                ],
            },
            "HyperParameters": {
                "accuracy": join(get("Parameters.Accuracy"), on=""),
                # AWS takes hyperparameters as strings: non-string parameters through Std:Join
                "epochs": join(get("Parameters.Epochs"), on=""),
                "fail": join(get("Parameters.FailTraining"), on=""),
                "broken_server": "false",
            },
            "InputDataConfig": [
                {
                    "ChannelName": name,
                    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
                }
                for name, uri in (("code", CODE_URI), ("train", split_uri("train")))
            ],
            "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models"},
            "CheckpointConfig": {
                "S3Uri": f"s3://{BUCKET}/checkpoints/fit",
                "LocalPath": "/opt/ml/checkpoints",
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large"},
            "RoleArn": "arn:aws:iam::000000000000:role/r",
        },
    }
    score = {
        "Name": "Score",
        "Type": "Processing",
        **copy.deepcopy(CACHE),
        "PropertyFiles": [
            {
                "PropertyFileName": "Report",
                "OutputName": "evaluation",
                "FilePath": "evaluation.json",
            }
        ],
        "Arguments": {
            "AppSpecification": {
                "ImageUri": "img",
                "ContainerEntrypoint": ["python3", f"{PROCESSING}/input/code/evaluate.py"],
            },
            "ProcessingInputs": [
                processing_input("code", CODE_URI, f"{PROCESSING}/input/code"),
                processing_input(
                    "model", get("Steps.Fit.ModelArtifacts.S3ModelArtifacts"), f"{PROCESSING}/model"
                ),
                processing_input("test", split_uri("test"), f"{PROCESSING}/test"),
                processing_input(
                    "champion", get("Parameters.ChampionModelUri"), f"{PROCESSING}/champion"
                ),
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    processing_output(
                        "evaluation",
                        join(f"s3://{BUCKET}/evaluation", execution_id),
                        f"{PROCESSING}/evaluation",
                    )
                ]
            },
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                    "VolumeSizeInGB": 30,
                }
            },
            "RoleArn": "arn:aws:iam::000000000000:role/r",
        },
    }
    register = {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": "test-group",
            "ModelApprovalStatus": get("Parameters.ApprovalStatus"),
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": "img",
                        "ModelDataUrl": get("Steps.Fit.ModelArtifacts.S3ModelArtifacts"),
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
            "ModelMetrics": {
                "ModelQuality": {
                    "Statistics": {
                        "ContentType": "application/json",
                        "S3Uri": join(
                            get(
                                "Steps.Score.ProcessingOutputConfig.Outputs['evaluation']"
                                ".S3Output.S3Uri"
                            ),
                            "evaluation.json",
                        ),
                    }
                }
            },
            "CustomerMetadataProperties": {
                "TestDataUri": split_uri("test"),
                "GitSha": "abc",
            },
        },
    }
    reject = {
        "Name": "Reject",
        "Type": "Fail",
        "Arguments": {
            "ErrorMessage": join(
                "Model rejected: accuracy",
                json_get("binary_classification_metrics.accuracy.value"),
                "is below",
                get("Parameters.AccuracyThreshold"),
                "or drop",
                json_get("champion_comparison.accuracy_drop"),
                "exceeds",
                get("Parameters.ChampionMargin"),
                on=" ",
            )
        },
    }
    gate = {
        "Name": "Gate",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {
                    "Type": "GreaterThanOrEqualTo",
                    "LeftValue": json_get("binary_classification_metrics.accuracy.value"),
                    "RightValue": get("Parameters.AccuracyThreshold"),
                },
                {
                    "Type": "LessThanOrEqualTo",
                    "LeftValue": json_get("champion_comparison.accuracy_drop"),
                    "RightValue": get("Parameters.ChampionMargin"),
                },
            ],
            "IfSteps": [register],
            "ElseSteps": [reject],
        },
    }
    return {
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": [
            {"Name": "InputDataUri", "Type": "String", "DefaultValue": RAW_URI},
            {"Name": "ChampionModelUri", "Type": "String", "DefaultValue": CHAMPION_URI},
            {"Name": "AccuracyThreshold", "Type": "Float", "DefaultValue": 0.5},
            {"Name": "ChampionMargin", "Type": "Float", "DefaultValue": 0.01},
            {"Name": "Accuracy", "Type": "Float", "DefaultValue": 0.8},
            {"Name": "Epochs", "Type": "Integer", "DefaultValue": 3},
            {"Name": "FailTraining", "Type": "Boolean", "DefaultValue": False},
            {"Name": "Mode", "Type": "String", "DefaultValue": "fast"},
            {"Name": "ApprovalStatus", "Type": "String", "DefaultValue": "Approved"},
        ],
        "PipelineExperimentConfig": {
            "ExperimentName": get("Execution.PipelineName"),
            "TrialName": get("Execution.PipelineExecutionId"),
        },
        "Steps": [prep, fit, score, gate],
    }


def write_definition(folder: Path, definition: dict[str, Any] | None = None) -> Path:
    path = folder / "definition.json"
    path.write_text(json.dumps(definition or make_definition()))
    return path


def execute(definition=None, overrides=None, **kwargs):
    lines: list[str] = []
    executor = Executor(
        definition or make_definition(),
        overrides=overrides or {},
        pipeline_name="test-pipeline",
        registry=registry(),
        out=lines.append,
        **kwargs,
    )
    result = executor.run()
    return result, "\n".join(lines)


def statuses(result) -> dict[str, str]:
    return {name: step.status for name, step in result.steps.items()}
