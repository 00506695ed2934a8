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

from deploy.errors import (
    AwsAccessError,
    AwsUnreachableError,
    DeployError,
    RefusedError,
    RetryLaterError,
)

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


CREDENTIAL_ERRORS = (
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "TokenRetrievalError",
    "SSOTokenLoadError",
    "UnauthorizedSSOTokenError",
    "ProfileNotFound",
    "NoRegionError",
)
CONNECTION_ERRORS = (
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ConnectionClosedError",
    "ProxyConnectionError",
    "SSLError",
    "HTTPClientError",
    "InvalidEndpointConfigurationError",
)
CREDENTIAL_CODES = (
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
)
ACCESS_CODES = ("AccessDenied", "AccessDeniedException", "AuthorizationError")
THROTTLING_CODES = (
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalError",
)


def is_a(error: BaseException, class_name: str) -> bool:
    """True if `error` is (a subclass of) the botocore class named `class_name`. botocore is
    imported lazily, so classes are matched by name along the MRO: botocore's modelled
    exceptions (ResourceNotFoundException, NoSuchBucket...) are generated subclasses of
    ClientError, and an exact-name match missed them."""
    return any(klass.__name__ == class_name for klass in type(error).__mro__)


def translate(error: BaseException) -> DeployError | None:
    """The one-line DeployError for a botocore or I/O failure; None if it is neither (a bug)."""
    if isinstance(error, DeployError):
        return error
    if any(is_a(error, name) for name in CREDENTIAL_ERRORS):
        return AwsAccessError(f"{error}. {CREDENTIALS_HELP}")
    if any(is_a(error, name) for name in CONNECTION_ERRORS):
        return AwsUnreachableError(
            f"Cannot reach AWS: {error}. Check the network, the region, and "
            "AWS_ENDPOINT_URL if you point at a local moto server; then retry."
        )
    if is_a(error, "ParamValidationError"):
        text = " ".join(str(error).split())
        return RefusedError(
            f"AWS would not accept the request: {text}. Check the value you passed (an ARN, "
            "an S3 URI, a name) against that message."
        )
    if is_a(error, "ClientError"):
        return translate_client_error(error)
    if is_a(error, "BotoCoreError"):
        return DeployError(f"AWS SDK error: {' '.join(str(error).split())}.")
    if isinstance(error, UnicodeDecodeError):
        return DeployError(f"A file or object is not UTF-8 text ({error.reason}); pass a CSV file.")
    if isinstance(error, OSError) and getattr(error, "filename", None):
        return DeployError(
            f"Cannot read {error.filename}: {error.strerror or error}. Check the path "
            "(relative paths start in the current directory)."
        )
    return None


def translate_client_error(error: BaseException) -> DeployError:
    code = error_code(error)
    operation = getattr(error, "operation_name", "") or "the AWS call"
    message = " ".join(error_message(error).split())
    if code in CREDENTIAL_CODES:
        return AwsAccessError(f"AWS rejected the credentials ({code}). {CREDENTIALS_HELP}")
    if code in ACCESS_CODES:
        return AwsAccessError(
            f"Access denied to {operation}: {message}. The role in use lacks a permission; "
            "the deploy role's policy is terraform/modules/rollout_policy."
        )
    if code in THROTTLING_CODES:
        return RetryLaterError(f"AWS is busy ({code} on {operation}): {message}. Retry shortly.")
    if code == "NoSuchBucket":
        bucket = (getattr(error, "response", {}) or {}).get("Error", {}).get("BucketName", "")
        return DeployError(
            f"S3 bucket {bucket or '(named in the request)'} does not exist ({operation}). "
            "Check the S3 URI you passed, or create the environment's bucket with `make apply`."
        )
    if code in ("ResourceNotFoundException", "ResourceNotFound", "NoSuchKey", "NotFound", "404"):
        return DeployError(f"Not found ({operation}): {message or code}.")
    return DeployError(f"AWS refused {operation} ({code or 'no code'}): {message}.")


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """The one error boundary: every botocore and I/O failure becomes a one-line DeployError
    (with a documented exit code); anything else is a bug and propagates."""
    try:
        yield
    except DeployError:
        raise
    except Exception as error:
        translated = translate(error)
        if translated is None:
            raise
        raise translated from None
