"""A stricter stand-in for SageMaker's endpoint updates: an HTTP proxy in front of `moto_server`.

moto 5 has no UpdateEndpoint, and its endpoints are InService the moment they are created, so a
fake that switches configs instantly never exercises the update path. This proxy forwards every
request to moto unchanged, except these SageMaker actions (X-Amz-Target), which it answers with
the endpoint lifecycle SageMaker documents for DescribeEndpoint/UpdateEndpoint:

- CreateEndpoint: forwarded; the endpoint then reads `Creating` for `seconds`, then InService.
- UpdateEndpoint: the endpoint and the config must exist (asked of moto); an endpoint that is not
  InService is refused with ValidationException "Cannot update in-progress endpoint", as
  SageMaker does. Otherwise it reads `Updating` for `seconds`, with the new config under
  PendingDeploymentSummary and the old one as EndpointConfigName; then:
  - normally: InService on the new config;
  - `fail_next_update(reason)`: InService on the OLD config with FailureReason (blue/green keeps
    the old fleet when the new one fails);
  - `alarm_next_update()`: `RollingBack` for `seconds` (an auto-rollback alarm fired during the
    canary), then InService on the old config.
- DescribeEndpoint: moto's answer with the lifecycle above laid over it.
- DeleteEndpoint: forwarded; the lifecycle is forgotten.

A transitional state lasts at least `seconds` and until one DescribeEndpoint has shown it, so a
client polling on a busy machine sees every state: no assertion depends on timing.

Requests and answers keep botocore's wire format (JSON protocol), so the client parses them
against the service model as it would AWS's. The proxy binds port 0 and keeps its state per
instance: parallel-safe.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


@dataclass
class Lifecycle:
    config: str
    status: str = "InService"
    until: float = 0.0
    pending: str = ""
    outcome: str = "ok"  # ok | fail | alarm
    reason: str = ""
    failure_reason: str = ""
    seen: bool = False  # the current state was shown by a DescribeEndpoint

    def settle(self, now: float, seconds: float) -> None:
        """Advance the state machine to `now`. A transitional state ends only after its time AND
        after one DescribeEndpoint has shown it, so a client polling on a busy machine still sees
        every state (the assertions do not depend on timing)."""
        if not self.seen or now < self.until:
            return
        if self.status == "Creating":
            self.status = "InService"
        elif self.status == "Updating":
            if self.outcome == "ok":
                self.config, self.status = self.pending, "InService"
            elif self.outcome == "fail":
                self.status, self.failure_reason = "InService", self.reason
            else:  # alarm: roll back to the old config
                self.status, self.until, self.seen = "RollingBack", now + seconds, False
            self.pending = ""
        elif self.status == "RollingBack":
            self.status = "InService"


@dataclass
class StandIn:
    upstream: str  # http://127.0.0.1:<moto port>
    seconds: float = 1.0
    region: str = "us-east-1"
    endpoints: dict[str, Lifecycle] = field(default_factory=dict)
    update_requests: list[dict] = field(default_factory=list)
    refused_updates: int = 0
    _next: tuple[str, str] = ("ok", "")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next_update(self, reason: str = "The new fleet failed its health checks.") -> None:
        self._next = ("fail", reason)

    def alarm_next_update(self) -> None:
        self._next = ("alarm", "")

    def finish_now(self) -> None:
        """End every transition now (a test need not sleep through one)."""
        with self._lock:
            for life in self.endpoints.values():
                for _ in range(2):  # RollingBack needs a second step
                    life.until, life.seen = 0.0, True
                    life.settle(time.monotonic(), 0.0)

    # -- serving ------------------------------------------------------------------------------
    def start(self) -> str:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:  # quiet
                pass

            def handle_any(self) -> None:
                body = self._body()
                target = self.headers.get("X-Amz-Target", "")
                action = target.split(".", 1)[1] if target.startswith("SageMaker.") else ""
                answer = standin.intercept(action, body, self._forward)
                status, headers, payload = answer or self._forward(body)
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _forward(self, body: bytes, headers: dict | None = None):
                parts = urlsplit(standin.upstream)
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                sent = {
                    k: v
                    for k, v in (headers or dict(self.headers.items())).items()
                    if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"
                }
                sent["Content-Length"] = str(len(body))
                method, path = (self.command, self.path) if headers is None else ("POST", "/")
                connection.request(method, path, body=body, headers=sent)
                response = connection.getresponse()
                payload = response.read()
                connection.close()
                return response.status, response.getheaders(), payload

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- the endpoint lifecycle ---------------------------------------------------------------
    def intercept(self, action: str, body: bytes, forward):
        if action not in ("CreateEndpoint", "UpdateEndpoint", "DescribeEndpoint", "DeleteEndpoint"):
            return None
        request = json.loads(body or b"{}")
        name = request.get("EndpointName", "")
        now = time.monotonic()
        with self._lock:
            if action == "CreateEndpoint":
                answer = forward(body)
                if answer[0] == 200:
                    self.endpoints[name] = Lifecycle(
                        config=request["EndpointConfigName"],
                        status="Creating",
                        until=now + self.seconds,
                    )
                return answer
            if action == "DeleteEndpoint":
                self.endpoints.pop(name, None)
                return forward(body)
            if action == "DescribeEndpoint":
                return self._describe(name, body, forward, now)
            return self._update(name, request, forward, now)

    def _ask(self, forward, action: str, request: dict):
        headers = {
            "X-Amz-Target": f"SageMaker.{action}",
            "Content-Type": "application/x-amz-json-1.1",
            # moto reads the account from MOTO_ACCOUNT_ID and the region from the signature
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/"
            f"{self.region}/sagemaker/aws4_request, SignedHeaders=host, Signature=x",
        }
        return forward(json.dumps(request).encode(), headers)

    def _describe(self, name: str, body: bytes, forward, now: float):
        status, headers, payload = forward(body)
        life = self.endpoints.get(name)
        if status != 200 or life is None:
            return status, headers, payload
        life.settle(now, self.seconds)
        life.seen = True
        answer = json.loads(payload)
        answer["EndpointStatus"] = life.status
        answer["EndpointConfigName"] = life.config
        answer.pop("PendingDeploymentSummary", None)
        answer.pop("FailureReason", None)
        if life.pending:
            answer["PendingDeploymentSummary"] = {
                "EndpointConfigName": life.pending,
                "StartTime": answer.get("LastModifiedTime", 0),
            }
        if life.failure_reason:
            answer["FailureReason"] = life.failure_reason
        return 200, headers, json.dumps(answer).encode()

    def _update(self, name: str, request: dict, forward, now: float):
        self.update_requests.append(request)
        status, _, payload = self._ask(forward, "DescribeEndpoint", {"EndpointName": name})
        if status != 200:
            return error(f'Could not find endpoint "{name}".')
        described = json.loads(payload)
        config = request.get("EndpointConfigName", "")
        if self._ask(forward, "DescribeEndpointConfig", {"EndpointConfigName": config})[0] != 200:
            return error(f'Could not find endpoint configuration "{config}".')
        life = self.endpoints.setdefault(name, Lifecycle(config=described["EndpointConfigName"]))
        life.settle(now, self.seconds)
        if life.status != "InService":
            self.refused_updates += 1
            return error(f'Cannot update in-progress endpoint "{name}" (it is {life.status}).')
        outcome, reason = self._next
        self._next = ("ok", "")
        life.status, life.pending, life.until = "Updating", config, now + self.seconds
        life.seen = False
        life.outcome, life.reason, life.failure_reason = outcome, reason, ""
        arn = described["EndpointArn"]
        return (
            200,
            [("Content-Type", "application/x-amz-json-1.1")],
            json.dumps({"EndpointArn": arn}).encode(),
        )


def error(message: str, code: str = "ValidationException"):
    body = json.dumps({"__type": code, "message": message}).encode()
    return 400, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)], body
