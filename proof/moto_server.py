"""A moto server on a free port of 127.0.0.1 with its HTTP request recorder (the stand-in AWS on
which Terraform applies and whose recorder captures Terraform's requests)."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from local_moto.server import MotoStartError, running_moto


class ProofError(Exception):
    """A one-line, actionable reason the proof could not run or did not hold."""


# The server runs moto with two changes. moto enforces a bucket policy's Deny statements without reading their conditions
# (moto/s3/models.py FakeBucket.get_permission), so the TLS-only Deny would refuse every request.
# Here moto only stores policies: the proof evaluates them with iam-simulate, which implements
# AWS's condition rules.
SERVER_WITHOUT_BUCKET_POLICIES = """
from moto.iam.access_control import PermissionResult
from moto.s3 import models
models.FakeBucket.get_permission = lambda self, action, resource: PermissionResult.NEUTRAL
# moto's recorder appends from the server's threads without a lock: one writer at a time
import threading
from moto.moto_api._internal.recorder.models import Recorder
_record, _lock = Recorder._record_request, threading.Lock()
def _record_serially(self, *args, **kwargs):
    with _lock:
        return _record(self, *args, **kwargs)
Recorder._record_request = _record_serially
"""


class MotoServer:
    """`url`, and `recording(path)` to capture every request between start and stop."""

    def __init__(self, url: str, recording_file: Path) -> None:
        self.url = url
        self._recording_file = recording_file

    def _post(self, path: str) -> None:
        request = urllib.request.Request(  # noqa: S310 (moto on 127.0.0.1)
            f"{self.url}/moto-api/{path}", method="POST"
        )
        with urllib.request.urlopen(request, timeout=30):  # noqa: S310 (moto on 127.0.0.1)
            pass

    @contextlib.contextmanager
    def recording(self, into: Path) -> Iterator[None]:
        """Record the requests made inside the block into `into` (JSON lines, moto's format)."""
        self._post("recorder/reset-recording")
        self._post("recorder/start-recording")
        try:
            yield
        finally:
            self._post("recorder/stop-recording")
            text = self._recording_file.read_text() if self._recording_file.exists() else ""
            into.parent.mkdir(parents=True, exist_ok=True)
            into.write_text(text)

    def reset(self) -> None:
        self._post("reset")


@contextlib.contextmanager
def moto_server(account_id: str, workdir: Path) -> Iterator[MotoServer]:
    """Start moto's server (local_moto) for `account_id`, recording into `workdir`; stop it after."""
    workdir = workdir.resolve()
    recording_file = workdir / "moto_recording.jsonl"
    try:
        with running_moto(
            account_id,
            workdir / "moto.log",
            prelude=SERVER_WITHOUT_BUCKET_POLICIES,
            env={"MOTO_RECORDER_FILEPATH": str(recording_file)},
        ) as url:
            yield MotoServer(url, recording_file)
    except MotoStartError as error:
        raise ProofError(str(error)) from None


def read_recording(path: Path) -> list[dict]:
    """moto's recording: JSON objects (headers, method, url, body, body_encoded), one per line.
    moto appends from several threads, so two objects may share a line: read object by object."""
    if not path.exists():
        raise ProofError(
            f"{path} is missing: the cache is incomplete, run `python -m proof --refresh`."
        )
    text, decoder, entries, index = path.read_text(), json.JSONDecoder(), [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return entries
        try:
            entry, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as error:
            raise ProofError(
                f"{path} is not moto's recording format ({error}): run `make proof` with --refresh."
            ) from None
        entries.append(entry)
