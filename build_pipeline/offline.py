"""Run the SageMaker SDK with no AWS account and no network.

The SDK wants a boto session, credentials and a region, and under a PipelineSession it "uploads"
nothing we pass by S3 URI. Inside moto's mock_aws every AWS call it still makes (the default bucket
check, the caller identity) lands in memory, so generating a definition needs no credentials and
makes no network attempt, on a laptop and in CI alike.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "offline-definition",
    "AWS_SECRET_ACCESS_KEY": "offline-definition",
    "AWS_SESSION_TOKEN": "offline-definition",
    "SAGEMAKER_VALIDATE_ROLE": "false",
}
# The SDK's defaults config: telemetry off, or it would try to reach the internet.
SDK_CONFIG = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}


@contextlib.contextmanager
def offline_aws(region: str) -> Iterator[None]:
    """Fake credentials and moto for the duration; the caller's environment is restored after."""
    from moto import mock_aws

    overrides = {**FAKE_ENVIRONMENT, "AWS_DEFAULT_REGION": region}
    removed = {"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_S3"}
    saved = {key: os.environ.get(key) for key in (*overrides, *removed)}
    os.environ.update(overrides)
    for key in removed:
        os.environ.pop(key, None)
    try:
        with mock_aws():
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
