"""s3://<bucket>/<key> as files under <home>/s3/<bucket>/<key>, so data moves exactly as on AWS.

Objects are written atomically (fsutil), so a reader never lists half an object. Prefix semantics
follow S3: s3://b/raw/ lists every key that starts with "raw/"; downloading a prefix to a folder
keeps each key's path after the prefix (s3://b/out/train holding out/train/train.csv gives
<folder>/train.csv; a prefix that is one whole object gives <folder>/<its name>), as SageMaker
does for S3Prefix inputs and channels.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from local_runner import fsutil, paths


class ObjectStoreError(ValueError):
    """A malformed s3:// URI, or an object that is not there."""


def parse(uri: str) -> tuple[str, str]:
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise ObjectStoreError(f"'{uri}' is not an s3:// URI (expected s3://<bucket>/<key>).")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket or ".." in key.split("/") or bucket == "..":
        raise ObjectStoreError(f"'{uri}': bad bucket or key ('..' is not allowed).")
    return bucket, key


def path_for(uri: str) -> Path:
    bucket, key = parse(uri)
    return paths.s3_root() / bucket / key


def uri_for(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def list_objects(uri: str) -> list[tuple[str, Path]]:
    """(key, file) of every object whose key starts with the URI's key, sorted by key."""
    bucket, key = parse(uri)
    bucket_root = paths.s3_root() / bucket
    directory_key, _, name_prefix = key.rpartition("/")
    directory = bucket_root / directory_key if directory_key else bucket_root
    if not directory.is_dir():
        return []
    found = []
    for entry in sorted(directory.iterdir()):
        if not entry.name.startswith(name_prefix) or fsutil.is_partial(entry):
            continue
        candidates = sorted(entry.rglob("*")) if entry.is_dir() else [entry]
        for file in candidates:
            if file.is_file() and not fsutil.is_partial(file):
                found.append((file.relative_to(bucket_root).as_posix(), file))
    return sorted(found)


def exists(uri: str) -> bool:
    return path_for(uri).is_file()


def read_bytes(uri: str) -> bytes:
    path = path_for(uri)
    if not path.is_file():
        raise ObjectStoreError(f"{uri}: no such object (looked in {path}).")
    return path.read_bytes()


def put_bytes(uri: str, data: bytes) -> None:
    fsutil.write_bytes(path_for(uri), data)


def put_file(source: Path, uri: str) -> None:
    fsutil.copy_file(source, path_for(uri))


def delete(uri: str) -> None:
    path_for(uri).unlink(missing_ok=True)


def download_prefix(uri: str, destination: Path) -> int:
    """Copy every object under the prefix into destination; returns the number of objects."""
    return download_objects(uri, list_objects(uri), destination)


def download_objects(uri: str, objects: list[tuple[str, Path]], destination: Path) -> int:
    """Copy the given (key, file) objects of the prefix (a shard of list_objects(uri)) into
    destination, each at its key's path after the prefix; returns the number copied."""
    _, key = parse(uri)
    destination.mkdir(parents=True, exist_ok=True)
    copied = 0
    for object_key, file in objects:
        relative = object_key[len(key) :].lstrip("/") or object_key.rpartition("/")[2]
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fsutil.copy_file(file, target)
        except FileNotFoundError:
            continue  # deleted since the listing (a concurrent champion switch): not there
        copied += 1
    return copied


def upload_dir(source: Path, uri: str) -> int:
    """Copy every file under source to <uri>/<relative path>; returns the number of files."""
    prefix = uri.rstrip("/")
    count = 0
    for file in sorted(source.rglob("*")):
        if file.is_file() and not fsutil.is_partial(file):
            put_file(file, f"{prefix}/{file.relative_to(source).as_posix()}")
            count += 1
    return count


def content_hash(uri: str) -> str:
    """SHA-256 over the keys (relative to the prefix) and bytes of every object under the URI."""
    _, key = parse(uri)
    hasher = hashlib.sha256()
    for object_key, file in list_objects(uri):
        hasher.update(object_key[len(key) :].encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
        hasher.update(b"\0")
    return hasher.hexdigest()
