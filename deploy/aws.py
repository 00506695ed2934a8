"""The AWS clients a deploy uses, created lazily, and the translation of AWS failures into
one-line messages.

boto3 honours AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) by itself, so the same code talks
to AWS, to a moto server on 127.0.0.1, or to moto's in-process mock. Nothing here sets an
endpoint_url of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from deploy.errors import DeployError

CREDENTIALS_HELP = (
    "No usable AWS credentials. On a laptop: `export AWS_PROFILE=<profile>` (and "
    "`aws sso login --profile <profile>` if it uses SSO). In GitHub Actions: use OIDC, "
    "aws-actions/configure-aws-credentials with the environment's deploy role (docs/cicd.md). "
    "Against a moto server: export AWS_ENDPOINT_URL=http://127.0.0.1:<port> and any "
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY."
)


def default_session() -> Any:
    """A new boto3 session (credentials from the usual chain: env, AWS_PROFILE, SSO, OIDC...)."""
    import boto3  # deferred: `python -m deploy --help` never loads it

    return boto3.session.Session()


class Clients:
    """boto3 clients for one region, made on first use (importing this module costs nothing)."""

    def __init__(self, region: str, session: Any = None, **overrides: Any) -> None:
        self.region = region
        self._session = session
        self._clients: dict[str, Any] = dict(overrides)

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            if self._session is None:
                self._session = default_session()
            self._clients[service] = self._session.client(service, region_name=self.region)
        return self._clients[service]

    @property
    def sagemaker(self) -> Any:
        return self._client("sagemaker")

    @property
    def runtime(self) -> Any:
        return self._client("sagemaker-runtime")

    @property
    def s3(self) -> Any:
        return self._client("s3")

    @property
    def logs(self) -> Any:
        return self._client("logs")

    @property
    def cloudwatch(self) -> Any:
        return self._client("cloudwatch")


def error_code(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def error_message(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message", "")) or str(error)


def is_not_found(error: BaseException) -> bool:
    """SageMaker says 'Could not find ...' with ValidationException; S3 says NoSuchKey/404."""
    code = error_code(error)
    if code in ("NoSuchKey", "404", "NotFound", "ResourceNotFound", "ResourceNotFoundException"):
        return True
    text = error_message(error).lower()
    return code == "ValidationException" and any(
        phrase in text for phrase in ("could not find", "not found", "does not exist")
    )


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Turn credential, connection and access failures into a DeployError with the fix."""
    try:
        yield
    except DeployError:
        raise
    except Exception as error:  # botocore is imported lazily, so match by class name
        name = type(error).__name__
        if name in (
            "NoCredentialsError",
            "PartialCredentialsError",
            "CredentialRetrievalError",
            "TokenRetrievalError",
            "SSOTokenLoadError",
            "UnauthorizedSSOTokenError",
            "ProfileNotFound",
        ):
            raise DeployError(f"{error}. {CREDENTIALS_HELP}") from None
        if name in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError"):
            raise DeployError(
                f"Cannot reach AWS: {error}. Check the network, the region, and "
                "AWS_ENDPOINT_URL if you point at a local moto server."
            ) from None
        code = error_code(error)
        if code in (
            "ExpiredToken",
            "ExpiredTokenException",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "SignatureDoesNotMatch",
        ):
            raise DeployError(
                f"AWS rejected the credentials ({code}). {CREDENTIALS_HELP}"
            ) from None
        if code in ("AccessDenied", "AccessDeniedException"):
            raise DeployError(
                f"Access denied: {error_message(error)}. The role in use lacks a permission; "
                "the deploy role's policy is in terraform/modules/iam."
            ) from None
        if name == "ClientError":  # any other AWS refusal: one line, the call and AWS's reason
            raise DeployError(str(error)) from None
        raise
