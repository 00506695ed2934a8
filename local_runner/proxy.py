"""The endpoint's front door: an HTTP proxy on 127.0.0.1:PORT that forwards every request to the
current backend (a serve.py process) named in backend.json.

Why a proxy: a new model version starts as a second serve.py on a spare port; once its /ping is
healthy, backend.json is replaced (atomic rename) and the proxy sends new requests there, then the
old process is stopped. Clients keep one address and never see a refused connection: if a request
races with the switch and the old backend is already gone, the proxy re-reads backend.json and
retries against the new one.

Why aiohttp (asyncio) rather than the standard library's threading server: every client is a
coroutine, not a thread, so thousands of slow or idle clients cost memory but never delay /ping;
its HTTP parser (llhttp, the one Node.js uses) refuses a malformed, negative or duplicated
Content-Length and a body shorter than announced, and decodes chunked bodies. What this module
adds on top is policy: a body limit above the model server's (so the model server's own 413 and
message reach the client, and only absurd bodies stop here), a deadline to receive a body, an
idle timeout for keep-alive connections, and the retry across a switch.

Run: python -m local_runner.proxy --port 8080 --state .local/endpoint/backend.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

MAX_BODY_BYTES = 64 * 1024 * 1024  # the model server refuses above 6 MB with its own 413
BODY_TIMEOUT = 30.0  # seconds to receive a whole body once the headers are in
IDLE_TIMEOUT = 75.0  # seconds a keep-alive connection may sit idle between requests
BACKEND_TIMEOUT = 60.0  # seconds the model server may take to answer
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


def _error(status: int, message: str, **headers: str) -> Any:
    from aiohttp import web

    body = json.dumps({"error": message}).encode()
    return web.Response(
        status=status, body=body, content_type="application/json", headers=headers or None
    )


async def _read_body(request: Any, body_timeout: float) -> bytes | Any:
    """The whole body, or the error response that refuses it (the client gets a reason)."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        return _error(
            413,
            f"request body of {length} bytes is over the endpoint's limit of {MAX_BODY_BYTES} "
            "bytes; send fewer rows per request.",
            Connection="close",
        )
    try:
        async with asyncio.timeout(body_timeout):
            return await request.read()
    except TimeoutError:
        return _error(
            408,
            f"the request body did not arrive within {body_timeout:g} s (a Content-Length "
            "larger than the body sent?). Send exactly Content-Length bytes.",
            Connection="close",
        )


def make_app(backends: Backends, body_timeout: float = BODY_TIMEOUT) -> Any:
    import aiohttp
    from aiohttp import web

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await _read_body(request, body_timeout)
        if isinstance(body, web.StreamResponse):
            return body
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        session: aiohttp.ClientSession = request.app["session"]
        for attempt in range(3):
            backend = backends.get(force=attempt > 0)
            if not backend:
                return _error(503, "no model is deployed (make deploy ENV=local)")
            url = f"http://127.0.0.1:{int(backend['port'])}{request.rel_url}"
            try:
                async with session.request(
                    request.method, url, data=body or None, headers=headers
                ) as response:
                    payload = await response.read()
            except (aiohttp.ClientConnectionError, TimeoutError):
                await asyncio.sleep(0.05 * attempt)
                continue  # the backend went away (a switch): re-read the state and retry
            reply = web.Response(status=response.status, body=payload)
            reply.headers["Content-Type"] = response.headers.get("Content-Type", "application/json")
            reply.headers["X-Model-Version"] = str(backend.get("version", ""))
            return reply
        return _error(502, "the model server did not answer; see make status ENV=local.")

    async def start_session(app: web.Application) -> None:
        connector = aiohttp.TCPConnector(limit=64, force_close=False)
        timeout = aiohttp.ClientTimeout(total=BACKEND_TIMEOUT)
        app["session"] = aiohttp.ClientSession(
            connector=connector, timeout=timeout, auto_decompress=False
        )

    async def close_session(app: web.Application) -> None:
        await app["session"].close()

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_route("*", "/{tail:.*}", forward)
    app.on_startup.append(start_session)
    app.on_cleanup.append(close_session)
    return app


class OneLine(logging.Filter):
    """aiohttp logs a client's malformed request with its traceback; the client already got its
    400, so the log gets one line: what was wrong, not where in aiohttp it was noticed."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            reason = " ".join(str(error).split())[:200] or type(error).__name__
            record.msg, record.args = f"{record.getMessage()}: {reason}", ()
            record.exc_info = record.exc_text = None
        return True


def main(argv: list[str] | None = None) -> None:
    from aiohttp import web

    handler = logging.StreamHandler()
    handler.addFilter(OneLine())
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", handlers=[handler])

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--body-timeout", type=float, default=BODY_TIMEOUT)
    args = parser.parse_args(argv)
    print(f"proxy {os.getpid()} listening on {args.host}:{args.port}", flush=True)
    web.run_app(
        make_app(Backends(args.state), args.body_timeout),
        host=args.host,
        port=args.port,
        backlog=1024,
        keepalive_timeout=IDLE_TIMEOUT,
        access_log=None,
        print=None,
        handle_signals=True,
    )


if __name__ == "__main__":
    main()
