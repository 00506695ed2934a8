"""python -m local_runner.handler_server: a model's own inference code behind /ping and
/invocations, with the handler contract of SageMaker's framework containers (the
sagemaker-inference toolkit): model_fn(model_dir) once, then per request either
transform_fn(model, body, content_type, accept) or input_fn -> predict_fn -> output_fn. A handler
the module does not define takes the toolkit's default: CSV/JSON/NPY in and out through numpy,
predict_fn calls model.predict.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def default_input_fn(body: bytes, content_type: str) -> Any:
    import numpy as np

    kind = content_type.split(";")[0].strip().lower()
    if kind == "text/csv":
        return np.genfromtxt(io.StringIO(body.decode()), delimiter=",", ndmin=2)
    if kind == "application/json":
        return np.array(json.loads(body))
    if kind == "application/x-npy":
        return np.load(io.BytesIO(body), allow_pickle=False)
    raise ValueError(f"content type {content_type} is not supported by the default input_fn")


def default_predict_fn(data: Any, model: Any) -> Any:
    return model.predict(data)


def default_output_fn(prediction: Any, accept: str) -> tuple[bytes, str]:
    import numpy as np

    kind = (accept or "application/json").split(";")[0].strip().lower()
    array = np.asarray(prediction)
    if kind == "text/csv":
        rows = array.reshape(len(array), -1) if array.ndim else array.reshape(1, 1)
        text = "\n".join(",".join(str(v) for v in row) for row in rows.tolist())
        return (text + "\n").encode(), "text/csv"
    if kind in ("application/json", "*/*"):
        return json.dumps(array.tolist()).encode(), "application/json"
    raise ValueError(f"accept type {accept} is not supported by the default output_fn")


def load_module(code_dir: Path, program: str) -> Any:
    """The program as a module; its folder is on PYTHONPATH (local_runner.serving puts it there,
    as the framework containers do), so it imports its sibling modules."""
    spec = importlib.util.spec_from_file_location(Path(program).stem, code_dir / program)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Handlers:
    def __init__(self, module: Any, model_dir: Path):
        self.module = module
        model_fn = getattr(module, "model_fn", None)
        if model_fn is None:
            raise SystemExit(f"{module.__file__} defines no model_fn(model_dir).")
        self.model = model_fn(str(model_dir))

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        module = self.module
        if hasattr(module, "transform_fn"):
            result = module.transform_fn(self.model, body, content_type, accept)
            return result if isinstance(result, tuple) else (result, accept)
        data = getattr(module, "input_fn", default_input_fn)(body, content_type)
        prediction = getattr(module, "predict_fn", default_predict_fn)(data, self.model)
        output = getattr(module, "output_fn", default_output_fn)(prediction, accept)
        return output if isinstance(output, tuple) else (output, accept)


def make_handler(handlers: Handlers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/ping":
                self._reply(200, b"", "text/plain")
            else:
                self._reply(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            if self.path != "/invocations":
                self._reply(404, b"not found", "text/plain")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            content_type = self.headers.get("Content-Type", "application/json")
            accept = self.headers.get("Accept", "application/json")
            try:
                payload, kind = handlers.invoke(body, content_type, accept)
            except Exception as error:  # the model's own error: a 400 with its message
                self._reply(400, f"{type(error).__name__}: {error}".encode(), "text/plain")
                return
            if isinstance(payload, str):
                payload = payload.encode()
            self._reply(200, payload, kind or accept)

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--code-dir", type=Path, required=True)
    parser.add_argument("--program", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    handlers = Handlers(load_module(args.code_dir, args.program), args.model_dir)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(handlers))
    server.serve_forever()


if __name__ == "__main__":
    main()
