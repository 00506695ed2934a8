"""Benchmarks of ENV=local (issue 4, section 7), measured side by side in one process run.

1. Overhead: a cold local run of the generated definition (object store, per-step folders, cache
   bookkeeping, registry) divided by the three step scripts run directly on the same data.
2. Cache: a rerun with nothing changed divided by the cold run (the run in between lets
   Evaluate see the new champion once). If the generated definition still puts the execution id
   in Train's CheckpointConfig.S3Uri (which keeps Train out of the cache, on AWS too), a copy
   without it is measured as well.
3. Endpoint (127.0.0.1 only, bounded): throughput through the proxy divided by raw predict on
   the same rows, p50/p99 single-row latency, errors under a --load-seconds load.

Usage: python -m benchmarks local [--repeat 3] [--load-seconds 60] [--write]
(--write records benchmarks/results/local.json and regenerates docs/benchmarks.md.)
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # same as the endpoint's backends: a fair raw figure

import argparse
import http.client
import json
import shutil
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
CODE = REPO / "training_code"


def run_script(script: str, opt_ml: Path) -> None:
    env = {**os.environ, "SM_OPT_ML": str(opt_ml)}
    for name in list(env):
        if name.startswith("SM_") and name != "SM_OPT_ML":
            del env[name]
    subprocess.run(
        [sys.executable, str(CODE / script)], env=env, check=True, capture_output=True, timeout=900
    )


def direct(raw_csv: Path, hyperparameters: dict[str, str], work: Path) -> float:
    """preprocess.py, baseline.py, train.py, evaluate.py (the steps of the local pipeline) run
    directly, with the least glue that connects them."""
    from local_runner.jobs import pack_model  # the runner's own packing: the same work in both

    shutil.rmtree(work, ignore_errors=True)
    started = time.perf_counter()
    prep = work / "prep"
    (prep / "processing" / "input" / "data").mkdir(parents=True)
    shutil.copy(raw_csv, prep / "processing" / "input" / "data" / raw_csv.name)
    run_script("preprocess.py", prep)
    base = work / "baseline"  # the pipeline's Baseline step: the same work on both sides
    shutil.copytree(prep / "processing" / "train", base / "processing" / "input" / "train")
    run_script("baseline.py", base)
    train = work / "train"
    for channel in ("train", "validation", "statistics"):
        shutil.copytree(prep / "processing" / channel, train / "input" / "data" / channel)
    (train / "input" / "config").mkdir(parents=True)
    (train / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    run_script("train.py", train)
    evaluate = work / "evaluate" / "processing"
    pack_model(train / "model", evaluate / "model" / "model.tar.gz")
    for output in ("test", "statistics"):  # evaluate checks every host's test part is there
        shutil.copytree(prep / "processing" / output, evaluate / output)
    (evaluate / "champion").mkdir()
    (evaluate / "champion" / "NO_CHAMPION").write_text("")
    run_script("evaluate.py", work / "evaluate")
    return time.perf_counter() - started


def local_run(home: Path, definition: Path) -> tuple[float, object]:
    """One `make run ENV=local` (lifecycle.run) in its own LOCAL_RUNNER_HOME; seconds, result."""
    os.environ["LOCAL_RUNNER_HOME"] = str(home)
    from local_runner import lifecycle

    started = time.perf_counter()
    result = lifecycle.run(lifecycle.Local.load(), definition_path=definition, out=lambda _: None)
    elapsed = time.perf_counter() - started
    if result.status != "Succeeded":
        raise SystemExit(f"benchmark run failed: {result.failure}")
    return elapsed, result


def stable_checkpoint_copy(definition: Path, target: Path) -> Path:
    data = json.loads(definition.read_text())
    for step in data["Steps"]:
        if step["Type"] == "Training" and "CheckpointConfig" in step["Arguments"]:
            step["Arguments"]["CheckpointConfig"]["S3Uri"] = (
                "s3://"
                + (
                    json.dumps(step["Arguments"]["CheckpointConfig"]["S3Uri"]).split("s3://")[1]
                ).split('"')[0]
            )
    target.write_text(json.dumps(data, indent=2, sort_keys=True))
    return target


def connect(port: int) -> http.client.HTTPConnection:
    """A keep-alive client with TCP_NODELAY, as urllib3/requests and curl behave: http.client
    sends headers and body in two writes, and with Nagle on each request would wait for the
    server's delayed ACK (~40 ms) - a client artefact, not the endpoint's latency."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    client.connect()
    client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client


def checkpoint_has_execution_id(definition: Path) -> bool:
    steps = json.loads(definition.read_text())["Steps"]
    configs = [s["Arguments"].get("CheckpointConfig") for s in steps if s["Type"] == "Training"]
    return "Execution.PipelineExecutionId" in json.dumps(configs)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def load_serve_module():
    """training_code/serve.py, loaded by path: it runs inside the inference image, not a package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("serve", CODE / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def endpoint_figures(home: Path, load_seconds: float) -> dict[str, float]:
    os.environ["LOCAL_RUNNER_HOME"] = str(home)
    import numpy as np

    Predictor = load_serve_module().Predictor

    from local_runner import endpoint, lifecycle, smoke

    local = lifecycle.Local.load()
    record = local.registry.get(local.group, local.registry.champion(local.group)["version"])
    port = endpoint.free_port()
    endpoint.deploy(record, port, out=lambda _: None)
    try:
        rows = smoke.read_rows(smoke.test_uri(record), 10_000).rows  # the package's test split
        bodies = [",".join(row).encode() for row in rows]
        matrix = np.array([[float(x) for x in row] for row in rows])
        predictor = Predictor(endpoint.extract_model(record))
        # raw: the same model, in process, one row per call (what one request does)
        for row in matrix[:20]:
            predictor.predict(row.reshape(1, -1))
        started = time.perf_counter()
        count = 0
        while time.perf_counter() - started < 5:
            for row in matrix:
                predictor.predict(row.reshape(1, -1))
            count += len(matrix)
        raw_rows = count / (time.perf_counter() - started)
        batch_started = time.perf_counter()
        batches = 0
        while time.perf_counter() - batch_started < 3:
            predictor.predict(matrix)
            batches += 1
        raw_batch_rows = batches * len(matrix) / (time.perf_counter() - batch_started)

        # single-row latency, one client, sequential, keep-alive
        conn = connect(port)
        latencies = []
        for index in range(1000):
            body = bodies[index % len(bodies)]
            t0 = time.perf_counter()
            conn.request("POST", "/invocations", body, {"Content-Type": "text/csv"})
            response = conn.getresponse()
            response.read()
            latencies.append((time.perf_counter() - t0) * 1000)
        conn.close()

        def load(seconds: float, body_for, threads: int) -> tuple[int, int, float]:
            ok = errors = 0
            lock = threading.Lock()
            stop = time.perf_counter() + seconds

            def worker(offset: int) -> None:
                nonlocal ok, errors
                client = connect(port)
                index = offset
                while time.perf_counter() < stop:
                    try:
                        client.request(
                            "POST", "/invocations", body_for(index), {"Content-Type": "text/csv"}
                        )
                        response = client.getresponse()
                        response.read()
                        good = response.status == 200
                    except (OSError, http.client.HTTPException):
                        good = False
                        client.close()
                        client = connect(port)
                    with lock:
                        ok, errors = (ok + 1, errors) if good else (ok, errors + 1)
                    index += 1
                client.close()

            started = time.perf_counter()
            pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
            return ok, errors, time.perf_counter() - started

        ok, errors, seconds = load(load_seconds, lambda i: bodies[i % len(bodies)], 4)
        batch_body = b"\n".join(bodies)
        batch_ok, batch_errors, batch_seconds = load(min(load_seconds, 10), lambda i: batch_body, 4)
    finally:
        endpoint.undeploy(out=lambda _: None)
    return {
        "raw_rows_per_s": raw_rows,
        "endpoint_rows_per_s": ok / seconds,
        "raw_batch_rows_per_s": raw_batch_rows,
        "endpoint_batch_rows_per_s": batch_ok * len(bodies) / batch_seconds,
        "batch_rows": len(bodies),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "load_seconds": seconds,
        "load_requests": ok + errors,
        "load_errors": errors + batch_errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--load-seconds", type=float, default=60.0)
    report.add_write_flag(parser)
    args = parser.parse_args(argv)
    run = report.start("local", argv)

    from env_config import load
    from local_runner import lifecycle

    config = load("local")
    lifecycle.ensure_definition(out=lambda _: None)
    if not lifecycle.SAMPLE_DATA.is_file():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sample_data",
                "--out",
                str(lifecycle.SAMPLE_DATA),
            ],
            check=True,
        )
    hyperparameters = {k: str(v) for k, v in config.get("pipeline.hyperparameters").items()}
    scratch = Path(tempfile.mkdtemp(prefix="benchmark-local-"))
    definitions = {"definition as generated": lifecycle.DEFINITION}
    if checkpoint_has_execution_id(lifecycle.DEFINITION):
        definitions["Train checkpoint URI without execution id"] = stable_checkpoint_copy(
            lifecycle.DEFINITION, scratch / "stable-definition.json"
        )
    direct_times: list[float] = []
    cold: dict[str, list[float]] = {name: [] for name in definitions}
    rerun: dict[str, list[float]] = {name: [] for name in definitions}
    cached: dict[str, list[str]] = {}
    try:
        for index in range(args.repeat):  # interleaved, so load on the machine hits both alike
            direct_times.append(direct(lifecycle.SAMPLE_DATA, hyperparameters, scratch / "direct"))
            for number, (name, definition) in enumerate(definitions.items()):
                home = scratch / f"home-{number}-{index}"
                seconds, _ = local_run(home, definition)
                local_run(home, definition)  # approval changed the champion: Evaluate reruns once
                again, result = local_run(home, definition)  # nothing changed since
                cold[name].append(seconds)
                rerun[name].append(again)
                cached[name] = [n for n, s in result.steps.items() if s.status == "Cached"]
        figures = endpoint_figures(scratch / "home-0-0", args.load_seconds)
    finally:
        os.environ.pop("LOCAL_RUNNER_HOME", None)
        shutil.rmtree(scratch, ignore_errors=True)

    median = statistics.median
    conditions = (
        f"Medians of {args.repeat} interleaved rounds on the sample dataset (569 rows): the local "
        "runs and the direct runs take turns, so other work on the machine inflates both alike."
    )
    timings = {
        "direct": median(direct_times),
        "cold": {name: median(values) for name, values in cold.items()},
        "rerun": {name: median(values) for name, values in rerun.items()},
        "cached": cached,
    }
    report.publish(run, conditions=conditions, tables=tables(timings, figures), write=args.write)
    return 0


def tables(timings: dict, figures: dict[str, float]) -> list[report.Table]:
    """timings: direct (s), cold and rerun (s per definition variant), cached (step names per
    variant); figures: what endpoint_figures returns."""
    first = next(iter(timings["cold"]))
    overhead = timings["cold"][first] / timings["direct"]
    throughput = figures["endpoint_rows_per_s"] / figures["raw_rows_per_s"]
    batch_throughput = figures["endpoint_batch_rows_per_s"] / figures["raw_batch_rows_per_s"]
    rows = [
        ["local end-to-end run / the four step scripts run directly",
         f"{timings['cold'][first]:.1f} s / {timings['direct']:.1f} s = **{overhead:.2f}**",
         "<= 1.15"],
        *[
            [f"cached rerun with nothing changed / cold run, {name}",
             f"{timings['rerun'][name]:.2f} s / {timings['cold'][name]:.1f} s = "
             f"**{timings['rerun'][name] / timings['cold'][name]:.3f}** (cached: "
             f"{', '.join(timings['cached'][name]) or 'none'})",
             "<= 0.05"]
            for name in timings["cold"]
        ],
        ["endpoint / raw predict, one row per request (4 clients)",
         f"{figures['endpoint_rows_per_s']:.0f} / {figures['raw_rows_per_s']:.0f} rows/s = "
         f"**{throughput:.2f}**", ">= 0.5"],
        [f"endpoint / raw predict, {figures['batch_rows']} rows per request",
         f"{figures['endpoint_batch_rows_per_s']:.0f} / {figures['raw_batch_rows_per_s']:.0f} "
         f"rows/s = **{batch_throughput:.2f}**", ">= 0.5"],
        ["single-row latency through the proxy, p50 / p99",
         f"{figures['p50_ms']:.2f} ms / **{figures['p99_ms']:.2f} ms**", "p99 <= 10 ms"],
        [f"errors under load ({figures['load_seconds']:.0f} s, 4 clients, "
         f"{figures['load_requests']} requests, 127.0.0.1)", f"**{figures['load_errors']}**", "0"],
    ]  # fmt: skip
    return [
        report.Table(
            ["figure", "value", "goal"],
            rows,
            "overhead <= 1.15, cached rerun <= 0.05 of a cold run, endpoint >= 0.5 of raw "
            "predict, p99 <= 10 ms, no errors",
            report.Headline(
                "local end-to-end run / the four step scripts run directly",
                round(overhead, 2),
                "<= 1.15",
            ),
        )
    ]
