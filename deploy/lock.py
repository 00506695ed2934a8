"""One deploy per environment at a time: a lock object written with an S3 conditional write.

acquire: PutObject s3://<bucket>/<prefix>/deploy/lock with IfNoneMatch='*' (S3 refuses with 412
when the object exists, atomically). The body says who holds it and until when. A lock past its
expiry (a crashed deploy) is taken over with IfMatch=<its ETag>, so two deploys that both see it
expired cannot both win. release deletes it only if we still own it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from deploy.aws import Clients, error_code
from deploy.builders import lock_key
from deploy.errors import DeployError, LockHeldError
from deploy.settings import Settings

CONFLICT_CODES = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")
DEFAULT_TTL_SECONDS = 3 * 3600


def default_owner() -> str:
    who = os.environ.get("GITHUB_RUN_ID") and f"github-run-{os.environ['GITHUB_RUN_ID']}"
    who = who or os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME") or os.environ.get("USER", "someone")
    return f"{who}@{socket.gethostname()}/{uuid.uuid4().hex[:8]}"


@dataclass
class Lock:
    clients: Clients
    settings: Settings
    owner: str
    ttl_seconds: int = DEFAULT_TTL_SECONDS
    clock: Callable[[], float] = time.time

    @property
    def key(self) -> str:
        return lock_key(self.settings)

    def _body(self, purpose: str) -> bytes:
        now = self.clock()
        return json.dumps(
            {
                "owner": self.owner,
                "purpose": purpose,
                "acquired_at": int(now),
                "expires_at": int(now + self.ttl_seconds),
            },
            sort_keys=True,
        ).encode()

    def _read(self) -> tuple[dict, str] | None:
        try:
            response = self.clients.s3.get_object(Bucket=self.settings.bucket, Key=self.key)
        except Exception as error:
            if error_code(error) in ("NoSuchKey", "404"):
                return None
            raise
        try:
            holder = json.loads(response["Body"].read())
        except ValueError:
            holder = {}
        return holder, response["ETag"]

    def acquire(self, purpose: str) -> None:
        s3 = self.clients.s3
        try:
            s3.put_object(
                Bucket=self.settings.bucket, Key=self.key, Body=self._body(purpose), IfNoneMatch="*"
            )
            return
        except Exception as error:
            if error_code(error) in ("NoSuchBucket",):
                raise DeployError(
                    f"Bucket {self.settings.bucket} does not exist: run `make apply "
                    f"ENV={self.settings.environment}` first."
                ) from None
            if error_code(error) not in CONFLICT_CODES:
                raise
        current = self._read()
        if current is None:  # released between our write and our read: try once more
            return self.acquire(purpose)
        holder, etag = current
        expires_at = float(holder.get("expires_at", 0))
        if expires_at > self.clock():
            raise LockHeldError(
                f"Another deploy of {self.settings.environment} is running ({holder.get('purpose')}"
                f" by {holder.get('owner', 'unknown')}, lock until "
                f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(expires_at))}). Wait for it. "
                f"If it crashed, delete s3://{self.settings.bucket}/{self.key} and retry."
            )
        try:  # expired: take it over, but only if nobody else did first
            s3.put_object(
                Bucket=self.settings.bucket, Key=self.key, Body=self._body(purpose), IfMatch=etag
            )
        except Exception as error:
            if error_code(error) in (*CONFLICT_CODES, "NoSuchKey"):
                raise LockHeldError(
                    f"Another deploy of {self.settings.environment} took the expired lock first; "
                    "wait for it to finish."
                ) from None
            raise

    def release(self) -> None:
        current = self._read()
        if current is None:
            return
        holder, _ = current
        if holder.get("owner") == self.owner:
            self.clients.s3.delete_object(Bucket=self.settings.bucket, Key=self.key)

    @contextlib.contextmanager
    def held(self, purpose: str) -> Iterator[Lock]:
        self.acquire(purpose)
        try:
            yield self
        finally:
            self.release()


def deploy_lock(clients: Clients, settings: Settings, owner: str | None = None) -> Lock:
    return Lock(clients=clients, settings=settings, owner=owner or default_owner())
