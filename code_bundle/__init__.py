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

from env_config import REPO_ROOT, EnvConfig, load

CODE_DIR = REPO_ROOT / "training_code"
# Image build files are not step code: changing a Dockerfile must not invalidate cached steps.
EXCLUDED_NAMES = {"Dockerfile", "Dockerfile.inference", ".dockerignore", "__pycache__"}
EXCLUDED_SUFFIXES = {".pyc", ".txt", ".md"}


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


def upload(config: EnvConfig, code_dir: Path = CODE_DIR) -> str:
    """Upload the bundle to S3 (boto3; honours AWS_ENDPOINT_URL) unless it is already there."""
    import boto3  # deferred: the definition and the local runner never need it

    uri = code_uri(config, code_dir)
    bucket, key_prefix = uri[len("s3://") :].split("/", 1)
    s3 = boto3.client("s3", region_name=config.region)
    for relative in files(code_dir):
        s3.upload_file(str(code_dir / relative), bucket, key_prefix + relative.as_posix())
    return uri


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["digest", "uri", "upload"])
    parser.add_argument("--env", default="local")
    args = parser.parse_args(argv)
    if args.command == "digest":
        print(digest())
        return
    config = load(args.env)
    print(code_uri(config) if args.command == "uri" else upload(config))


if __name__ == "__main__":
    main()
