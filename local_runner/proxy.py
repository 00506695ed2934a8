"""The endpoint's front door: a small HTTP proxy on 127.0.0.1:PORT that forwards every request to
the current backend (a serve.py process) named in backend.json.

Why a proxy: a new model version starts as a second serve.py on a spare port; once its /ping is
healthy, backend.json is replaced (atomic rename) and the proxy sends new requests there, then the
old process is stopped. Clients keep one address and never see a refused connection: if a request
races with the switch and the old backend is already gone, the proxy re-reads backend.json and
retries once against the new one.

Run: python -m local_runner.proxy --port 8080 --state .local/endpoint/backend.json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from local_runner import capture

QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


class Backends:
    """backend.json, re-read only when its mtime changes (one stat per request)."""

    def __init__(self, state: Path):
        self.state = state
        self.stamp: int | None = None
        self.current: dict | None = None
        self.lock = threading.Lock()

    def get(self, force: bool = False) -> dict | None:
        try:
            stamp = self.state.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with self.lock:
            if force or stamp != self.stamp:
                try:
                    self.current = json.loads(self.state.read_text(encoding="utf-8"))
                    self.stamp = stamp
                except (OSError, json.JSONDecodeError):
                    pass  # mid-rename on an odd file system: keep the last good one
            return self.current


def make_handler(backends: Backends):
    local = threading.local()

    def connection(port: int) -> http.client.HTTPConnection:
        cached = getattr(local, "connections", None)
        if cached is None:
            cached = local.connections = {}
        if port not in cached:
            cached[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        return cached[port]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: clients reuse their connection
        server_version = "local-endpoint"
        # Headers and body leave in two writes; with Nagle on, a keep-alive client's delayed ACK
        # would hold the body for ~40 ms. TCP_NODELAY sends both at once.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args) -> None:  # quiet: one line per error only
            return

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            for attempt in range(3):
                backend = backends.get(force=attempt > 0)
                if not backend:
                    self._reply(503, b'{"error": "no model is deployed (make deploy ENV=local)"}')
                    return
                port = int(backend["port"])
                conn = connection(port)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    if QUICKACK is not None:  # ACK the backend's header segment at once, so a
                        # backend with Nagle on sends its body without a delayed-ACK stall
                        conn.sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
                    response = conn.getresponse()
                    payload = response.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    local.connections.pop(port, None)
                    continue  # the backend went away (a switch): re-read the state and retry
                if (
                    response.getheader("Connection", "").lower() == "close"
                    or response.version == 10
                ):
                    conn.close()
                    local.connections.pop(port, None)
                capture.observe(
                    self.command,
                    self.path,
                    body,
                    self.headers.get("Content-Type", ""),
                    response.status,
                    payload,
                    response.getheader("Content-Type", ""),
                )
                self._reply(
                    response.status,
                    payload,
                    response.getheader("Content-Type", "application/json"),
                    str(backend.get("version", "")),
                )
                return
            self._reply(502, b'{"error": "the model server did not answer"}')

        def _reply(
            self, status: int, payload: bytes, content_type: str = "application/json", version=""
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            if version:
                self.send_header("X-Model-Version", version)
            # headers and body in one write (one segment for a small answer)
            self._headers_buffer.append(b"\r\n" + payload)
            self.flush_headers()

        do_GET = _forward
        do_POST = _forward

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    server = Server((args.host, args.port), make_handler(Backends(args.state)))
    print(f"proxy {os.getpid()} listening on {args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
