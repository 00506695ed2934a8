"""Builders of Processing/Training requests for the job tests (test_local_jobs_*.py): the shapes
CreateProcessingJob / CreateTrainingJob take, with scripts staged in the object store."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from local_runner import objectstore
from local_runner.jobs import JobSpec

BUCKET = "jobs-bucket"
CODE_DIR = "/opt/ml/processing/input/code"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def uri(key: str) -> str:
    return f"s3://{BUCKET}/{key}"


def job_spec(home: Path, step: str = "Job") -> JobSpec:
    return JobSpec(step, f"job-{step.lower()}", home / "runs" / "r1" / step, "us-east-1", "1" * 12)


def stage_script(name: str, text: str, prefix: str = "code") -> str:
    """Put a script in the object store; returns its prefix URI (an input's S3Uri)."""
    objectstore.put_bytes(uri(f"{prefix}/{name}"), textwrap.dedent(text).encode())
    return uri(f"{prefix}/")


def s3_input(name: str, s3_uri: str, local: str, sharded: bool = False) -> dict[str, Any]:
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": s3_uri,
            "LocalPath": local,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "ShardedByS3Key" if sharded else "FullyReplicated",
        },
    }


def s3_output(name: str, s3_uri: str, local: str) -> dict[str, Any]:
    return {
        "OutputName": name,
        "S3Output": {"S3Uri": s3_uri, "LocalPath": local, "S3UploadMode": "EndOfJob"},
    }


def processing(
    script: str,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    instances: int = 1,
    environment: dict[str, str] | None = None,
    entrypoint: list[str] | None = None,
) -> dict[str, Any]:
    """A ScriptProcessor-shaped request: python3 <code>/<script>, the code as an input."""
    code_uri = f"s3://{BUCKET}/code/"
    return {
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": instances,
                "InstanceType": "ml.m5.xlarge",
                "VolumeSizeInGB": 30,
            }
        },
        "AppSpecification": {
            "ImageUri": SKLEARN_IMAGE,
            "ContainerEntrypoint": entrypoint or ["python3", f"{CODE_DIR}/{script}"],
        },
        "ProcessingInputs": [s3_input("code", code_uri, CODE_DIR), *(inputs or [])],
        "ProcessingOutputConfig": {"Outputs": outputs or []},
        "Environment": environment or {},
        "RoleArn": "arn:aws:iam::111111111111:role/r",
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }


def training(
    image: str,
    channels: dict[str, str],
    hyperparameters: dict[str, str],
    instances: int = 1,
    entrypoint: list[str] | None = None,
    content_type: str | None = None,
) -> dict[str, Any]:
    algorithm: dict[str, Any] = {"TrainingImage": image, "TrainingInputMode": "File"}
    if entrypoint:
        algorithm["ContainerEntrypoint"] = entrypoint
    return {
        "AlgorithmSpecification": algorithm,
        "HyperParameters": hyperparameters,
        "InputDataConfig": [
            {
                "ChannelName": name,
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": s3_uri,
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                **({"ContentType": content_type} if content_type else {}),
            }
            for name, s3_uri in channels.items()
        ],
        "OutputDataConfig": {"S3OutputPath": uri("models")},
        "ResourceConfig": {
            "InstanceCount": instances,
            "InstanceType": "ml.m5.xlarge",
            "VolumeSizeInGB": 30,
        },
        "RoleArn": "arn:aws:iam::111111111111:role/r",
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }
