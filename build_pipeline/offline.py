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
    removed = {
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SAGEMAKER",
        "AWS_ENDPOINT_URL_S3",
    }
    saved = {key: os.environ.get(key) for key in (*overrides, *removed)}
    os.environ.update(overrides)
    for key in removed:
        os.environ.pop(key, None)
    try:
        with mock_aws(), _validate_sdk_config_once(), _no_local_client_for_names():
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _validate_sdk_config_once() -> Iterator[None]:
    """Validate SDK_CONFIG against the SDK's schema once, not on every config lookup.

    The SDK re-validates its defaults config (jsonschema, including a full check of the schema
    itself) each time it reads a value: about 40 times per definition, over half of the generation
    time. Our config is a constant, so one real validation proves what the other 39 would.
    """
    from unittest import mock

    from sagemaker.core.config.config_manager import SageMakerConfig

    validate = SageMakerConfig.validate_sagemaker_config
    validate(SDK_CONFIG)

    def validate_unless_known(sagemaker_config: dict | None = None) -> None:
        if sagemaker_config != SDK_CONFIG:
            validate(sagemaker_config)

    with mock.patch.object(
        SageMakerConfig, "validate_sagemaker_config", staticmethod(validate_unless_known)
    ):
        yield


class _LocalClientMethodNames:
    """Stands in for LocalSagemakerClient where ProcessingStep builds one only to read the name of
    its create_processing_job method (a full local-mode session, with its boto clients, per step:
    over a tenth of the generation time). The names are all the step checks."""

    def create_processing_job(self) -> None: ...

    def create_transform_job(self) -> None: ...


@contextlib.contextmanager
def _no_local_client_for_names() -> Iterator[None]:
    from unittest import mock

    import sagemaker.mlops.workflow.steps as steps

    with mock.patch.object(steps, "LocalSagemakerClient", _LocalClientMethodNames):
        yield
