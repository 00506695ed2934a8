"""An S3-compatible HTTP endpoint on 127.0.0.1 that serves the runner's object store directly.

A job's own boto3 calls (AWS_ENDPOINT_URL points here) read and write the very files under
<home>/s3/<bucket>/<key> that the runner stages inputs from and uploads outputs to: no copy in,
no copy back, and two jobs running at once see one store. Why not a moto server: moto keeps
objects in its own memory, so it would have to be seeded with the whole store before every job
and diffed back after it (seconds on a store holding a 1M-row dataset, and a race between
parallel steps); this endpoint starts in about a millisecond.

Path-style requests only (botocore uses them for an IP endpoint). Operations: ListBuckets,
CreateBucket, HeadBucket, GetBucketLocation, ListObjects (v1, v2: prefix, delimiter, pagination),
GetObject (with Range), HeadObject, PutObject (plain and aws-chunked bodies, as botocore sends
them with flexible checksums), CopyObject, DeleteObject, DeleteObjects and multipart uploads
(what boto3's upload_file uses past 8 MB). Anything else answers NotImplemented, naming the
operation. Requests are not authenticated: the endpoint listens on loopback only, for the jobs of
one step, and the credentials the jobs hold are fake.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import threading
import urllib.parse
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from defusedxml import ElementTree

from local_runner import fsutil

XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
MULTIPART_DIR = ".multipart-uploads"
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_etag_cache: dict[tuple[str, int, int], str] = {}
_etag_lock = threading.Lock()


class S3Error(Exception):
    """An S3 error response: HTTP status, S3 error code and message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def etag_of(path: Path) -> str:
    """The MD5 of the file, as S3 gives for a single-part object (cached by size and mtime)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _etag_lock:
        if key in _etag_cache:
            return _etag_cache[key]
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    value = f'"{digest.hexdigest()}"'
    with _etag_lock:
        _etag_cache[key] = value
    return value


def _http_date(path: Path) -> str:
    return formatdate(path.stat().st_mtime, usegmt=True)


def _iso_date(path: Path) -> str:
    import datetime

    moment = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _xml(root: str, body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{XMLNS}">{body}</{root}>'.encode()
    )


def _tag(name: str, value: Any) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


class ObjectStoreView:
    """The store's folders seen as buckets and keys (every key checked: no '..', no escape)."""

    def __init__(self, root: Path):
        self.root = root

    def bucket_dir(self, bucket: str) -> Path:
        if not bucket or bucket.startswith(".") or "/" in bucket:
            raise S3Error(400, "InvalidBucketName", f"'{bucket}' is not a valid bucket name.")
        return self.root / bucket

    def object_path(self, bucket: str, key: str) -> Path:
        parts = key.split("/")
        if (
            not key
            or ".." in parts
            or key.startswith("/")
            or any(fsutil.is_partial(Path(part)) for part in parts)
        ):
            raise S3Error(400, "InvalidArgument", f"key '{key}' cannot be stored locally.")
        return self.bucket_dir(bucket) / key

    def uploads_dir(self, bucket: str) -> Path:
        """Parts of unfinished multipart uploads: beside the buckets, never listed as objects."""
        return self.root / MULTIPART_DIR / self.bucket_dir(bucket).name

    def existing(self, bucket: str, key: str) -> Path:
        path = self.object_path(bucket, key)
        if not path.is_file():
            raise S3Error(404, "NoSuchKey", f"The specified key does not exist: {key}")
        return path

    def keys(self, bucket: str, prefix: str) -> list[tuple[str, Path]]:
        """Every (key, file) of the bucket that starts with prefix, sorted as S3 sorts (bytes)."""
        root = self.bucket_dir(bucket)
        directory_key = prefix.rpartition("/")[0]
        start = root / directory_key if directory_key else root
        if not start.is_dir():
            return []
        found = []
        for dirpath, _dirnames, filenames in os.walk(start):
            for name in filenames:
                if fsutil.is_partial(Path(name)):
                    continue
                file = Path(dirpath, name)
                key = file.relative_to(root).as_posix()
                if key.startswith(prefix):
                    found.append((key, file))
        return sorted(found, key=lambda item: item[0].encode())

    def write_stream(self, bucket: str, key: str, chunks: Any) -> str:
        """Write the chunks to the key atomically; returns the ETag (MD5)."""
        target = self.object_path(bucket, key)
        if target.is_dir():
            raise S3Error(
                409, "InvalidRequest", f"key '{key}' is a prefix of other keys in the local store."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = fsutil.partial_path(target)
        digest = hashlib.md5(usedforsecurity=False)
        try:
            with temporary.open("wb") as handle:
                for chunk in chunks:
                    digest.update(chunk)
                    handle.write(chunk)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return f'"{digest.hexdigest()}"'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: S3Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the job's own logs are what a person reads

    # -- plumbing --
    def _split(self) -> tuple[str, str, dict[str, str]]:
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        path = urllib.parse.unquote(parsed.path).lstrip("/")
        bucket, _, key = path.partition("/")
        return bucket, key, query

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body and "Content-Type" not in (headers or {}):
            self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, error: S3Error, resource: str) -> None:
        body = _xml(
            "Error",
            _tag("Code", error.code) + _tag("Message", error.message) + _tag("Resource", resource),
        ).replace(f' xmlns="{XMLNS}"'.encode(), b"")
        self._send(error.status, body)

    def _body_chunks(self) -> Any:
        """The request body as chunks, decoding aws-chunked (botocore's streaming checksums) and
        HTTP chunked transfer encoding."""
        encoding = self.headers.get("Content-Encoding", "")
        sha = self.headers.get("x-amz-content-sha256", "")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            yield from self._chunked(aws=False)
            if "aws-chunked" not in encoding:
                return
        aws_chunked = "aws-chunked" in encoding or sha.startswith("STREAMING-")
        if aws_chunked and self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            yield from self._chunked(aws=True)
            return
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                raise S3Error(400, "IncompleteBody", "the request body ended early.")
            remaining -= len(chunk)
            yield chunk

    def _chunked(self, aws: bool) -> Any:
        while True:
            line = self.rfile.readline(1 << 16).strip()
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while self.rfile.readline(1 << 16).strip():  # trailers (checksums), then CRLF
                    pass
                return
            remaining = size
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 20))
                if not chunk:
                    raise S3Error(400, "IncompleteBody", "the request body ended early.")
                remaining -= len(chunk)
                yield chunk
            self.rfile.readline(8)  # the CRLF after the chunk data

    def _drain(self) -> None:
        for _ in self._body_chunks():
            pass

    def _dispatch(self) -> None:
        bucket, key, query = self._split()
        try:
            handler = self._route(bucket, key, query)
            if handler is None:
                self._drain()
                operation = f"{self.command} /{bucket}{'/' + key if key else ''}"
                raise S3Error(
                    501,
                    "NotImplemented",
                    f"the local runner's S3 endpoint does not implement {operation} "
                    f"({', '.join(sorted(query)) or 'no query'}); only S3 object operations run "
                    "locally (no other AWS service is reachable from a local job).",
                )
            handler(bucket, key, query)
        except S3Error as error:
            self._error(error, f"/{bucket}/{key}")
        except (BrokenPipeError, ConnectionResetError):
            return

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _dispatch

    def _route(self, bucket: str, key: str, query: dict[str, str]) -> Any:
        method = self.command
        if not bucket:
            return self.list_buckets if method == "GET" else None
        if not key:
            routes = {
                ("GET", "location"): self.bucket_location,
                ("POST", "delete"): self.delete_objects,
            }
            for (verb, name), handler in routes.items():
                if method == verb and name in query:
                    return handler
            if method == "GET" and not set(query) - {
                "list-type",
                "prefix",
                "delimiter",
                "max-keys",
                "marker",
                "continuation-token",
                "start-after",
                "encoding-type",
                "fetch-owner",
            }:
                return self.list_objects
            if query:
                return None  # bucket sub-resources (policy, acl, versioning, ...): not local
            return {"HEAD": self.head_bucket, "PUT": self.create_bucket}.get(method)
        if method == "POST" and "uploads" in query:
            return self.create_multipart
        if "uploadId" in query:
            return {
                "PUT": self.upload_part,
                "POST": self.complete_multipart,
                "DELETE": self.abort_multipart,
            }.get(method)
        if method == "PUT" and "x-amz-copy-source" in self.headers:
            return self.copy_object
        if query and set(query) - {"versionId", "partNumber", "x-id"}:
            return None
        return {
            "GET": self.get_object,
            "HEAD": self.get_object,
            "PUT": self.put_object,
            "DELETE": self.delete_object,
        }.get(method)

    # -- buckets --
    def list_buckets(self, *_: Any) -> None:
        root = self.server.store.root
        names = (
            sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
            if root.is_dir()
            else []
        )
        buckets = "".join(
            f"<Bucket>{_tag('Name', name)}{_tag('CreationDate', _iso_date(root / name))}</Bucket>"
            for name in names
        )
        owner = "<Owner><ID>local</ID><DisplayName>local</DisplayName></Owner>"
        self._send(200, _xml("ListAllMyBucketsResult", f"{owner}<Buckets>{buckets}</Buckets>"))

    def head_bucket(self, bucket: str, *_: Any) -> None:
        if not self.server.store.bucket_dir(bucket).is_dir():
            raise S3Error(404, "NoSuchBucket", f"The specified bucket does not exist: {bucket}")
        self._send(200, headers={"x-amz-bucket-region": self.server.region})

    def create_bucket(self, bucket: str, *_: Any) -> None:
        self._drain()
        self.server.store.bucket_dir(bucket).mkdir(parents=True, exist_ok=True)
        self._send(200, headers={"Location": f"/{bucket}"})

    def bucket_location(self, *_: Any) -> None:
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="{XMLNS}">'
        self._send(200, (body + f"{escape(self.server.region)}</LocationConstraint>").encode())

    def list_objects(self, bucket: str, _key: str, query: dict[str, str]) -> None:
        """ListObjects v1 and v2: keys are listed from the files; an absent bucket folder lists
        nothing (buckets are not modelled locally: the runner creates folders as it writes)."""
        v2 = query.get("list-type") == "2"
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        max_keys = int(query.get("max-keys", "1000"))
        after = query.get("continuation-token") or query.get("start-after") or query.get("marker")
        entries: list[tuple[str, Path | None]] = []
        seen_prefixes: set[str] = set()
        for key, file in self.server.store.keys(bucket, prefix):
            if delimiter and delimiter in key[len(prefix) :]:
                common = key[: key.index(delimiter, len(prefix)) + len(delimiter)]
                if common not in seen_prefixes:
                    seen_prefixes.add(common)
                    entries.append((common, None))
                continue
            entries.append((key, file))
        if after:
            entries = [entry for entry in entries if entry[0].encode() > after.encode()]
        page, truncated = entries[:max_keys], len(entries) > max_keys
        contents = "".join(
            "<Contents>"
            + _tag("Key", key)
            + _tag("LastModified", _iso_date(file))
            + _tag("ETag", etag_of(file))
            + _tag("Size", file.stat().st_size)
            + _tag("StorageClass", "STANDARD")
            + "</Contents>"
            for key, file in page
            if file is not None
        )
        common = "".join(
            f"<CommonPrefixes>{_tag('Prefix', key)}</CommonPrefixes>"
            for key, file in page
            if file is None
        )
        body = _tag("Name", bucket) + _tag("Prefix", prefix) + _tag("MaxKeys", max_keys)
        body += _tag("Delimiter", delimiter) if delimiter else ""
        body += _tag("IsTruncated", "true" if truncated else "false")
        last = page[-1][0] if page else ""
        if v2:
            body += _tag("KeyCount", len(page))
            if query.get("continuation-token"):
                body += _tag("ContinuationToken", query["continuation-token"])
            if truncated:
                body += _tag("NextContinuationToken", last)
        else:
            body += _tag("Marker", query.get("marker", ""))
            if truncated:
                body += _tag("NextMarker", last)
        self._send(200, _xml("ListBucketResult", body + contents + common))

    def delete_objects(self, bucket: str, *_: Any) -> None:
        document = ElementTree.fromstring(b"".join(self._body_chunks()))
        deleted = ""
        for element in document.iter():
            if element.tag.rpartition("}")[2] == "Key" and element.text:
                self.server.store.object_path(bucket, element.text).unlink(missing_ok=True)
                deleted += f"<Deleted>{_tag('Key', element.text)}</Deleted>"
        self._send(200, _xml("DeleteResult", deleted))

    # -- objects --
    def get_object(self, bucket: str, key: str, _query: dict[str, str]) -> None:
        path = self.server.store.existing(bucket, key)
        size = path.stat().st_size
        headers = {
            "ETag": etag_of(path),
            "Last-Modified": _http_date(path),
            "Content-Type": "binary/octet-stream",
            "Accept-Ranges": "bytes",
        }
        start, end, status = 0, size - 1, 200
        match = _RANGE.match(self.headers.get("Range", ""))
        if match and self.command == "GET":
            first, last = match.groups()
            if first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            elif last:
                start = max(size - int(last), 0)
            if start >= size:
                raise S3Error(416, "InvalidRange", "The requested range is not satisfiable.")
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        length = end - start + 1 if size else 0
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command == "HEAD":
            return
        with path.open("rb") as handle:
            handle.seek(start)
            remaining = length
            while remaining > 0:
                block = handle.read(min(remaining, 1 << 20))
                if not block:
                    break
                self.wfile.write(block)
                remaining -= len(block)

    def put_object(self, bucket: str, key: str, _query: dict[str, str]) -> None:
        if key.endswith("/"):  # a "folder marker": folders exist implicitly in the local store
            self._drain()
            self.server.store.bucket_dir(bucket).joinpath(key).mkdir(parents=True, exist_ok=True)
            self._send(200, headers={"ETag": '"d41d8cd98f00b204e9800998ecf8427e"'})
            return
        etag = self.server.store.write_stream(bucket, key, self._body_chunks())
        self._send(200, headers={"ETag": etag})

    def copy_object(self, bucket: str, key: str, _query: dict[str, str]) -> None:
        self._drain()
        source = urllib.parse.unquote(self.headers["x-amz-copy-source"]).lstrip("/")
        source_bucket, _, source_key = source.partition("/")
        source_key = source_key.split("?versionId=")[0]
        source_path = self.server.store.existing(source_bucket, source_key)
        target = self.server.store.object_path(bucket, key)
        fsutil.copy_file(source_path, target)
        body = _tag("LastModified", _iso_date(target)) + _tag("ETag", etag_of(target))
        self._send(200, _xml("CopyObjectResult", body))

    def delete_object(self, bucket: str, key: str, _query: dict[str, str]) -> None:
        self._drain()
        self.server.store.object_path(bucket, key).unlink(missing_ok=True)
        self._send(204)

    # -- multipart uploads: parts are files under <store>/.multipart-uploads/<bucket>/<id>/ --
    def _upload_dir(self, bucket: str, upload_id: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", upload_id):
            raise S3Error(404, "NoSuchUpload", f"upload '{upload_id}' does not exist.")
        folder = self.server.store.uploads_dir(bucket) / upload_id
        if not folder.is_dir():
            raise S3Error(404, "NoSuchUpload", f"upload '{upload_id}' does not exist.")
        return folder

    def create_multipart(self, bucket: str, key: str, _query: dict[str, str]) -> None:
        self._drain()
        self.server.store.object_path(bucket, key)  # the key is checked before any part arrives
        upload_id = secrets.token_hex(16)
        (self.server.store.uploads_dir(bucket) / upload_id).mkdir(parents=True)
        body = _tag("Bucket", bucket) + _tag("Key", key) + _tag("UploadId", upload_id)
        self._send(200, _xml("InitiateMultipartUploadResult", body))

    def upload_part(self, bucket: str, _key: str, query: dict[str, str]) -> None:
        folder = self._upload_dir(bucket, query["uploadId"])
        number = int(query.get("partNumber", "0"))
        if not 1 <= number <= 10000:
            raise S3Error(400, "InvalidArgument", "partNumber must be in 1..10000.")
        digest = hashlib.md5(usedforsecurity=False)
        with (folder / f"{number:05d}").open("wb") as handle:
            for chunk in self._body_chunks():
                digest.update(chunk)
                handle.write(chunk)
        self._send(200, headers={"ETag": f'"{digest.hexdigest()}"'})

    def complete_multipart(self, bucket: str, key: str, query: dict[str, str]) -> None:
        folder = self._upload_dir(bucket, query["uploadId"])
        document = ElementTree.fromstring(b"".join(self._body_chunks()))
        numbers = [
            int(element.text or "0")
            for element in document.iter()
            if element.tag.rpartition("}")[2] == "PartNumber"
        ]
        missing = [n for n in numbers if not (folder / f"{n:05d}").is_file()]
        if missing or not numbers:
            raise S3Error(400, "InvalidPart", f"parts {missing or '(none)'} were not uploaded.")

        def parts() -> Any:
            for number in numbers:
                with (folder / f"{number:05d}").open("rb") as handle:
                    yield from iter(lambda: handle.read(1 << 20), b"")

        self.server.store.write_stream(bucket, key, parts())
        shutil.rmtree(folder, ignore_errors=True)
        path = self.server.store.existing(bucket, key)
        body = _tag("Bucket", bucket) + _tag("Key", key) + _tag("ETag", etag_of(path))
        self._send(200, _xml("CompleteMultipartUploadResult", body))

    def abort_multipart(self, bucket: str, _key: str, query: dict[str, str]) -> None:
        self._drain()
        shutil.rmtree(self._upload_dir(bucket, query["uploadId"]), ignore_errors=True)
        self._send(204)


class S3Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, region: str):
        super().__init__(("127.0.0.1", 0), Handler)
        self.store = ObjectStoreView(root)
        self.region = region


class S3Endpoint:
    """Start on a free loopback port, serve in a thread, stop on exit (a context manager)."""

    def __init__(self, root: Path, region: str):
        self.root = root
        self.region = region
        self._server: S3Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the S3 endpoint is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> S3Endpoint:
        self.root.mkdir(parents=True, exist_ok=True)
        self._server = S3Server(self.root, self.region)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-s3-endpoint", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._server = None
