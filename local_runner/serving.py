"""Which inference server runs a model, decided from the model itself, and starting/stopping it.

A model's container (Image, ModelDataUrl, Environment; from CreateModel or a registered package)
is served by, in this order:
1. its own inference code: `SAGEMAKER_PROGRAM` (with `SAGEMAKER_SUBMIT_DIRECTORY`: an s3 URI of a
   source tarball or prefix, or /opt/ml/model/code) or a `code/inference.py` inside model.tar.gz,
   as SageMaker's framework containers (sklearn, xgboost, pytorch, huggingface) do. It runs under
   `local_runner.handler_server`, which implements those containers' handler contract (model_fn,
   input_fn, predict_fn, output_fn or transform_fn);
2. the built-in XGBoost algorithm's image (repository sagemaker-xgboost or xgboost) without
   inference code of its own: that algorithm's handlers (builtin_inference/xgboost_serving.py);
3. otherwise the inference server of this template's inference image, training_code/serve.py
   (LOCAL_RUNNER_SERVE_SCRIPT replaces it in tests).

Both answer GET /ping and POST /invocations, so the endpoint's proxy and the Transform step use
any of them the same way.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from env_config import REPO_ROOT
from local_runner import fsutil, objectstore

SERVE_SCRIPT = REPO_ROOT / "training_code" / "serve.py"
HANDLER_MARKER = "local_runner.handler_server"
MODEL_CODE = "/opt/ml/model/code"
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "TMPDIR", "HOME", "PYTHONPATH")
PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # where this local_runner is importable from


# SageMaker's built-in XGBoost algorithm images (AWS's repository names): served by its
# handlers in builtin_inference/, as AWS's container serves the artifact it trained.
BUILTIN_XGBOOST = ("sagemaker-xgboost", "xgboost")
BUILTIN = Path(__file__).resolve().parent / "builtin_inference"


def repository(image: str) -> str:
    """<registry>/<repository>:<tag> (or @<digest>) -> <repository>'s last path part."""
    name = str(image).rsplit("/", 1)[-1]
    return name.split("@", 1)[0].split(":", 1)[0]


class ServingError(RuntimeError):
    """The model cannot be served locally, or its server did not become healthy."""


def serve_script() -> Path:
    return Path(os.environ.get("LOCAL_RUNNER_SERVE_SCRIPT", SERVE_SCRIPT))


def extract(model_data_url: str, target: Path) -> Path:
    """The archive's contents in target (once, atomically: a partial folder is never used)."""
    if target.is_dir():
        return target
    source = objectstore.path_for(model_data_url)
    if not source.is_file():
        raise ServingError(f"model artifact {model_data_url} does not exist ({source}).")
    temporary = target.with_name(target.name + fsutil.PARTIAL_MARK + f"{os.getpid()}-x")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    with tarfile.open(source, "r:gz") as archive:
        archive.extractall(temporary, filter="data")
    os.replace(temporary, target)
    return target


def _code_dir(submit: str, model_dir: Path) -> Path:
    if not submit or submit.rstrip("/") == MODEL_CODE:
        return model_dir / "code"
    if not submit.startswith("s3://"):
        raise ServingError(
            f"SAGEMAKER_SUBMIT_DIRECTORY '{submit}' is neither an s3:// URI nor {MODEL_CODE}."
        )
    target = model_dir.parent / ("code-" + hashlib.sha256(submit.encode()).hexdigest()[:12])
    if target.is_dir():
        return target
    if submit.endswith(".tar.gz"):
        return extract(submit, target)
    if objectstore.download_prefix(submit.rstrip("/") + "/", target) == 0:
        raise ServingError(f"SAGEMAKER_SUBMIT_DIRECTORY {submit}: no object there.")
    return target


def server_command(container: dict[str, Any], model_dir: Path, port: int) -> tuple[list[str], str]:
    """The argv of the model's inference server, and the marker its command line carries
    (server_environment puts a --code-dir on PYTHONPATH)."""
    environment = container.get("Environment") or {}
    program = environment.get("SAGEMAKER_PROGRAM")
    if program:
        code = _code_dir(environment.get("SAGEMAKER_SUBMIT_DIRECTORY", ""), model_dir)
    elif (model_dir / "code" / "inference.py").is_file():
        program, code = "inference.py", model_dir / "code"
    elif repository(container.get("Image", "")) in BUILTIN_XGBOOST:
        program, code = "xgboost_serving.py", BUILTIN
    else:
        script = serve_script()
        argv = [sys.executable, str(script), "--model-dir", str(model_dir)]
        return [*argv, "--port", str(port), "--host", "127.0.0.1"], script.name
    if not (code / program).is_file():
        raise ServingError(
            f"the model's inference code {program} is not in {code} (SAGEMAKER_PROGRAM / "
            "SAGEMAKER_SUBMIT_DIRECTORY of the model's container)."
        )
    argv = [sys.executable, "-m", HANDLER_MARKER, "--model-dir", str(model_dir)]
    argv += ["--code-dir", str(code), "--program", program, "--port", str(port)]
    return argv, HANDLER_MARKER


def server_environment(container: dict[str, Any], argv: list[str]) -> dict[str, str]:
    """The container's Environment over a clean base: no AWS credentials reach the model code.
    The model's code folder (--code-dir) and this package come first on PYTHONPATH."""
    env = {key: os.environ[key] for key in KEPT_VARIABLES if key in os.environ}
    env.update({k: str(v) for k, v in (container.get("Environment") or {}).items()})
    env.update({"PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"})
    code = [argv[argv.index("--code-dir") + 1]] if "--code-dir" in argv else []
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [*code, str(PACKAGE_ROOT), str(REPO_ROOT), env.get("PYTHONPATH")])
    )
    return env


@dataclass
class Backend:
    process: subprocess.Popen
    port: int
    marker: str
    log: Path


def healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/ping")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def start(
    container: dict[str, Any], model_dir: Path, port: int, log: Path, timeout: float = 60.0
) -> Backend:
    """Start the model's server and wait for GET /ping = 200 (or raise with the log's tail)."""
    argv, marker = server_command(container, model_dir, port)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        process = subprocess.Popen(
            argv,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=server_environment(container, argv),
        )
    deadline = time.time() + timeout
    while not healthy(port):
        if process.poll() is not None or time.time() > deadline:
            stop(process)
            text = log.read_text(errors="replace") if log.exists() else ""
            tail = "\n".join(text.splitlines()[-20:])
            raise ServingError(f"the model server did not become healthy on port {port}: {tail}")
        time.sleep(0.05)
    return Backend(process, port, marker, log)


def stop(process: subprocess.Popen, grace: float = 5.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
