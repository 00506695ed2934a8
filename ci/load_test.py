"""A short, bounded load test of an environment's endpoint, run by the deploy workflow in staging.

`python -m ci load-test --env staging [--requests 200] [--concurrency 4] [--max-seconds 60]`
Sends single-row JSON requests built from the sample data (`make data`) with a fixed number of
workers, stops at the request count or the time bound (whichever comes first), and fails when any
request errors or the p95 latency exceeds endpoint.smoke_test.max_latency_ms of the environment.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from env_config import REPO_ROOT, load

SAMPLE = REPO_ROOT / "data" / "raw" / "breast_cancer.csv"


@dataclass(frozen=True)
class Result:
    sent: int
    errors: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    seconds: float

    def problems(self, max_p95_ms: float) -> list[str]:
        found = []
        if self.sent == 0:
            found.append("no request was sent")
        if self.errors:
            found.append(f"{self.errors} of {self.sent} requests failed")
        if self.p95_ms > max_p95_ms:
            found.append(f"p95 latency {self.p95_ms:.0f} ms exceeds {max_p95_ms:.0f} ms")
        return found


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def rows_from_csv(path: Path, features: list[str], limit: int = 200) -> list[list[float]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [
            [float(record[name]) for name in features]
            for _, record in zip(range(limit), reader, strict=False)
        ]
    if not rows:
        raise ValueError(f"{path} has no rows: run `make data`.")
    return rows


def run(
    invoke: Callable[[bytes], None],
    bodies: list[bytes],
    requests: int,
    concurrency: int,
    max_seconds: float,
    clock: Callable[[], float] = time.perf_counter,
) -> Result:
    """Send up to `requests` bodies (cycled) on `concurrency` workers within `max_seconds`."""
    started = clock()
    latencies: list[float] = []
    errors = 0

    def one(index: int) -> tuple[float, bool]:
        if clock() - started > max_seconds:
            return (-1.0, False)
        begin = clock()
        try:
            invoke(bodies[index % len(bodies)])
        except Exception:  # every failure counts as an error of the endpoint
            return (clock() - begin, True)
        return (clock() - begin, False)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for elapsed, failed in pool.map(one, range(requests)):
            if elapsed < 0:
                continue  # past the time bound: not sent
            latencies.append(elapsed * 1000)
            errors += failed
    return Result(
        sent=len(latencies),
        errors=errors,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        max_ms=max(latencies, default=0.0),
        seconds=clock() - started,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--data", type=Path, default=SAMPLE)
    args = parser.parse_args(argv)
    config = load(args.env)
    schema = json.loads((REPO_ROOT / "training_code" / "schema.json").read_text(encoding="utf-8"))
    bodies = [
        json.dumps({"instances": [row]}).encode()
        for row in rows_from_csv(args.data, schema["features"])
    ]
    import boto3

    runtime = boto3.client("sagemaker-runtime", region_name=config.region)
    endpoint = config.get("resources.endpoint_name")

    def invoke(body: bytes) -> None:
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Body=body)

    result = run(invoke, bodies, args.requests, args.concurrency, args.max_seconds)
    limit = float(config.get("endpoint.smoke_test.max_latency_ms"))
    problems = result.problems(limit)
    report = (
        f"Load test of {endpoint}: {result.sent} requests in {result.seconds:.1f} s on "
        f"{args.concurrency} workers, {result.errors} errors, p50 {result.p50_ms:.0f} ms, "
        f"p95 {result.p95_ms:.0f} ms (limit {limit:.0f}), max {result.max_ms:.0f} ms."
    )
    print(report)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(f"### Load test ({args.env})\n\n{report}\n\n")
    for problem in problems:
        print(f"load test failed: {problem}", file=sys.stderr)
    return 1 if problems else 0
