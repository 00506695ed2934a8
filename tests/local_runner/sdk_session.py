"""The real SageMaker SDK (v3) pointed at the local S3 endpoint, for the job tests that build a
definition with it: what the SDK uploads while building (code, drivers, pickled functions) lands
in the runner's object store, and nothing reaches AWS (fake credentials, telemetry off, no IAM
role check)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from build_pipeline.offline import SDK_CONFIG
from local_runner import paths
from local_runner.s3_endpoint import S3Endpoint

EXECUTION_ID = "exec-1"


@contextlib.contextmanager
def pipeline_session(monkeypatch: pytest.MonkeyPatch, bucket: str) -> Iterator[Any]:
    with S3Endpoint(paths.s3_root(), "us-east-1") as endpoint:
        for key, value in {
            "AWS_ENDPOINT_URL_S3": endpoint.url,
            "AWS_ACCESS_KEY_ID": "fake",
            "AWS_SECRET_ACCESS_KEY": "fake",
            "AWS_DEFAULT_REGION": "us-east-1",
            "SAGEMAKER_VALIDATE_ROLE": "false",
        }.items():
            monkeypatch.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            monkeypatch.delenv(key, raising=False)
        import boto3
        from sagemaker.core.workflow.pipeline_context import PipelineSession

        yield PipelineSession(
            boto_session=boto3.Session(region_name="us-east-1"),
            default_bucket=bucket,
            sagemaker_config=SDK_CONFIG,
        )


def resolve_execution(value: Any) -> Any:
    """The functions these definitions use (the executor's job in a run): the execution id and
    Std:Join over it."""
    if isinstance(value, dict):
        if value.get("Get") == "Execution.PipelineExecutionId":
            return EXECUTION_ID
        if "Std:Join" in value:
            join = value["Std:Join"]
            return join["On"].join(str(resolve_execution(v)) for v in join["Values"])
        return {key: resolve_execution(item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_execution(item) for item in value]
    return value
