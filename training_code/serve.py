"""Inference server: the SageMaker hosting contract (GET /ping, POST /invocations on port 8080).

The standard library's threading HTTP server is enough here: a request is a parse and one
predict_proba call, so a framework would add a dependency and no speed. The same file serves in the
inference image and behind the local endpoint, so what is tested locally is what runs on AWS.

Request bodies: text/csv (one row per line, the features in schema order, no header) or
application/json ({"instances": [[...], ...]} or {"instances": [{"feature": value, ...}, ...]}).
Response: {"predictions": [{"label": 0|1, "probability": p}, ...]}, one per row, or CSV
"label,probability" lines when the Accept header asks for text/csv.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import joblib
import numpy as np

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # SageMaker's own limit for a real-time invocation
MAX_DRAINED_BYTES = 64 * 1024 * 1024  # an oversize body is read and dropped up to this, so the
# client (or the local proxy) gets the 413 instead of a connection reset mid-upload
READ_TIMEOUT = 30.0  # seconds a client may take to send its request


class PayloadError(ValueError):
    """A request the client must fix; becomes a 4xx with this message."""

    def __init__(self, message: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST):
        super().__init__(message)
        self.status = status


class Predictor:
    """The loaded model plus the feature order it was trained with."""

    def __init__(self, model_dir: Path):
        metadata = json.loads((model_dir / "model_metadata.json").read_text(encoding="utf-8"))
        self.features: list[str] = metadata["features"]
        self.model = joblib.load(model_dir / "model.joblib")

    def predict(self, rows: np.ndarray) -> list[dict]:
        probabilities = self.model.predict_proba(rows)[:, 1]
        return [{"label": int(p >= 0.5), "probability": round(float(p), 6)} for p in probabilities]

    def parse(self, body: bytes, content_type: str) -> np.ndarray:
        if not body:
            raise PayloadError("empty request body: send at least one row.")
        kind = content_type.split(";")[0].strip().lower()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise PayloadError("request body is not UTF-8 text.") from error
        if kind == "text/csv":
            return self._check(self._csv_rows(text))
        if kind == "application/json":
            return self._check(self._json_rows(text))
        raise PayloadError(
            f"unsupported Content-Type '{content_type}': use text/csv or application/json.",
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        )

    def _csv_rows(self, text: str) -> list[list[float]]:
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append([float(cell) for cell in line.split(",")])
            except ValueError as error:
                raise PayloadError(
                    f"CSV line {number}: every value must be a number ({error}). Send rows "
                    "without a header."
                ) from error
        return rows

    def _json_rows(self, text: str) -> list[list[float]]:
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as error:
            raise PayloadError(f"malformed JSON: {error.msg} at position {error.pos}.") from error
        instances = payload.get("instances") if isinstance(payload, dict) else payload
        if not isinstance(instances, list):
            raise PayloadError('JSON must be {"instances": [...]} or a list of rows.')
        return [self._json_row(number, row) for number, row in enumerate(instances, start=1)]

    def _json_row(self, number: int, row) -> list[float]:
        if isinstance(row, dict):
            missing = [name for name in self.features if name not in row]
            if missing:
                raise PayloadError(f"instance {number}: missing feature '{missing[0]}'.")
            row = [row[name] for name in self.features]
        if not isinstance(row, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in row
        ):
            raise PayloadError(f"instance {number}: expected a list of numbers.")
        return [float(v) for v in row]

    def _check(self, rows: list[list[float]]) -> np.ndarray:
        if not rows:
            raise PayloadError("no rows in the request body.")
        expected = len(self.features)
        for number, row in enumerate(rows, start=1):
            if len(row) != expected:
                raise PayloadError(
                    f"row {number} has {len(row)} values; the model expects {expected} "
                    f"features in this order: {', '.join(self.features[:3])}, ..."
                )
        matrix = np.asarray(rows, dtype=np.float64)
        if not np.isfinite(matrix).all():
            raise PayloadError("rows must not contain NaN or infinite values.")
        return matrix


def make_handler(predictor: Predictor) -> type[BaseHTTPRequestHandler]:
    class InvocationHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: no TCP handshake per request
        # Headers and body go out in separate writes; without TCP_NODELAY a keep-alive client
        # waits for the delayed ACK (about 40 ms) on every request.
        disable_nagle_algorithm = True
        timeout = READ_TIMEOUT  # a client that stops sending mid-request frees its thread

        def do_GET(self) -> None:
            if self.path == "/ping":
                self._reply(HTTPStatus.OK, b"", "text/plain")
            else:
                self._error(HTTPStatus.NOT_FOUND, "not found: use GET /ping or POST /invocations")

        def do_POST(self) -> None:
            if self.path != "/invocations":
                self.close_connection = True  # its body is not read: the stream ends here
                self._error(HTTPStatus.NOT_FOUND, "not found: use POST /invocations")
                return
            try:
                length = self._content_length()
                if length > MAX_PAYLOAD_BYTES:
                    self._drain(length)
                    raise PayloadError(
                        f"payload of {length} bytes is over SageMaker's 6 MB limit: send fewer "
                        "rows per request.",
                        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    )
                body = self.rfile.read(length)
                if len(body) < length:
                    self.close_connection = True
                    raise PayloadError(
                        f"the body ended after {len(body)} of the {length} bytes announced by "
                        "Content-Length: send the whole body."
                    )
                rows = predictor.parse(body, self.headers.get("Content-Type", ""))
                predictions = predictor.predict(rows)
            except PayloadError as error:
                self._error(error.status, str(error))
                return
            except (TimeoutError, ConnectionError):  # the client stalled or left mid-body
                self.close_connection = True
                return
            if "text/csv" in self.headers.get("Accept", ""):
                text = "".join(f"{p['label']},{p['probability']}\n" for p in predictions)
                self._reply(HTTPStatus.OK, text.encode(), "text/csv")
            else:
                self._reply(
                    HTTPStatus.OK,
                    json.dumps({"predictions": predictions}).encode(),
                    "application/json",
                )

        def _content_length(self) -> int:
            """Content-Length as a count of bytes; chunked bodies are not part of the contract."""
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                self.close_connection = True
                raise PayloadError(
                    "chunked request bodies are not accepted: send Content-Length.",
                    HTTPStatus.LENGTH_REQUIRED,
                )
            values = self.headers.get_all("Content-Length") or ["0"]
            text = values[0].strip()
            if len(set(values)) > 1 or not text.isdigit():
                self.close_connection = True  # the body's end is unknown: the stream is lost
                raise PayloadError(
                    f"Content-Length {text[:20]!r} is not a count of bytes: send the body's "
                    "length in bytes."
                )
            return int(text)

        def _drain(self, length: int) -> None:
            self.close_connection = True
            remaining = min(length, MAX_DRAINED_BYTES)
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 20))
                if not chunk:
                    return
                remaining -= len(chunk)

        def _error(self, status: HTTPStatus, message: str) -> None:
            self._reply(status, json.dumps({"error": message}).encode(), "application/json")

        def _reply(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:
            if os.environ.get("SERVE_ACCESS_LOG"):
                super().log_message(format, *args)

    return InvocationHandler


def build_server(model_dir: Path, host: str, port: int) -> ThreadingHTTPServer:
    from threadpoolctl import threadpool_limits

    # One OpenMP thread per request: small batches pay more for thread start-up than they gain.
    threadpool_limits(1)
    server = ThreadingHTTPServer((host, port), make_handler(Predictor(model_dir)))
    server.daemon_threads = True
    return server


def parse_args(argv: list[str]) -> argparse.Namespace:
    # SageMaker starts the container as `<image> serve`: accept and ignore that word.
    argv = [arg for arg in argv if arg != "serve"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model-dir", type=Path, default=Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    )
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 (a container must listen on all)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    server = build_server(args.model_dir, args.host, args.port)
    print(f"serving {args.model_dir} on {args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
