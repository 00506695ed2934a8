"""Start moto's server on a free port of 127.0.0.1, wait until it answers, stop it afterwards.

One place for this because the access proof and three integration tests each need a stand-in AWS,
and the details are easy to get subtly wrong: the port is picked by the OS (never fixed, so
pytest-xdist workers and parallel runs never collide; a port taken between picking and binding is
picked again), the server gets a clean environment (no caller AWS_* variable or profile reaches
moto), readiness is "moto's API answered" within a deadline rather than a fixed sleep, and a
server that dies or never answers is reported in one line with the tail of its log.

The server is `python -m moto.server` of this interpreter (the venv's moto[server]), run through
`-c` so that a caller may first change moto in that process (`prelude`: the proof stops moto from
enforcing bucket policies, which it evaluates by AWS's rules instead).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

HOST = "127.0.0.1"
LOG_TAIL_LINES = 20
PORT_TAKEN = "Address already in use"
PORT_ATTEMPTS = 3
# What runs moto's server after the prelude (the `moto_server` console script does the same).
LAUNCH = "\nimport sys\nfrom moto.server import main\nmain(sys.argv[1:])\n"


class MotoStartError(RuntimeError):
    """moto's server could not be started: the message says why and where its log is."""


def free_port() -> int:
    """A port of 127.0.0.1 the OS had free a moment ago (the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of the server's log, or a note that it wrote nothing."""
    text = log.read_text(errors="replace") if log.exists() else ""
    tail = text.rstrip().splitlines()[-lines:]
    return "\n".join(tail) if tail else "(the log is empty)"


def answers(url: str) -> bool:
    """True once moto's HTTP API responds at all (any status: an error page is still an answer)."""
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):  # noqa: S310 (127.0.0.1)
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    """Terminate the server; kill it if it does not exit within ten seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def server_environment(account_id: str, extra: Mapping[str, str]) -> dict[str, str]:
    """Only what moto needs: PATH, the account it plays, and the caller's MOTO_* settings."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MOTO_ACCOUNT_ID": account_id,
        **extra,
    }


def launch(
    port: int, account_id: str, log: Path, prelude: str, env: Mapping[str, str], cwd: Path
) -> subprocess.Popen:
    with log.open("w") as sink:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-c", prelude + LAUNCH, "-H", HOST, "-p", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=server_environment(account_id, env),
            cwd=cwd,
        )


def wait_until_answering(process: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    """Return once the server answers; raise MotoStartError if it exits or the deadline passes."""
    deadline = time.monotonic() + timeout
    while not answers(url):
        if process.poll() is not None:
            raise MotoStartError(
                f"moto_server exited with code {process.returncode} before answering on {url} "
                f"(log {log}); its last lines:\n{log_tail(log)}"
            )
        if time.monotonic() > deadline:
            raise MotoStartError(
                f"moto_server did not answer on {url} within {timeout:.0f} s (log {log}); "
                f"a busy machine may need a longer timeout. Its last lines:\n{log_tail(log)}"
            )
        time.sleep(0.1)


@contextlib.contextmanager
def running_moto(
    account_id: str,
    log: Path,
    *,
    prelude: str = "",
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120.0,
) -> Iterator[str]:
    """Run moto's server for `account_id` and yield its URL (http://127.0.0.1:<port>); stop it
    when the block ends, however it ends.

    `log` receives the server's output. `prelude` is Python run in the server's process before
    moto starts. `env` adds variables (MOTO_RECORDER_FILEPATH, ...) to the server's otherwise
    clean environment. `cwd` is the server's working directory (default: `log`'s folder).
    """
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("moto.server") is None:
        raise MotoStartError(
            f"moto[server] is not installed in {sys.executable}: run `make setup`."
        )
    log.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = free_port()
        url = f"http://{HOST}:{port}"
        process = launch(port, account_id, log, prelude, env or {}, cwd or log.parent)
        try:
            wait_until_answering(process, url, log, timeout)
            break
        except MotoStartError:
            stop(process)
            if attempt == PORT_ATTEMPTS or PORT_TAKEN not in log_tail(log):
                raise
            # another process took the port between picking and binding: pick again
        except BaseException:
            stop(process)
            raise
    try:
        yield url
    finally:
        stop(process)
