"""The local endpoint's front proxy, side by side: the aiohttp proxy (local_runner/proxy.py)
against the standard-library threading proxy it replaced (read from git, commit BEFORE), in
front of the same serve.py with the same small model, on 127.0.0.1.

1. single-row POST /invocations latency through the proxy, p50 / p99 (sequential requests);
2. GET /ping latency while --stalled clients connect at once and each holds its connection with
   half a request line, during that burst and after it.

Usage: python -m benchmarks proxy [--requests 300] [--stalled 1000] [--commit BEFORE] [--write]
Bounded (each phase has a fixed number of requests).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks import report

REPO = Path(__file__).resolve().parent.parent
BEFORE = "0556951"  # the last commit with the standard-library proxy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(port: int, process: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def _model(folder: Path) -> list[str]:
    import joblib
    from sklearn.ensemble import HistGradientBoostingClassifier

    from sample_data import sample_frame

    frame = sample_frame()
    features = [c for c in frame.columns if c != "malignant"]
    model = HistGradientBoostingClassifier(max_iter=50, random_state=0)
    model.fit(frame[features].to_numpy(), frame["malignant"].to_numpy())
    joblib.dump(model, folder / "model.joblib")
    (folder / "model_metadata.json").write_text(json.dumps({"features": features}))
    return [",".join(f"{v:.6g}" for v in row) for row in frame[features].to_numpy()[:50]]


def _latencies(port: int, method: str, path: str, body: bytes | None, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            headers = {"Content-Type": "text/csv"} if body else {}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            times.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return times


def start_proxy(argv: list[str], state: Path) -> tuple[int, subprocess.Popen]:
    port = _free_port()
    process = subprocess.Popen(
        [*argv, "--port", str(port), "--state", str(state)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(port, process)
    return port, process


def interleaved(ports: dict[str, int], row: bytes, total: int) -> dict[str, list[float]]:
    """Latencies of both proxies in alternating batches, so a busy moment of a shared machine
    lands on both sides alike."""
    times: dict[str, list[float]] = {name: [] for name in ports}
    for port in ports.values():
        _latencies(port, "POST", "/invocations", row, 20)  # warm up
    for _ in range(max(1, total // 25)):
        for name, port in ports.items():
            times[name] += _latencies(port, "POST", "/invocations", row, 25)
    return {name: sorted(values) for name, values in times.items()}


def under_stalled_clients(port: int, stalled: int) -> dict[str, float]:
    """GET /ping while `stalled` clients connect at once (50 threads) and each sends half a
    request line and then nothing; pings run during the burst and after it."""
    held: list[socket.socket] = []
    lock = threading.Lock()

    def connect(count: int) -> None:
        for _ in range(count):
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                sock.sendall(b"POST /invocations HTTP/1.1\r\nContent-Le")
            except OSError:
                continue
            with lock:
                held.append(sock)

    threads = [threading.Thread(target=connect, args=(stalled // 50,)) for _ in range(50)]
    for thread in threads:
        thread.start()
    try:
        during = _latencies(port, "GET", "/ping", None, 20)
        for thread in threads:
            thread.join()
        after = _latencies(port, "GET", "/ping", None, 20)
    finally:
        for sock in held:
            sock.close()
    return {"ping_burst_max": max(during), "ping_after_p50": statistics.median(after)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--stalled", type=int, default=1000)
    parser.add_argument("--commit", default=BEFORE)
    report.add_write_flag(parser)
    args = parser.parse_args(argv)
    run = report.start("proxy", argv)
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        (root / "model").mkdir()
        row = _model(root / "model")[0].encode()
        old = root / "old_proxy.py"
        old.write_bytes(
            subprocess.run(
                ["git", "show", f"{args.commit}:local_runner/proxy.py"],
                cwd=REPO,
                capture_output=True,
                check=True,
            ).stdout
        )
        backend_port = _free_port()
        backend = subprocess.Popen(
            [sys.executable, str(REPO / "training_code" / "serve.py"), "--model-dir",
             str(root / "model"), "--host", "127.0.0.1", "--port", str(backend_port)],
            env={**os.environ, "OMP_NUM_THREADS": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait(backend_port, backend)
            state = root / "backend.json"
            state.write_text(json.dumps({"pid": backend.pid, "port": backend_port, "version": 1}))
            proxies = {
                "new": start_proxy([sys.executable, "-m", "local_runner.proxy"], state),
                "old": start_proxy([sys.executable, str(old)], state),
            }
            try:
                single = interleaved({k: v[0] for k, v in proxies.items()}, row, args.requests)
                results = {}
                for name, (port, _) in proxies.items():
                    results[name] = {
                        "p50": statistics.median(single[name]),
                        "p99": single[name][int(len(single[name]) * 0.99) - 1],
                        **under_stalled_clients(port, args.stalled),
                    }
            finally:
                for _, process in proxies.values():
                    process.terminate()
                    process.wait(timeout=30)
        finally:
            backend.terminate()
            backend.wait(timeout=30)
    conditions = (
        "The same serve.py and model behind both proxies on 127.0.0.1, single-row requests in "
        "alternating batches (so a busy moment lands on both sides alike), then "
        f"{args.stalled} clients that connect at once from 50 threads and each send half a "
        "request line and nothing more."
    )
    report.publish(
        run, conditions=conditions, tables=tables(results, args.commit, args.stalled),
        write=args.write,
    )  # fmt: skip
    return 0


def tables(results: dict[str, dict[str, float]], commit: str, stalled: int) -> list[report.Table]:
    """results: "new" (aiohttp) and "old" (standard library) -> p50, p99, ping_burst_max,
    ping_after_p50 in milliseconds."""
    rows = []
    for key, label in (
        ("p50", "single-row POST latency, p50 (ms)"),
        ("p99", "single-row POST latency, p99 (ms)"),
        ("ping_burst_max", f"slowest GET /ping while {stalled} stalling clients connect (ms)"),
        ("ping_after_p50", f"GET /ping p50 with {stalled} stalled clients held (ms)"),
    ):
        new, before = results["new"][key], results["old"][key]
        rows.append([label, f"{new:.2f}", f"{before:.2f}", f"{new / before:.2f}"])
    p50 = results["new"]["p50"] / results["old"]["p50"]
    return [
        report.Table(
            ["measure", "aiohttp proxy", f"standard-library proxy ({commit})", "ratio"],
            rows,
            "(figures only: the proxy was replaced for correctness, not speed)",
            report.Headline(
                "single-row POST latency p50, aiohttp / standard-library proxy", round(p50, 2), None
            ),
        )
    ]
