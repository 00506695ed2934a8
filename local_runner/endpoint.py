"""The local endpoint: the model's inference server behind the front proxy (local_runner.proxy).

Which server runs a model is local_runner.serving's decision (the model's own inference code, or
this template's training_code/serve.py). deploy(): extract the version's model.tar.gz, start its
server on a spare port, wait for /ping, point
the proxy at it (backend.json, atomic rename), check that the proxy now answers with the new
version, then stop the old serve.py. A new version that does not become healthy is stopped and the
old one keeps serving. State lives in <home>/endpoint/: proxy.json, backend.json, models/, logs/.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from local_runner import fsutil, paths, serving

HEALTH_TIMEOUT = 60.0


class EndpointError(RuntimeError):
    """The endpoint could not be started, switched or reached."""


def state_dir() -> Path:
    return paths.endpoint_dir()


def serve_script() -> Path:
    return serving.serve_script()


def container_of(record: dict[str, Any]) -> dict[str, Any]:
    """The registered inference container (Image, ModelDataUrl, Environment) of a version."""
    containers = ((record.get("Request") or {}).get("InferenceSpecification") or {}).get(
        "Containers"
    ) or [{}]
    return {
        "Image": record.get("Image", ""),
        **containers[0],
        "ModelDataUrl": record["ModelDataUrl"],
    }


def _read(name: str) -> dict[str, Any] | None:
    path = state_dir() / name
    return fsutil.read_json(path) if path.is_file() else None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _ours(pid: int, marker: str) -> bool:
    """Alive and still the process we started (a recycled pid is never signalled)."""
    if not fsutil.pid_alive(pid):
        return False
    cmdline = _cmdline(pid)
    return marker in cmdline if cmdline else True


def _stop(pid: int, marker: str, grace: float = 5.0) -> None:
    if not _ours(pid, marker):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + grace
    while time.time() < deadline:
        if not fsutil.pid_alive(pid):
            return
        try:  # reap it if it is our child (tests start it from this process)
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.05)
    if fsutil.pid_alive(pid):
        os.kill(pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def request(
    port: int, method: str, path: str, body: bytes | None = None, content_type: str = "text/csv"
) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": content_type} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def _healthy(port: int) -> tuple[bool, dict[str, str]]:
    try:
        status, _, headers = request(port, "GET", "/ping")
        return status == 200, headers
    except OSError:
        return False, {}


def _spawn(argv: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        return subprocess.Popen(
            argv,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives `make`: the endpoint runs until undeploy
            # One OpenMP thread: a request predicts a few rows, and idle OpenMP workers spinning
            # on a busy laptop cost far more (tens of ms) than they could save.
            env=env or {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"},
        )


def extract_model(record: dict[str, Any]) -> Path:
    """models/v<version>-<sha12>/ with the archive's contents (extracted once, atomically)."""
    target = (
        state_dir()
        / "models"
        / f"v{record['ModelPackageVersion']}-{record['ModelDataSha256'][:12]}"
    )
    return serving.extract(record["ModelDataUrl"], target)


def check_port(port: Any) -> int:
    """A usable TCP port number, or an EndpointError saying which are."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1024 <= port <= 65535:
        raise EndpointError(
            f"PORT={port} is not a usable port: give a number from 1024 to 65535, e.g. "
            "make serve ENV=local PORT=8081."
        )
    return port


def can_listen(port: int) -> str | None:
    """Why 127.0.0.1:port cannot be listened on, or None when it can (bind test, then close)."""
    if port_in_use(port):
        return "is already in use by another program"
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as error:
            return f"cannot be used ({error.strerror})"
    return None


def ensure_proxy(port: int) -> dict[str, Any]:
    """A proxy on 127.0.0.1:port. Moving to another port checks and starts the new proxy first
    and stops the old one last, so a port that cannot be used leaves the running endpoint be."""
    check_port(port)
    proxy = _read("proxy.json")
    old = proxy if proxy and _ours(proxy["pid"], "local_runner.proxy") else None
    if old and old["port"] == port:
        return old
    problem = can_listen(port)
    if problem:
        keeps = f" The endpoint keeps serving on port {old['port']}." if old else ""
        raise EndpointError(
            f"127.0.0.1:{port} {problem}. Stop it, or choose another port: make deploy "
            f"ENV=local PORT=<port>.{keeps}"
        )
    log = state_dir() / "logs" / "proxy.log"
    process = _spawn(
        [
            sys.executable,
            "-m",
            "local_runner.proxy",
            "--port",
            str(port),
            "--state",
            str(state_dir() / "backend.json"),
        ],
        log,
    )
    deadline = time.time() + 15
    while not port_in_use(port):
        if process.poll() is not None or time.time() > deadline:
            _stop(process.pid, "local_runner.proxy")
            raise EndpointError(f"the endpoint proxy did not start on port {port}; see {log}.")
        time.sleep(0.05)
    proxy = {"pid": process.pid, "port": port, "started": time.time()}
    fsutil.write_json(state_dir() / "proxy.json", proxy)
    if old:
        _stop(old["pid"], "local_runner.proxy")
    return proxy


def deploy(record: dict[str, Any], port: int, out=print) -> dict[str, Any]:
    """Serve this registry version on 127.0.0.1:port, replacing the current one without downtime."""
    current = _read("backend.json")
    proxy = _read("proxy.json")
    if (
        current
        and proxy
        and proxy["port"] == port
        and current.get("sha256") == record["ModelDataSha256"]
        and _ours(current["pid"], current.get("marker", "serve.py"))
        and _ours(proxy["pid"], "local_runner.proxy")
        and _healthy(port)[0]
    ):
        out(f"Endpoint already serves version {record['ModelPackageVersion']} on 127.0.0.1:{port}.")
        return current
    ensure_proxy(port)  # first: a busy port fails before any model server starts
    model_dir = extract_model(record)
    backend_port = free_port()
    version = record["ModelPackageVersion"]
    log = state_dir() / "logs" / f"serve-v{version}-{backend_port}.log"
    container = container_of(record)
    try:
        argv, marker = serving.server_command(container, model_dir, backend_port)
    except serving.ServingError as error:
        raise EndpointError(f"version {version}: {error}") from error
    process = _spawn(argv, log, serving.server_environment(container, argv))
    deadline = time.time() + HEALTH_TIMEOUT
    while not _healthy(backend_port)[0]:
        if process.poll() is not None or time.time() > deadline:
            _stop(process.pid, marker)
            text = log.read_text(errors="replace") if log.exists() else ""
            tail = "\n".join(text.splitlines()[-20:])
            raise EndpointError(
                f"version {version} did not become healthy (GET /ping) on port {backend_port}; "
                f"the endpoint keeps serving what it served before. Log {log}:\n{tail}"
            )
        time.sleep(0.05)
    backend = {
        "pid": process.pid,
        "port": backend_port,
        "version": version,
        "group": record["ModelPackageGroupName"],
        "sha256": record["ModelDataSha256"],
        "model_dir": str(model_dir),
        "marker": marker,
        "log": str(log),
        "started": time.time(),
    }
    fsutil.write_json(state_dir() / "backend.json", backend)
    deadline = time.time() + 15
    while True:  # the proxy must answer for the new version before the old one goes
        ok, headers = _healthy(port)
        if ok and headers.get("x-model-version") == str(version):
            break
        if time.time() > deadline:
            raise EndpointError(f"the proxy on port {port} does not answer for version {version}.")
        time.sleep(0.05)
    if current and current["pid"] != process.pid:
        time.sleep(0.5)  # let requests already forwarded to the old backend finish
        _stop(current["pid"], current.get("marker", "serve.py"))
        out(f"Switched 127.0.0.1:{port} from version {current.get('version')} to {version}.")
    else:
        out(f"Serving version {version} on 127.0.0.1:{port}.")
    return backend


def undeploy(out=print) -> bool:
    stopped = False
    for name, marker in (("backend.json", "serve.py"), ("proxy.json", "local_runner.proxy")):
        state = _read(name)
        if state:
            _stop(state["pid"], state.get("marker", marker))
            (state_dir() / name).unlink(missing_ok=True)
            stopped = True
    out("Endpoint stopped." if stopped else "No local endpoint was running.")
    return stopped


def status() -> dict[str, Any]:
    proxy = _read("proxy.json")
    backend = _read("backend.json")
    running = bool(proxy and _ours(proxy["pid"], "local_runner.proxy"))
    healthy = running and _healthy(proxy["port"])[0]
    return {"running": running, "healthy": healthy, "proxy": proxy, "backend": backend}
