"""The step code a pipeline runs: training_code/, content-addressed in S3.

The definition points every job at s3://<bucket>/<prefix>/code/<digest>/, where <digest> hashes the
files below. The same code always gets the same URI (so an unchanged step stays cached and the
definition is byte-identical), and a changed line gets a new one (so no run ever executes code
that its definition did not name). Whoever starts a run uploads the bundle first: CI and
`make deploy` with upload(), the local runner by copying into its object store.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

from env_config import REPO_ROOT, EnvConfig, load

CODE_DIR = REPO_ROOT / "training_code"
# Image build files are not step code: changing a Dockerfile must not invalidate cached steps.
EXCLUDED_NAMES = {"Dockerfile", "Dockerfile.inference", ".dockerignore", "__pycache__"}
EXCLUDED_SUFFIXES = {".pyc", ".txt", ".lock", ".md"}


def files(code_dir: Path = CODE_DIR) -> list[Path]:
    """The files of the bundle, relative to code_dir, in a stable order."""
    selected = []
    for path in sorted(code_dir.rglob("*")):
        relative = path.relative_to(code_dir)
        if path.is_dir() or EXCLUDED_NAMES.intersection(relative.parts):
            continue
        if path.suffix in EXCLUDED_SUFFIXES:
            continue
        selected.append(relative)
    return selected


def digest(code_dir: Path = CODE_DIR) -> str:
    """First 12 hex digits of a SHA-256 over every bundled file's path and bytes."""
    hasher = hashlib.sha256()
    for relative in files(code_dir):
        hasher.update(relative.as_posix().encode() + b"\0")
        hasher.update((code_dir / relative).read_bytes() + b"\0")
    return hasher.hexdigest()[:12]


def code_uri(config: EnvConfig, code_dir: Path = CODE_DIR) -> str:
    """s3://<bucket>/<prefix>/code/<digest>/ for this environment."""
    return config.s3_uri("code", digest(code_dir)) + "/"


def upload(config: EnvConfig, code_dir: Path = CODE_DIR, s3: Any = None) -> tuple[str, int, int]:
    """Upload the bundle to S3 (boto3; honours AWS_ENDPOINT_URL) unless it is already there.

    Each file is uploaded only when HeadObject does not find its key: the prefix is the digest
    of every file, so a key that exists holds these very bytes, and a second deploy of the same
    code writes no new object version. Returns (uri, files uploaded, files already there).
    """
    from botocore.exceptions import ClientError

    if s3 is None:
        import boto3  # deferred: the definition and the local runner never need it

        s3 = boto3.client("s3", region_name=config.region)
    uri = code_uri(config, code_dir)
    bucket, key_prefix = uri[len("s3://") :].split("/", 1)
    uploaded = present = 0
    for relative in files(code_dir):
        key = key_prefix + relative.as_posix()
        try:
            s3.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
                raise
            s3.upload_file(str(code_dir / relative), bucket, key)
            uploaded += 1
        else:
            present += 1
    return uri, uploaded, present


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["digest", "uri", "upload"])
    parser.add_argument("--env", default="local")
    args = parser.parse_args(argv)
    if args.command == "digest":
        print(digest())
        return
    config = load(args.env)
    if args.command == "uri":
        print(code_uri(config))
        return
    uri, uploaded, present = upload(config)
    print(f"{uri}: {uploaded} files uploaded, {present} already there")


if __name__ == "__main__":
    main()
