"""How a recorded request becomes the IAM checks AWS makes for it (proof/requests.py,
proof/translate.py): botocore's service model names the operation of a raw HTTP request, and the
S3 User Guide's rules say which KMS calls S3 makes with the caller's permissions."""

from __future__ import annotations

import base64

import pytest

from proof.moto_server import ProofError
from proof.rendered import Account, Bucket
from proof.requests import Request, from_moto_recording
from proof.translate import Translator

KEY = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"
AUTH = "AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"


@pytest.fixture
def account() -> Account:
    account = Account("000000000000", "us-east-1")
    account.buckets["artifacts"] = Bucket(
        "artifacts", {"Statement": []}, "aws:kms", KEY, bucket_key=True
    )
    account.buckets["state"] = Bucket("state", None, "aws:kms", KEY, bucket_key=False)
    account.keys[KEY] = {"policy": {}, "tags": {"Environment": "dev"}, "id": KEY.rsplit("/", 1)[1]}
    account.aliases["alias/env"] = KEY
    return account


def test_a_header_less_put_is_a_put_plus_a_data_key_made_through_s3(account):
    request = Request("p", "s3", "PutObject", {"Bucket": "artifacts", "Key": "dev/code/a.py"})
    put, data_key = Translator(account).checks(request)
    assert (put.action, put.resource) == ("s3:PutObject", "arn:aws:s3:::artifacts/dev/code/a.py")
    assert "s3:x-amz-server-side-encryption" not in put.context  # absent, as on the wire
    assert put.context["aws:SecureTransport"] == "true"
    assert (data_key.action, data_key.resource) == ("kms:GenerateDataKey", KEY)
    assert data_key.context["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    # bucket key on: the encryption context is the bucket's ARN
    assert data_key.context["kms:EncryptionContext:aws:s3:arn"] == "arn:aws:s3:::artifacts"
    assert data_key.context["aws:ResourceTag/Environment"] == "dev"
    assert data_key.context["kms:ResourceAliases"] == ["alias/env"]


def test_without_a_bucket_key_the_context_is_the_object(account):
    request = Request("p", "s3", "GetObject", {"Bucket": "state", "Key": "dev/terraform.tfstate"})
    _, decrypt = Translator(account).checks(request)
    assert decrypt.action == "kms:Decrypt"
    assert (
        decrypt.context["kms:EncryptionContext:aws:s3:arn"]
        == "arn:aws:s3:::state/dev/terraform.tfstate"
    )


def test_an_aes256_put_makes_no_kms_call_and_carries_its_header(account):
    request = Request(
        "p",
        "s3",
        "PutObject",
        {"Bucket": "artifacts", "Key": "k", "ServerSideEncryption": "AES256"},
    )
    (put,) = Translator(account).checks(request)
    assert put.context["s3:x-amz-server-side-encryption"] == "AES256"


def test_a_role_named_in_a_request_is_passed_to_that_service(account):
    request = Request("p", "sagemaker", "CreatePipeline",
                      {"PipelineName": "My-Pipe", "RoleArn": "arn:aws:iam::000000000000:role/exec"})  # fmt: skip
    create, passing = Translator(account).checks(request)
    assert create.resource == "arn:aws:sagemaker:us-east-1:000000000000:pipeline/my-pipe"
    assert (passing.action, passing.resource) == (
        "iam:PassRole",
        "arn:aws:iam::000000000000:role/exec",
    )
    assert passing.context["iam:PassedToService"] == "sagemaker.amazonaws.com"


def test_tags_sent_on_creation_are_request_tags(account):
    request = Request(
        "p", "kms", "CreateKey", {"Tags": [{"TagKey": "Environment", "TagValue": "dev"}]}
    )
    (create,) = Translator(account).checks(request)
    assert create.context["aws:RequestTag/Environment"] == "dev"
    assert create.context["aws:TagKeys"] == ["Environment"]


def test_raw_http_requests_are_named_by_botocore_s_model():
    put = from_moto_recording(
        {
            "method": "PUT",
            "url": "http://127.0.0.1:5000/state/dev/terraform.tfstate?x-id=PutObject",
            "headers": {
                "Authorization": AUTH.format(service="s3"),
                "x-amz-server-side-encryption": "aws:kms",
                "x-amz-server-side-encryption-aws-kms-key-id": "alias/tfstate",
            },
            "body": base64.b64encode(b"{}").decode(),
            "body_encoded": True,
        },
        "p",
        "test",
    )
    assert (put.service, put.operation) == ("s3", "PutObject")
    assert put.params["Bucket"] == "state" and put.params["Key"] == "dev/terraform.tfstate"
    assert (
        put.params["ServerSideEncryption"] == "aws:kms"
        and put.params["SSEKMSKeyId"] == "alias/tfstate"
    )

    role = from_moto_recording(
        {
            "method": "POST",
            "url": "http://127.0.0.1:5000/",
            "headers": {"Authorization": AUTH.format(service="iam"), "Content-Type": "application/x-www-form-urlencoded"},
            "body": "Action=CreateRole&Version=2010-05-08&RoleName=r&PermissionsBoundary=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fb",
        },
        "p",
        "test",
    )  # fmt: skip
    assert (role.service, role.operation, role.params["RoleName"]) == ("iam", "CreateRole", "r")
    assert role.params["PermissionsBoundary"] == "arn:aws:iam::000000000000:policy/b"

    lock = from_moto_recording(
        {"method": "GET", "url": "http://127.0.0.1:5000/state?lifecycle=", "headers": {"Authorization": AUTH.format(service="s3")}},
        "p",
        "test",
    )  # fmt: skip
    assert lock.operation in ("GetBucketLifecycleConfiguration", "GetBucketLifecycle")


def test_an_unknown_service_is_named():
    with pytest.raises(ProofError, match="service 'braket'"):
        from_moto_recording(
            {"method": "POST", "url": "http://127.0.0.1/", "headers": {"Authorization": AUTH.format(service="braket")}},
            "p",
            "terraform apply dev",
        )  # fmt: skip


def test_a_schedule_with_a_customer_key_uses_the_caller_s_key_rights_through_scheduler(account):
    """EventBridge Scheduler User Guide, "Encryption at rest": the creator needs DescribeKey,
    GenerateDataKey and Decrypt via scheduler.<region>, encryption context = the schedule."""
    request = Request("deployer", "scheduler", "CreateSchedule", {
        "Name": "nightly", "KmsKeyArn": "alias/env",
        "Target": {"Arn": "arn:aws:sagemaker:us-east-1:000000000000:pipeline/p",
                   "RoleArn": "arn:aws:iam::000000000000:role/r"},
    })  # fmt: skip
    checks = {c.action: c for c in Translator(account).checks(request)}
    schedule = "arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly"
    assert checks["scheduler:CreateSchedule"].resource == schedule
    assert checks["iam:PassRole"].context["iam:PassedToService"] == "scheduler.amazonaws.com"
    for verb in ("DescribeKey", "GenerateDataKey", "Decrypt"):
        check = checks[f"kms:{verb}"]
        assert check.resource == KEY
        assert check.context["kms:ViaService"] == "scheduler.us-east-1.amazonaws.com"
        assert check.context["kms:EncryptionContext:aws:scheduler:schedule:arn"] == schedule


def test_a_decrypt_carries_its_encryption_context(account):
    request = Request("role", "kms", "Decrypt", {
        "KeyId": KEY, "EncryptionContext": {"aws:scheduler:schedule:arn": "arn:s"},
    })  # fmt: skip
    [check] = Translator(account).checks(request)
    assert check.action == "kms:Decrypt" and check.resource == KEY
    assert check.context["kms:EncryptionContext:aws:scheduler:schedule:arn"] == "arn:s"
    assert check.context["kms:EncryptionContextKeys"] == ["aws:scheduler:schedule:arn"]
    assert "kms:ViaService" not in check.context  # the role calls KMS itself


def test_monitoring_resources_are_named_by_their_own_arn_types(account):
    translator = Translator(account)
    role = "arn:aws:iam::000000000000:role/monitor"
    create = Request("deployer", "sagemaker", "CreateDataQualityJobDefinition",
                     {"JobDefinitionName": "Env-Data-Quality", "RoleArn": role})  # fmt: skip
    checks = {c.action: c for c in translator.checks(create)}
    assert checks["sagemaker:CreateDataQualityJobDefinition"].resource == (
        "arn:aws:sagemaker:us-east-1:000000000000:data-quality-job-definition/env-data-quality"
    )
    assert checks["iam:PassRole"].resource == role
    assert checks["iam:PassRole"].context["iam:PassedToService"] == "sagemaker.amazonaws.com"
    schedule = Request("deployer", "sagemaker", "CreateMonitoringSchedule",
                       {"MonitoringScheduleName": "env-data-quality"})  # fmt: skip
    [check] = translator.checks(schedule)
    assert check.resource.endswith(":monitoring-schedule/env-data-quality")
