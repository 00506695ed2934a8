"""Bad requests at the local endpoint: the front proxy (local_runner/proxy.py, aiohttp) in front of
the real model server (training_code/serve.py with a real model). Each row sends raw bytes on a
socket, so what is tested is what a client can really send, and asserts the HTTP status, the
message, and whether the model server saw the request (its access log): a refused request is
never served."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local_runner import endpoint, fsutil

pytestmark = pytest.mark.slow  # real server and proxy processes: make test, not test-fast

REPO = Path(__file__).resolve().parents[2]
BODY_TIMEOUT = "2"  # the proxy's --body-timeout in these tests (the default is 30 s)


def _wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + 60
    while not endpoint.port_in_use(port):
        assert process.poll() is None, log.read_text()
        assert time.time() < deadline, log.read_text()
        time.sleep(0.05)


@pytest.fixture(scope="module")
def served(tmp_path_factory, sample_frame):
    """serve.py with a small real model behind the proxy; yields (proxy port, backend log)."""
    import joblib
    from sklearn.ensemble import HistGradientBoostingClassifier

    root = tmp_path_factory.mktemp("endpoint")
    features = [c for c in sample_frame.columns if c != "malignant"]
    model = HistGradientBoostingClassifier(max_iter=5, random_state=0)
    model.fit(sample_frame[features].to_numpy(), sample_frame["malignant"].to_numpy())
    model_dir = root / "model"
    model_dir.mkdir()
    joblib.dump(model, model_dir / "model.joblib")
    (model_dir / "model_metadata.json").write_text(json.dumps({"features": features}))
    env = {**os.environ, "SERVE_ACCESS_LOG": "1", "PYTHONPATH": str(REPO)}
    backend_port, proxy_port = endpoint.free_port(), endpoint.free_port()
    backend_log, proxy_log = root / "serve.log", root / "proxy.log"
    with backend_log.open("wb") as out:
        backend = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "training_code" / "serve.py"),
                "--model-dir",
                str(model_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(backend_port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    state = root / "backend.json"
    fsutil.write_json(state, {"pid": backend.pid, "port": backend_port, "version": 1})
    with proxy_log.open("wb") as out:
        proxy = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local_runner.proxy",
                "--port",
                str(proxy_port),
                "--state",
                str(state),
                "--body-timeout",
                BODY_TIMEOUT,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
        )
    try:
        _wait_for(backend_port, backend, backend_log)
        _wait_for(proxy_port, proxy, proxy_log)
        yield proxy_port, backend_log, features, proxy_log
    finally:
        for process in (proxy, backend):
            process.terminate()
            process.wait(timeout=30)
    assert "Traceback" not in proxy_log.read_text() + backend_log.read_text()


def exchange(port: int, raw: bytes, half_close: bool = False, timeout: float = 20) -> bytes:
    """Send raw bytes, read until the server closes or has sent a whole response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            length = [int(v) for k, v in _headers(head) if k == "content-length"]
            if sep and length and len(body) >= length[0]:
                break
        return data


def _headers(head: bytes) -> list[tuple[str, str]]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines)]


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0


def post(path: str, body: bytes, *headers: str, content_type: str = "text/csv") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def served_requests(log: Path) -> int:
    return sum('"POST /invocations' in line for line in log.read_text().splitlines())


def csv_row(features: list[str], value: str = "1.0") -> bytes:
    return ",".join([value] * len(features)).encode()


ROWS = {
    # class: (raw request builder(features), expected status, message fragment, reaches model?)
    "content-length-not-a-number": (
        lambda f: post("/invocations", b"1,2", "Content-Length: abc"),
        400,
        b"Content-Length",
        False,
    ),
    "content-length-negative": (
        lambda f: post("/invocations", b"1,2", "Content-Length: -5"),
        400,
        b"Content-Length",
        False,
    ),
    "content-length-twice-differing": (
        lambda f: post("/invocations", b"1,2", "Content-Length: 3", "Content-Length: 4"),
        400,
        b"Content-Length",
        False,
    ),
    "content-length-absurd": (
        lambda f: post("/invocations", b"1,2", "Content-Length: 1000000000000000"),
        413,
        b"over the endpoint's limit",
        False,
    ),
    "body-over-the-model-servers-6-mb": (
        lambda f: post("/invocations", b"1" * (10 * 1024 * 1024), "Content-Length: 10485760"),
        413,
        b"over SageMaker's 6 MB limit",
        True,
    ),
    "chunked-body-malformed": (
        lambda f: post("/invocations", b"zz\r\nabc\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
        400,
        b"",
        False,
    ),
    "not-http-at-all": (
        lambda f: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        400,
        b"",
        False,
    ),
    "header-of-100-kb": (
        lambda f: post("/invocations", b"", "X-Big: " + "a" * 100_000, "Content-Length: 0"),
        400,
        b"",
        False,
    ),
    "empty-body": (
        lambda f: post("/invocations", b"", "Content-Length: 0"),
        400,
        b"empty request body",
        True,
    ),
    "wrong-content-type": (
        lambda f: post(
            "/invocations",
            csv_row(f),
            f"Content-Length: {len(csv_row(f))}",
            content_type="application/x-pickle",
        ),
        415,
        b"unsupported Content-Type",
        True,
    ),
    "nan-in-a-row": (
        lambda f: post(
            "/invocations", csv_row(f, "nan"), f"Content-Length: {len(csv_row(f, 'nan'))}"
        ),
        400,
        b"NaN or infinite",
        True,
    ),
    "too-few-features": (
        lambda f: post("/invocations", b"1,2", "Content-Length: 3"),
        400,
        b"expects 30 features",
        True,
    ),
    "malformed-json": (
        lambda f: post(
            "/invocations", b"{nope", "Content-Length: 5", content_type="application/json"
        ),
        400,
        b"malformed JSON",
        True,
    ),
    "unknown-path": (lambda f: post("/admin", b"x", "Content-Length: 1"), 404, b"not found", False),
}


@pytest.mark.parametrize("case", sorted(ROWS))
def test_a_bad_request_gets_a_clear_status(case, served):
    port, log, features, _ = served
    build, status, fragment, reaches_model = ROWS[case]
    before = served_requests(log)
    response = exchange(port, build(features))
    assert status_of(response) == status, response[:300]
    assert fragment in response, response[:300]
    assert b"Traceback" not in response
    if not reaches_model:
        assert served_requests(log) == before, "a refused request never reaches the model"


def test_a_truncated_body_is_never_served(served):
    port, log, features, _ = served
    before = served_requests(log)
    row = csv_row(features)
    # the client announces more than it sends and closes its side: no response can be owed
    exchange(port, post("/invocations", row, f"Content-Length: {len(row) + 50}"), half_close=True)
    assert served_requests(log) == before


def test_a_stalled_body_gets_408_after_the_read_timeout(served):
    port, log, features, _ = served
    before = served_requests(log)
    row = csv_row(features)
    response = exchange(port, post("/invocations", row, f"Content-Length: {len(row) + 50}"))
    assert status_of(response) == 408 and b"did not arrive within" in response, response[:300]
    assert served_requests(log) == before


def test_a_chunked_body_is_decoded_and_served(served):
    port, _, features, _ = served
    row = csv_row(features)
    chunked = f"{len(row):x}\r\n".encode() + row + b"\r\n0\r\n\r\n"
    response = exchange(port, post("/invocations", chunked, "Transfer-Encoding: chunked"))
    assert status_of(response) == 200 and b'"predictions"' in response, response[:300]


def test_ping_answers_while_hundreds_of_clients_stall(served):
    port, _, _, _ = served
    stalled = []
    try:
        for _ in range(500):  # each sends half a request line and then nothing
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"POST /invocations HTTP/1.1\r\nContent-Le")
            stalled.append(sock)
        response = exchange(port, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", timeout=20)
        assert status_of(response) == 200
    finally:
        for sock in stalled:
            sock.close()
