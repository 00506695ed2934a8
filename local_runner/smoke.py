"""The local endpoint's smoke test, for whatever model serves: test rows come from the served
model package itself, not from a step name of this template.

Where the rows come from: the package's `TestDataUri` (CustomerMetadataProperties), else the
output named `test` of a processing step of the execution that registered it. A CSV with a header
that holds training_code/schema.json's features is read by name (label known: the answers must
agree with it); a CSV without a header follows SageMaker's built-in algorithms (label in the first
column): the rows are sent and one answer per row is required, in the model's own format. Anything
else skips the smoke test with the reason, never silently.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from typing import Any

from env_config import REPO_ROOT
from local_runner import endpoint, fsutil, objectstore, paths, transform

SCHEMA = REPO_ROOT / "training_code" / "schema.json"


class SmokeError(RuntimeError):
    """The endpoint answered wrongly: the message says what and how badly."""


class Skipped(RuntimeError):
    """No test rows for this model; the message says why."""


@dataclass
class TestRows:
    rows: list[list[str]]
    labels: list[int] | None  # None: the model's answer format is its own, only counted
    source: str


def test_uri(record: dict[str, Any]) -> str:
    """Where the served package's test split is."""
    uri = (record.get("CustomerMetadataProperties") or {}).get("TestDataUri")
    if uri:
        return uri
    execution_id = (record.get("Lineage") or {}).get("PipelineExecutionId")
    execution_file = paths.runs_dir() / str(execution_id) / "execution.json"
    if execution_id and execution_file.is_file():
        for step in fsutil.read_json(execution_file)["Steps"].values():
            outputs = ((step.get("Properties") or {}).get("ProcessingOutputConfig") or {}).get(
                "Outputs"
            ) or []
            for output in outputs:
                if output.get("OutputName") == "test" and "S3Output" in output:
                    return output["S3Output"]["S3Uri"]
    raise Skipped(
        f"version {record.get('ModelPackageVersion')} names no test split (no TestDataUri in its "
        "CustomerMetadataProperties, and the run that registered it has no processing output "
        "named 'test')"
    )


def read_rows(uri: str, count: int) -> TestRows:
    objects = [
        path
        for key, path in objectstore.list_objects(uri.rstrip("/") + "/")
        if key.endswith(".csv")
    ] or [path for key, path in objectstore.list_objects(uri) if key.endswith(".csv")]
    if not objects:
        raise Skipped(f"no CSV file under the test split {uri}")
    with objects[0].open(encoding="utf-8", newline="") as handle:
        records = [row for _, row in zip(range(count + 1), csv.reader(handle), strict=False)]
    if not records:
        raise Skipped(f"the test split {objects[0]} is empty")
    header = records[0]
    if all(_is_number(value) for value in header):  # no header: label first (built-in algorithms)
        return TestRows([r[1:] for r in records[:count]], None, str(objects[0]))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8")) if SCHEMA.is_file() else {}
    features = schema.get("features") or []
    if not features or not set([*features, schema.get("label")]) <= set(header):
        raise Skipped(
            f"the test split {objects[0]} has a header ({', '.join(header[:6])}, ...) that is "
            f"not {SCHEMA.relative_to(REPO_ROOT)}'s features and label"
        )
    index = {name: i for i, name in enumerate(header)}
    rows = [[r[index[name]] for name in features] for r in records[1:]]
    labels = [int(float(r[index[schema["label"]]])) for r in records[1:]]
    return TestRows(rows, labels, str(objects[0]))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_answers(payload: bytes, headers: dict[str, str], rows: TestRows) -> float | None:
    """One answer per row; for this template's model, valid labels and >= 80% agreement."""
    if rows.labels is None:
        kind = "json" if "json" in headers.get("content-type", "") else "csv"
        try:
            transform.answers(payload, len(rows.rows), kind)
        except transform.TransformFailed as error:
            raise SmokeError(f"smoke test: {error}") from error
        return None
    predictions = json.loads(payload)["predictions"]
    if len(predictions) != len(rows.rows):
        raise SmokeError(
            f"smoke test: {len(rows.rows)} rows sent, {len(predictions)} predictions back."
        )
    for index, prediction in enumerate(predictions):
        if prediction.get("label") not in (0, 1) or not 0 <= float(prediction["probability"]) <= 1:
            raise SmokeError(f"smoke test: prediction {index} is not valid: {prediction}.")
    pairs = zip(predictions, rows.labels, strict=True)
    agreement = sum(p["label"] == y for p, y in pairs) / len(rows.rows)
    if agreement < 0.8:
        raise SmokeError(
            f"smoke test: only {agreement:.0%} of {len(rows.rows)} test rows predicted correctly; "
            "the served model does not behave like the evaluated one (feature order? wrong model?)."
        )
    return agreement


def smoke_test(port: int, rows: TestRows, max_latency_ms: float | None, out=print) -> dict:
    """The rows in one request (checked), then each row alone (the slowest against the bound)."""
    body = "\n".join(",".join(row) for row in rows.rows).encode()
    status, payload, headers = endpoint.request(port, "POST", "/invocations", body, "text/csv")
    if status != 200:
        raise SmokeError(f"smoke test: POST /invocations returned {status}: {payload[:300]!r}")
    agreement = _check_answers(payload, headers, rows)
    latencies = []
    for row in rows.rows:
        started = time.perf_counter()
        status, _, _ = endpoint.request(port, "POST", "/invocations", ",".join(row).encode())
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SmokeError(f"smoke test: a single-row request returned {status}.")
    slowest = max(latencies)
    if max_latency_ms is not None and slowest > max_latency_ms:
        raise SmokeError(
            f"smoke test: slowest single-row request took {slowest:.0f} ms, over "
            f"endpoint.smoke_test.max_latency_ms={max_latency_ms}."
        )
    correct = f", {agreement:.0%} correct" if agreement is not None else ""
    version = headers.get("x-model-version")
    out(
        f"Smoke test passed: {len(rows.rows)} test rows -> {len(rows.rows)} predictions{correct}, "
        f"slowest "
        f"single row {slowest:.1f} ms (model version {version}; rows from {rows.source})."
    )
    return {
        "rows": len(rows.rows),
        "agreement": agreement,
        "max_latency_ms": round(slowest, 2),
        "version": version,
    }
