"""Data capture of the local endpoint, in SageMaker's capture format and layout.

Opt-in, like on AWS: `endpoint.data_capture.enabled` and `sampling_percentage` of
environments/local.yaml (LOCAL_ENDPOINT_CAPTURE_PERCENT=<0-100> overrides both for one session).
The proxy calls observe() once per answered request; a sampled, successful POST /invocations is
appended as one JSON line, as SageMaker hosting writes it, to
  <prefix>/datacapture/<endpoint>/AllTraffic/YYYY/MM/DD/HH/<pid>-<start>.jsonl
in the local object store, where `make monitor ENV=local` (local_runner.monitor) reads it.
Capture never fails a request: an error while writing is reported once on stderr and capture
stops for that process.
"""

from __future__ import annotations

import base64
import json
import os
import random
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

OVERRIDE = "LOCAL_ENDPOINT_CAPTURE_PERCENT"
VARIANT = "AllTraffic"


class Recorder:
    """Appends sampled requests and responses to an hourly JSON-lines file."""

    def __init__(self, directory: Path, percent: float):
        self.directory = directory
        self.percent = percent
        self.lock = threading.Lock()
        self.started = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        self.broken = False

    def sampled(self) -> bool:
        # Sampling, not security: the stdlib generator is what SageMaker's percentage needs.
        return self.percent >= 100 or random.random() * 100 < self.percent  # noqa: S311

    def file_for(self, now: float) -> Path:
        hour = time.strftime("%Y/%m/%d/%H", time.gmtime(now))
        return self.directory / VARIANT / hour / f"{os.getpid()}-{self.started}.jsonl"

    def record(self, body: bytes, content_type: str, payload: bytes, response_type: str) -> None:
        now = time.time()
        line = json.dumps(
            {
                "captureData": {
                    "endpointInput": _encoded(body, content_type, "INPUT"),
                    "endpointOutput": _encoded(payload, response_type, "OUTPUT"),
                },
                "eventMetadata": {
                    "eventId": str(uuid.uuid4()),
                    "inferenceTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                },
                "eventVersion": "0",
            },
            separators=(",", ":"),
        )
        target = self.file_for(now)
        with self.lock:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")


def _encoded(data: bytes, content_type: str, mode: str) -> dict[str, str]:
    kind = (content_type or "").split(";")[0].strip().lower()
    encoding = "CSV" if kind == "text/csv" else "JSON" if kind == "application/json" else ""
    try:
        text = data.decode("utf-8") if encoding else None
    except UnicodeDecodeError:
        text = None
    if text is None:
        text, encoding = base64.b64encode(data).decode("ascii"), "BASE64"
    return {"observedContentType": content_type, "mode": mode, "data": text, "encoding": encoding}


def settings(config: Any) -> float:
    """The sampling percentage in effect (0 = off), from the environment file or the override."""
    override = os.environ.get(OVERRIDE)
    if override:
        try:
            percent = float(override)
        except ValueError:
            percent = -1.0
        if not 0 <= percent <= 100:
            raise ValueError(f"{OVERRIDE}='{override}' must be a number from 0 to 100.")
        return percent
    capture = config.get("endpoint.data_capture")
    return float(capture["sampling_percentage"]) if capture["enabled"] else 0.0


def capture_uri(config: Any) -> str:
    """Same place SageMaker hosting captures to (deploy/'s DataCaptureConfig, Terraform)."""
    return config.s3_uri("datacapture", config.get("resources.endpoint_name"))


_recorder: Recorder | None = None
_loaded = False
_load_lock = threading.Lock()


def _load() -> Recorder | None:
    from env_config import load
    from local_runner import objectstore

    config = load("local")
    percent = settings(config)
    if percent <= 0:
        return None
    return Recorder(objectstore.path_for(capture_uri(config)), percent)


def observe(
    method: str,
    path: str,
    body: bytes | None,
    content_type: str,
    status: int,
    payload: bytes,
    response_type: str,
) -> None:
    """The proxy's hook: capture this exchange if capture is on and it is sampled."""
    global _recorder, _loaded
    if not _loaded:
        with _load_lock:
            if not _loaded:
                try:
                    _recorder = _load()
                except Exception as error:  # a bad setting must not take the endpoint down
                    print(f"data capture off: {error}", file=sys.stderr, flush=True)
                    _recorder = None
                _loaded = True
    recorder = _recorder
    if recorder is None or recorder.broken or method != "POST" or path != "/invocations":
        return
    if not 200 <= status < 300 or not body or not recorder.sampled():
        return
    try:
        recorder.record(body, content_type, payload, response_type)
    except OSError as error:
        recorder.broken = True
        print(f"data capture stopped: {error}", file=sys.stderr, flush=True)
