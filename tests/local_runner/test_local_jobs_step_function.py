"""An @step function (SDK v3's remote-function runner) runs as a local Training job: the real SDK
builds the definition and uploads the function through the local S3 endpoint; the job runs the
SDK's own job_driver.sh with the project's Python, reads the function from the object store and
writes its return value back there, where the SDK (and a later step) finds it."""

from __future__ import annotations

import json
import os

import cloudpickle
import pytest
from sdk_session import EXECUTION_ID, pipeline_session, resolve_execution

from definition_check import validate
from local_runner import jobs, objectstore

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

pytestmark = pytest.mark.slow  # the real SDK builds the definition (tens of seconds)


def build_definition(monkeypatch) -> dict:
    with pipeline_session(monkeypatch, "step-bucket") as session:
        from sagemaker.mlops.workflow.function_step import step
        from sagemaker.mlops.workflow.pipeline import Pipeline

        @step(
            name="AddOne",
            image_uri=IMAGE,
            instance_type="ml.m5.large",
            role="arn:aws:iam::111111111111:role/r",
        )
        def add_one(x: int) -> dict:
            return {"answer": x + 1, "hostname": os.uname().nodename}

        pipeline = Pipeline(name="fn", steps=[add_one(41)], sagemaker_session=session)
        return json.loads(pipeline.definition())


def test_a_step_function_runs_and_writes_its_return_value_to_the_object_store(home, monkeypatch):
    definition = build_definition(monkeypatch)
    assert validate(definition) == []  # botocore's model of SageMaker accepts it
    (add_one,) = definition["Steps"]
    assert add_one["Type"] == "Training"
    arguments = resolve_execution(add_one["Arguments"])
    assert jobs.check_runnable("Training", arguments, None, step="AddOne") == []
    spec = jobs.JobSpec(
        "AddOne", "job-addone", home / "runs" / "r" / "AddOne", "us-east-1", "1" * 12
    )
    properties = jobs.run_training(arguments, spec)
    assert objectstore.exists(properties["ModelArtifacts"]["S3ModelArtifacts"])
    results = [
        key
        for key, _ in objectstore.list_objects("s3://step-bucket/fn/AddOne/")
        if key.endswith(f"/{EXECUTION_ID}/results/payload.pkl")
    ]
    assert len(results) == 1
    value = cloudpickle.loads(objectstore.read_bytes(f"s3://step-bucket/{results[0]}"))
    assert value == {"answer": 42, "hostname": "algo-1"}  # ran inside the sandbox's host
