"""The local S3 endpoint serves the object store to a job's boto3: every answer is parsed by
botocore with S3's service model (what stands behind these assertions), including the request
shapes boto3 really sends (aws-chunked bodies with checksums, multipart uploads, ranged gets)."""

from __future__ import annotations

import os

import boto3
import botocore.exceptions
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from local_runner.s3_endpoint import S3Endpoint


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "s3"
    (root / "b" / "raw").mkdir(parents=True)
    (root / "b" / "raw" / "a.csv").write_bytes(b"1,2\n")
    (root / "b" / "raw" / "deep" / "x.csv").parent.mkdir()
    (root / "b" / "raw" / "deep" / "x.csv").write_bytes(b"3,4\n")
    with S3Endpoint(root, "us-east-1") as endpoint:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint.url,
            region_name="us-east-1",
            aws_access_key_id="fake",
            aws_secret_access_key="fake",
            config=Config(retries={"max_attempts": 1}),
        )
        yield root, client


def test_list_get_put_delete_and_copy(store):
    root, s3 = store
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="b")["Contents"]] == [
        "raw/a.csv",
        "raw/deep/x.csv",
    ]
    folders = s3.list_objects_v2(Bucket="b", Prefix="raw/", Delimiter="/")
    assert [o["Key"] for o in folders["Contents"]] == ["raw/a.csv"]
    assert folders["CommonPrefixes"] == [{"Prefix": "raw/deep/"}]
    assert s3.list_objects(Bucket="b", Prefix="raw/d")["Contents"][0]["Key"] == "raw/deep/x.csv"
    s3.put_object(Bucket="b", Key="out/new.txt", Body=b"hello")  # aws-chunked with a checksum
    assert (root / "b" / "out" / "new.txt").read_bytes() == b"hello"
    assert s3.get_object(Bucket="b", Key="out/new.txt", Range="bytes=1-3")["Body"].read() == b"ell"
    assert s3.head_object(Bucket="b", Key="out/new.txt")["ContentLength"] == 5
    s3.copy_object(Bucket="b", Key="copy.txt", CopySource={"Bucket": "b", "Key": "out/new.txt"})
    s3.delete_objects(Bucket="b", Delete={"Objects": [{"Key": "out/new.txt"}]})
    s3.delete_object(Bucket="b", Key="copy.txt")
    assert not (root / "b" / "out" / "new.txt").exists()
    assert not (root / "b" / "copy.txt").exists()
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["b"]


def test_pagination_follows_continuation_tokens(store):
    root, s3 = store
    for index in range(5):
        (root / "b" / "many").mkdir(exist_ok=True)
        (root / "b" / "many" / f"{index}.txt").write_bytes(b"x")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket="b", Prefix="many/", PaginationConfig={"PageSize": 2}
    )
    keys = [o["Key"] for page in pages for o in page["Contents"]]
    assert keys == [f"many/{i}.txt" for i in range(5)]


def test_multipart_upload_and_ranged_download_of_a_large_object(store, tmp_path):
    root, s3 = store
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(11 * 1024 * 1024))
    config = TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
    )
    s3.upload_file(str(source), "b", "big/big.bin", Config=config)  # 3 parts
    assert (root / "b" / "big" / "big.bin").read_bytes() == source.read_bytes()
    copy = tmp_path / "copy.bin"
    s3.download_file("b", "big/big.bin", str(copy), Config=config)  # ranged gets
    assert copy.read_bytes() == source.read_bytes()
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="b", Prefix="big/")["Contents"]] == [
        "big/big.bin"
    ]  # no part left visible


def test_errors_are_s3_errors(store):
    _, s3 = store
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="b", Key="missing.txt")
    with pytest.raises(botocore.exceptions.ClientError) as error:
        s3.head_object(Bucket="b", Key="missing.txt")
    assert error.value.response["Error"]["Code"] == "404"
    with pytest.raises(botocore.exceptions.ClientError) as error:
        s3.put_bucket_policy(Bucket="b", Policy="{}")
    assert error.value.response["Error"]["Code"] == "NotImplemented"
    assert "does not implement" in error.value.response["Error"]["Message"]


def test_a_key_cannot_escape_the_store(store):
    root, s3 = store
    with pytest.raises(botocore.exceptions.ClientError) as error:
        s3.put_object(Bucket="b", Key="../outside.txt", Body=b"x")
    assert error.value.response["Error"]["Code"] in ("InvalidArgument", "InvalidBucketName")
    assert not (root / "outside.txt").exists()
    assert not (root.parent / "outside.txt").exists()
