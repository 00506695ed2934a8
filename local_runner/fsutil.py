"""Crash-safe file writes: write beside the target, then rename. A reader (or a run started after
a kill -9) sees either the old file or the whole new one, never half of it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PARTIAL_MARK = ".partial-"


def partial_path(target: Path) -> Path:
    return target.with_name(f".{target.name}{PARTIAL_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def is_partial(path: Path) -> bool:
    return PARTIAL_MARK in path.name


def _commit(temporary: Path, target: Path, durable: bool) -> None:
    """Rename into place. The rename alone survives a killed process; durable=True (the
    registry) also fsyncs first, so a power cut cannot leave an empty file under the name."""
    if durable:
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
    os.replace(temporary, target)
    if durable:  # the rename itself reaches the disk only when the folder is synced
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def write_bytes(target: Path, data: bytes, durable: bool = False) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = partial_path(target)
    try:
        temporary.write_bytes(data)
        _commit(temporary, target, durable)
    finally:
        temporary.unlink(missing_ok=True)


def write_json(target: Path, payload: Any, durable: bool = False) -> None:
    text = json.dumps(payload, indent=2, sort_keys=True) + "\n"
    write_bytes(target, text.encode(), durable)


def copy_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = partial_path(target)
    try:
        shutil.copyfile(source, temporary)
        _commit(temporary, target, durable=False)
    finally:
        temporary.unlink(missing_ok=True)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def remove_stale_partials(root: Path) -> int:
    """Delete partial files left by processes that no longer run (a kill -9 mid-write)."""
    removed = 0
    if not root.exists():
        return 0
    for path in root.rglob(f"*{PARTIAL_MARK}*"):
        try:
            pid = int(path.name.split(PARTIAL_MARK, 1)[1].split("-", 1)[0])
        except ValueError:
            continue
        if not pid_alive(pid):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """An exclusive advisory lock (flock): released by the kernel even if the holder is killed."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def sha256_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
