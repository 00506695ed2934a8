"""The local endpoint: the proxy in front of serve.py (here the fixture server), a zero-downtime
switch between versions under traffic, a version that fails its health check, undeploy."""

from __future__ import annotations

import threading

import pytest
from runner_fixtures import execute, registry

from local_runner import endpoint, fsutil

pytestmark = pytest.mark.slow  # real endpoint processes: make test, not test-fast


def request(port: int, body: bytes = b"0.9\n0.2\n") -> tuple[int, dict, str]:
    import json

    status, payload, headers = endpoint.request(port, "POST", "/invocations", body, "text/csv")
    return status, json.loads(payload), headers.get("x-model-version", "")


@pytest.fixture
def versions(staged):
    """Two approved versions (accuracy 0.8 then 0.9) with real model.tar.gz artifacts."""
    first, _ = execute(overrides={"Accuracy": "0.8"})
    second, _ = execute(overrides={"Accuracy": "0.9"})
    assert first.status == second.status == "Succeeded"
    reg = registry()
    return reg.get("test-group", 1), reg.get("test-group", 2)


def test_serve_switch_under_traffic_and_undeploy(versions):
    v1, v2 = versions
    port = endpoint.free_port()
    try:
        endpoint.deploy(v1, port, out=lambda line: None)
        status, body, version = request(port)
        assert status == 200 and version == "1"
        assert [p["label"] for p in body["predictions"]] == [1, 0]
        assert body["accuracy"] == 0.8
        old = endpoint.status()["backend"]
        results: list[tuple[int, str]] = []
        stop = threading.Event()

        def traffic() -> None:
            while not stop.is_set():
                try:
                    code, _, seen = request(port)
                except OSError as error:  # a refused or reset connection is a failure too
                    code, seen = 0, str(error)
                results.append((code, seen))

        threads = [threading.Thread(target=traffic) for _ in range(3)]
        for thread in threads:
            thread.start()
        lines: list[str] = []
        endpoint.deploy(v2, port, out=lines.append)
        stop.set()
        for thread in threads:
            thread.join()
        assert lines == [f"Switched 127.0.0.1:{port} from version 1 to 2."]
        assert results and all(code == 200 for code, _ in results), [
            r for r in results if r[0] != 200
        ][:3]
        assert {seen for _, seen in results} <= {"1", "2"}
        assert request(port)[2] == "2" and request(port)[1]["accuracy"] == 0.9
        assert not fsutil.pid_alive(old["pid"])  # the old backend was stopped
        # deploying the served version again is a no-op
        again: list[str] = []
        endpoint.deploy(v2, port, out=again.append)
        assert again == [f"Endpoint already serves version 2 on 127.0.0.1:{port}."]
    finally:
        state = endpoint.status()
        endpoint.undeploy(out=lambda line: None)
    assert not endpoint.port_in_use(port)
    assert not fsutil.pid_alive(state["backend"]["pid"])
    assert not fsutil.pid_alive(state["proxy"]["pid"])
    assert endpoint.status()["running"] is False


def test_a_version_that_fails_its_health_check_leaves_the_old_one_serving(versions, staged):
    v1, _ = versions
    broken, _ = execute(overrides={"Accuracy": "0.95"})
    record = registry().get("test-group", 3)
    # the fixture server refuses to start for this model: make it so by a hyperparameter
    model_dir = endpoint.extract_model(record)
    metadata = model_dir / "model.json"
    import json

    model = json.loads(metadata.read_text())
    model["hyperparameters"]["broken_server"] = "true"
    metadata.write_text(json.dumps(model))
    port = endpoint.free_port()
    try:
        endpoint.deploy(v1, port, out=lambda line: None)
        with pytest.raises(endpoint.EndpointError, match="did not become healthy"):
            endpoint.deploy(record, port, out=lambda line: None)
        status, _, version = request(port)
        assert (status, version) == (200, "1")
    finally:
        endpoint.undeploy(out=lambda line: None)
    assert broken.status == "Succeeded"


def test_a_busy_port_is_refused_with_the_fix(versions):
    import socket

    v1, _ = versions
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        try:
            with pytest.raises(endpoint.EndpointError, match="PORT=<port>"):
                endpoint.deploy(v1, port, out=lambda line: None)
            assert endpoint.status()["backend"] is None  # no model server was started
        finally:
            endpoint.undeploy(out=lambda line: None)


def test_no_backend_means_503_not_a_hang(staged, tmp_path):
    port = endpoint.free_port()
    try:
        endpoint.ensure_proxy(port)
        status, payload, _ = endpoint.request(port, "GET", "/ping")
        assert status == 503 and b"make deploy ENV=local" in payload
    finally:
        endpoint.undeploy(out=lambda line: None)
