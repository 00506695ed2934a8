"""Fixtures for deploy/: an AWS world in moto (mock_aws) with a model package group, packages,
test data, a champion marker and the rollback alarms; plus the two small moto extensions the flows
need, because moto 5 lacks UpdateEndpoint and ListPipelineExecutionSteps
(`install_moto_extensions`, two methods added to moto's SageMaker responder for the test):

- UpdateEndpoint switches moto's endpoint to the new config (what SageMaker does once a blue/green
  update completes) and records each request in `world.update_requests`;
- ListPipelineExecutionSteps answers from `world.steps`, which the test fills.

Requests still pass botocore's validation against the service model first, so a malformed request
fails as it would against AWS.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from deploy.aws import Clients
from deploy.settings import Settings

ACCOUNT = "123456789012"  # moto's account
REGION = "us-east-1"
GROUP = "sagemaker-gitops-staging"
SCHEMA = Path(__file__).resolve().parents[2] / "training_code" / "schema.json"
FEATURES = json.loads(SCHEMA.read_text(encoding="utf-8"))["features"]


def create_rollback_alarms(cloudwatch, settings) -> None:
    """The CloudWatch alarms Terraform creates and a blue/green update watches for auto-rollback."""
    for alarm in settings.alarm_names:
        cloudwatch.put_metric_alarm(
            AlarmName=alarm,
            MetricName="Invocation5XXErrors",
            Namespace="AWS/SageMaker",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )


@pytest.fixture(scope="session")
def shared_boto3_session():
    """One session for the whole run: parsing SageMaker's API model once saves seconds per test.
    Its credentials are the fake ones below (every test sets the same)."""
    import boto3
    import moto  # noqa: F401  (imported first, so the session carries moto's hook)

    return boto3.session.Session()


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch, shared_boto3_session):
    """Fake credentials; nothing can reach real AWS or a leftover endpoint override."""
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SAGEMAKER",
        "AWS_ENDPOINT_URL_S3",
        "AWS_SESSION_TOKEN",
        "GITHUB_OUTPUT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setattr("deploy.aws.default_session", lambda: shared_boto3_session)


def at_moto_account(settings: Settings) -> Settings:
    """The environment's settings with moto's account (its ARNs carry 123456789012; the YAML
    holds a placeholder account that strict ARN checks would rightly refuse)."""
    return replace(
        settings,
        account_id=ACCOUNT,
        promote_from_account=ACCOUNT if settings.promote_from_group else "",
    )


@pytest.fixture(autouse=True)
def cli_settings_at_moto(monkeypatch):
    """`python -m deploy` in-process (main()) loads environments/*.yaml: give it moto's account."""
    import deploy.settings

    original = deploy.settings.load
    monkeypatch.setattr(deploy.settings, "load", lambda env: at_moto_account(original(env)))


@pytest.fixture
def settings() -> Settings:
    """staging's values (data capture on, canary 10 %), pointed at moto's account."""
    from env_config import load

    base = Settings.from_env_config(load("staging"))
    return replace(
        base,
        execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/sagemaker-gitops-staging-execution",
        account_id=ACCOUNT,
        region=REGION,
    )


def environ_for_lambda(settings: Settings) -> dict[str, str]:
    """What Terraform sets on the Lambda, for the same environment as `settings`."""
    return {
        "AWS_REGION": settings.region,
        "DEPLOY_ENVIRONMENT": settings.environment,
        "MODEL_PACKAGE_GROUP": settings.model_package_group,
        "ENDPOINT_NAME": settings.endpoint_name,
        "EXECUTION_ROLE_ARN": settings.execution_role_arn,
        "KMS_KEY_ARN": settings.kms_key,
        "ARTIFACT_BUCKET": settings.bucket,
        "ARTIFACT_PREFIX": settings.prefix,
        "ENDPOINT_INSTANCE_TYPE": settings.instance_type,
        "ENDPOINT_INSTANCE_COUNT": str(settings.instance_count),
        "ENDPOINT_DATA_CAPTURE_PERCENT": str(settings.data_capture_percent),
        "ENDPOINT_CANARY_PERCENT": str(settings.canary_percent),
        "ENDPOINT_CANARY_WAIT_SECONDS": str(settings.canary_wait_seconds),
        "ENDPOINT_TERMINATION_WAIT_SECONDS": str(settings.termination_wait_seconds),
        "ENABLE_NETWORK_ISOLATION": "true",
        "PIPELINE_NAME": settings.pipeline_name,
    }


@pytest.fixture
def lambda_environ(settings: Settings) -> dict[str, str]:
    return environ_for_lambda(settings)


def make_test_csv(rows: int = 25) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*FEATURES, "malignant"])
    for number in range(rows):
        writer.writerow([round(0.1 * number + i, 3) for i in range(len(FEATURES))] + [number % 2])
    return buffer.getvalue()


def predictions(count: int, label: object = 1, probability: object = 0.9) -> str:
    return json.dumps({"predictions": [{"label": label, "probability": probability}] * count})


def create_bucket(s3, name: str) -> None:
    """Outside S3's default region a bucket needs its region named (after `make init`, REGION is
    the fork's region)."""
    try:
        s3.create_bucket(Bucket=name)
    except s3.exceptions.ClientError as error:
        if "LocationConstraint" not in str(error):
            raise
        s3.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name}
        )


class World:
    """moto state plus helpers to add packages and queue endpoint answers."""

    create_bucket = staticmethod(create_bucket)

    predictions = staticmethod(predictions)
    make_test_csv = staticmethod(make_test_csv)

    def __init__(self, clients: Clients, settings: Settings) -> None:
        self.clients = clients
        self.settings = settings
        self.update_requests: list[dict] = []
        self.auto_rollback = False  # True: UpdateEndpoint behaves as if an alarm fired
        self.fail_update = ""  # non-empty: UpdateEndpoint is refused with this message
        self.steps: dict[str, list[dict]] = {}

    def add_package(
        self,
        status: str = "Approved",
        group: str = GROUP,
        *,
        metadata: dict | None = None,
        tag: str = "v",
    ) -> str:
        s3 = self.clients.s3
        number = len(
            s3.list_objects_v2(Bucket=self.settings.bucket, Prefix="staging/models/").get(
                "Contents", []
            )
        )
        key = f"staging/models/job-{tag}{number}/output/model.tar.gz"
        s3.put_object(Bucket=self.settings.bucket, Key=key, Body=f"model {tag}{number}".encode())
        meta = {
            "GitSha": f"{number:040d}",
            "TestDataUri": f"s3://{self.settings.bucket}/staging/processed/exec-1/test/",
            "Hyperparameters": json.dumps({"max_iter": 200}),
        }
        meta.update(metadata or {})
        meta = {key: value for key, value in meta.items() if value is not None}
        return self.clients.sagemaker.create_model_package(
            ModelPackageGroupName=group,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [
                    {
                        "Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/"
                        "sagemaker-gitops-inference@sha256:" + "a" * 64,
                        "ModelDataUrl": f"s3://{self.settings.bucket}/{key}",
                    }
                ],
                "SupportedContentTypes": ["text/csv", "application/json"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
            CustomerMetadataProperties=meta,
            ModelMetrics={
                "ModelQuality": {
                    "Statistics": {
                        "ContentType": "application/json",
                        "S3Uri": f"s3://{self.settings.bucket}/staging/models/evaluation/exec-1/evaluation.json",
                    }
                }
            },
        )["ModelPackageArn"]

    def answer(self, *bodies: str) -> None:
        """Queue what the endpoint returns for the next distinct invocations (moto's runtime)."""
        from moto.sagemakerruntime.models import sagemakerruntime_backends

        backend = sagemakerruntime_backends[ACCOUNT][REGION]
        backend.results.clear()  # moto replays the first answer to a body; a new model answers anew
        queue = backend.results_queue
        for body in bodies:
            queue.append((body, "application/json", "AllTraffic", ""))

    def good_answers(self) -> None:
        self.answer(predictions(self.settings.smoke_rows), predictions(1))

    def endpoint(self) -> dict:
        return self.clients.sagemaker.describe_endpoint(EndpointName=self.settings.endpoint_name)

    def object_exists(self, key: str) -> bool:
        listing = self.clients.s3.list_objects_v2(Bucket=self.settings.bucket, Prefix=key)
        return any(o["Key"] == key for o in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.clients.s3.get_object(Bucket=self.settings.bucket, Key=key)["Body"].read()


def install_moto_extensions(world: World, monkeypatch) -> None:
    """Teach moto's SageMaker the two missing actions, for every client in the mock."""
    from moto.core.responses import ActionResult
    from moto.sagemaker.responses import SageMakerResponse

    def update_endpoint(response: SageMakerResponse) -> ActionResult:
        request = json.loads(response.body)  # as sent, after botocore validated it
        world.update_requests.append(request)
        if world.fail_update:
            from moto.sagemaker.exceptions import ValidationError

            raise ValidationError(message=world.fail_update)
        backend = response.sagemaker_backend
        backend.describe_endpoint_config(request["EndpointConfigName"])  # must exist
        endpoint = backend.endpoints[request["EndpointName"]]
        if not world.auto_rollback:
            endpoint.endpoint_config_name = request["EndpointConfigName"]
        return ActionResult({"EndpointArn": endpoint.arn})

    def list_pipeline_execution_steps(response: SageMakerResponse) -> ActionResult:
        request = json.loads(response.body)
        return ActionResult(
            {"PipelineExecutionSteps": world.steps.get(request["PipelineExecutionArn"], [])}
        )

    monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)
    monkeypatch.setattr(
        SageMakerResponse,
        "list_pipeline_execution_steps",
        list_pipeline_execution_steps,
        raising=False,
    )


@pytest.fixture
def world(settings, monkeypatch):
    from moto import mock_aws

    with mock_aws():
        clients = Clients(REGION)
        s3 = clients.s3
        create_bucket(s3, settings.bucket)
        s3.put_object(Bucket=settings.bucket, Key="staging/champion/current/NO_CHAMPION", Body=b"")
        s3.put_object(
            Bucket=settings.bucket,
            Key="staging/processed/exec-1/test/test.csv",
            Body=make_test_csv().encode(),
        )
        clients.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        clients.sagemaker.create_model_package_group(ModelPackageGroupName="sagemaker-gitops-prod")
        create_rollback_alarms(clients.cloudwatch, settings)
        world = World(clients, settings)
        install_moto_extensions(world, monkeypatch)
        yield world


@pytest.fixture
def deployer_for(world):
    """A Deployer on the moto world that never sleeps, measures 1 ms per invocation, and whose
    wall clock moves one minute per reading (unique resource names, no real time involved)."""
    from datetime import UTC, datetime, timedelta

    from deploy.rollout import Deployer

    minutes = iter(range(100_000))
    start = datetime(2026, 11, 23, 13, 0, 0, tzinfo=UTC)

    def now():
        return start + timedelta(minutes=next(minutes))

    def make(**overrides):
        settings = overrides.pop("settings", world.settings)
        ticks = iter(i * 0.001 for i in range(10_000))
        options = {
            "out": lambda _line: None,
            "sleep": lambda _s: None,
            "poll_seconds": 0,
            "smoke_clock": lambda: next(ticks),
            "lock_owner": "test-owner",
            "now": now,
        }
        options.update(overrides)
        return Deployer(world.clients, settings, **options)

    return make
