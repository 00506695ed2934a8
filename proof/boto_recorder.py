"""Record the AWS calls code makes through boto3, with botocore's `provide-client-params` hook:
the operation and its parameters exactly as the caller passed them (before any endpoint, moto or
AWS sees them).

A call counts only when code under one of `code_roots` is on the calling stack, so a test's own
setup (creating packages, alarms, buckets in moto) is never attributed to the code under proof.
"""

from __future__ import annotations

import copy
import json
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_lock = threading.Lock()


class BotoRecorder:
    """Installs one hook on every botocore session created after `install()`."""

    def __init__(self, code_roots: Iterable[Path], any_thread: bool = False) -> None:
        self.code_roots = tuple(str(root.resolve()) for root in code_roots)
        self.any_thread = any_thread
        self.calls: list[dict[str, Any]] = []
        self.active = True
        self._installed = False

    def install(self) -> None:
        import botocore.session

        if self._installed:
            return
        original = botocore.session.Session.__init__
        recorder = self

        def init(session, *args, **kwargs):
            original(session, *args, **kwargs)
            session.register("provide-client-params", recorder._on_params)
            session.register("after-call", recorder._on_result)

        botocore.session.Session.__init__ = init
        self._installed = True

    def _caller(self) -> tuple[str | None, str | None]:
        """The innermost frame of the code under proof, and the environment it acts for (the
        `settings.environment` of deploy/'s Settings in scope, when there is one)."""
        frame = sys._getframe(2)
        caller = environment = None
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith(self.code_roots):
                if caller is None:
                    caller = f"{Path(filename).name}:{frame.f_lineno} {frame.f_code.co_name}"
                if environment is None:
                    environment = _environment_of(frame.f_locals)
            frame = frame.f_back
        return caller, environment

    def _on_result(self, http_response: Any = None, context: Any = None, **_: Any) -> None:
        entry = (context or {}).get("proof_entry")
        if entry is not None and http_response is not None:
            entry["status"] = http_response.status_code

    def _on_params(self, params: dict, model: Any, context: Any = None, **_: Any) -> None:
        if not self.active:
            return
        caller, environment = self._caller()
        if caller is None and not (
            self.any_thread and threading.current_thread() is not threading.main_thread()
        ):
            return
        entry = {
            "service": model.service_model.service_name,
            "operation": model.name,
            "params": _plain(copy.copy(params)),
            "caller": caller or threading.current_thread().name,
            "environment": environment,
        }
        if context is not None:
            context["proof_entry"] = entry
        with _lock:
            self.calls.append(entry)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(call, sort_keys=True) + "\n" for call in self.calls))


def _environment_of(local_variables: dict[str, Any]) -> str | None:
    for holder in (
        local_variables.get("settings"),
        getattr(local_variables.get("self"), "settings", None),
    ):
        environment = getattr(holder, "environment", None)
        if isinstance(environment, str):
            return environment
    return None


def _plain(value: Any) -> Any:
    """JSON-safe parameters: bodies and streams become their length, nothing else changes."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return f"<{type(value).__name__}>"


def read_calls(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        from proof.moto_server import ProofError

        raise ProofError(
            f"{path} is missing: the cache is incomplete, run `python -m proof --refresh`."
        )
    return [json.loads(line) for line in path.read_text().split("\n") if line.strip()]
