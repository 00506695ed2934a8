"""code_bundle.upload: only what is not there yet (HeadObject first), so a second deploy of the
same code writes no new object version. moto's S3 stands behind these assertions (HeadObject,
PutObject and versioning need no policy evaluation)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

import code_bundle
from env_config import load


@pytest.fixture
def s3(monkeypatch):
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    config = load("dev")
    with mock_aws():
        client = boto3.client("s3", region_name=config.region)
        client.create_bucket(Bucket=config.bucket)
        client.put_bucket_versioning(
            Bucket=config.bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        yield client


def versions(s3, bucket: str, prefix: str) -> int:
    return len(s3.list_object_versions(Bucket=bucket, Prefix=prefix).get("Versions", []))


def test_the_first_upload_writes_every_file_a_second_writes_none(s3):
    config = load("dev")
    count = len(code_bundle.files())
    uri, uploaded, present = code_bundle.upload(config, s3=s3)
    assert uri == code_bundle.code_uri(config)
    assert (uploaded, present) == (count, 0)
    prefix = uri.split("/", 3)[3]
    keys = sorted(
        o["Key"] for o in s3.list_objects_v2(Bucket=config.bucket, Prefix=prefix)["Contents"]
    )
    assert keys == sorted(prefix + f.as_posix() for f in code_bundle.files())
    assert code_bundle.upload(config, s3=s3)[1:] == (0, count)
    assert versions(s3, config.bucket, prefix) == count  # no new version on the second deploy


def test_an_interrupted_upload_is_completed(s3):
    config = load("dev")
    uri, _, _ = code_bundle.upload(config, s3=s3)
    prefix = uri.split("/", 3)[3]
    first = prefix + code_bundle.files()[0].as_posix()
    s3.delete_object(Bucket=config.bucket, Key=first)
    assert code_bundle.upload(config, s3=s3)[1] == 1
    assert s3.head_object(Bucket=config.bucket, Key=first)["ContentLength"] > 0
