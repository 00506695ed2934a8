"""Smoke test: invoke the endpoint with rows of the test split, check the answer's shape and the
latency. The checks are pure functions (check_predictions); invoke() only sends and times.

Contract with training_code/serve.py: POST text/csv (feature rows in schema order, no header) or
application/json ({"instances": [[...], ...]}); the answer is JSON
{"predictions": [{"label": 0|1, "probability": float}, ...]}, one per row.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from deploy.aws import Clients
from deploy.builders import split_s3_uri
from deploy.errors import DeployError, SmokeTestError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "training_code" / "schema.json"
DEFAULT_LABEL = "malignant"


def schema() -> tuple[list[str] | None, str]:
    """Feature order and label from training_code/schema.json when present (not in the Lambda)."""
    if SCHEMA_PATH.exists():
        data = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        return list(data["features"]), data.get("label", DEFAULT_LABEL)
    return None, DEFAULT_LABEL


def rows_from_csv(
    text: str, limit: int, features: list[str] | None, label: str
) -> list[list[float]]:
    """Up to `limit` feature rows (floats, schema order) from a CSV with a header row."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise DeployError("The test split CSV is empty.")
    header = [name.strip() for name in header]
    wanted = features or [name for name in header if name != label]
    missing = [name for name in wanted if name not in header]
    if missing:
        raise DeployError(
            f"The test split CSV lacks feature column(s) {', '.join(missing[:5])}"
            f"{'...' if len(missing) > 5 else ''}; it needs a header row with the schema's names."
        )
    index = [header.index(name) for name in wanted]
    rows = []
    for record in reader:
        if not record:
            continue
        try:
            rows.append([float(record[i]) for i in index])
        except (ValueError, IndexError) as error:
            raise DeployError(f"Bad row {len(rows) + 2} in the test split CSV: {error}") from None
        if len(rows) >= limit:
            break
    if not rows:
        raise DeployError("The test split CSV has a header but no rows.")
    return rows


def read_test_csv(clients: Clients, uri: str) -> str:
    """The first CSV under an S3 prefix (or the object itself), or a local file's text."""
    if not uri.startswith("s3://"):
        path = Path(uri)
        if not path.exists():
            raise DeployError(
                f"Test data {uri} does not exist. Pass --test-data <s3://bucket/prefix/ or a "
                "CSV path>, or omit it to use the package's TestDataUri."
            )
        if path.is_dir():
            candidates = sorted(path.glob("*.csv"))
            if not candidates:
                raise DeployError(f"No .csv file in {path}.")
            path = candidates[0]
        return path.read_text(encoding="utf-8")
    try:
        bucket, key = split_s3_uri(uri)
    except ValueError:
        raise DeployError(
            f"Test data {uri!r} is not an s3://bucket/key URI (nor a local path)."
        ) from None
    if not key.endswith(".csv"):
        prefix = key if key.endswith("/") or not key else key + "/"
        listing = clients.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        keys = sorted(o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(".csv"))
        if not keys:
            raise DeployError(f"No .csv object under {uri} (the package's TestDataUri).")
        key = keys[0]
    return clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


def csv_payload(rows: list[list[float]]) -> bytes:
    return "\n".join(",".join(repr(value) for value in row) for row in rows).encode() + b"\n"


def json_payload(rows: list[list[float]]) -> bytes:
    return json.dumps({"instances": rows}).encode()


def check_predictions(body: bytes | str, expected_rows: int) -> list[str]:
    """Problems with an answer (empty list = good): JSON, one prediction per row, label in
    {0, 1}, probability in [0, 1]."""
    try:
        answer = json.loads(body)
    except (ValueError, TypeError):
        text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
        return [f"the answer is not JSON: {text[:120]!r}"]
    predictions = answer.get("predictions") if isinstance(answer, dict) else None
    if not isinstance(predictions, list):
        return ['the answer has no "predictions" list']
    problems = []
    if len(predictions) != expected_rows:
        problems.append(f"{len(predictions)} predictions for {expected_rows} rows")
    for number, prediction in enumerate(predictions):
        if not isinstance(prediction, dict):
            problems.append(f"prediction {number} is not an object")
            continue
        label = prediction.get("label")
        probability = prediction.get("probability")
        if label not in (0, 1) or isinstance(label, bool):
            problems.append(f"prediction {number}: label {label!r} is not 0 or 1")
        if (
            not isinstance(probability, (int, float))
            or isinstance(probability, bool)
            or not 0.0 <= probability <= 1.0
        ):
            problems.append(f"prediction {number}: probability {probability!r} is not in [0, 1]")
        if len(problems) >= 5:
            break
    return problems


@dataclass
class SmokeResult:
    endpoint_name: str
    rows: int
    latencies_ms: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        timings = ", ".join(f"{kind} {ms:.0f} ms" for kind, ms in self.latencies_ms.items())
        verdict = "passed" if self.ok else "FAILED: " + "; ".join(self.problems)
        return f"Smoke test of {self.endpoint_name} ({self.rows} rows; {timings}): {verdict}"


def run(
    clients: Clients,
    endpoint_name: str,
    rows: list[list[float]],
    max_latency_ms: int,
    clock: Callable[[], float] = time.perf_counter,
) -> SmokeResult:
    """Invoke with all rows as CSV and one row as JSON; collect every problem (never raises for
    a bad answer: the caller decides to roll back)."""
    result = SmokeResult(endpoint_name=endpoint_name, rows=len(rows))
    requests = [
        ("text/csv", csv_payload(rows), len(rows)),
        ("application/json", json_payload(rows[:1]), 1),
    ]
    for content_type, body, expected in requests:
        started = clock()
        try:
            response = clients.runtime.invoke_endpoint(
                EndpointName=endpoint_name,
                ContentType=content_type,
                Accept="application/json",
                Body=body,
            )
            answer = response["Body"].read()
        except Exception as error:
            if type(error).__name__ in ("NoCredentialsError", "EndpointConnectionError"):
                raise
            result.problems.append(f"{content_type}: invoke failed: {error}")
            continue
        elapsed_ms = (clock() - started) * 1000.0
        result.latencies_ms[content_type] = elapsed_ms
        result.problems.extend(f"{content_type}: {p}" for p in check_predictions(answer, expected))
        if elapsed_ms > max_latency_ms:
            result.problems.append(
                f"{content_type}: latency {elapsed_ms:.0f} ms exceeds {max_latency_ms} ms "
                "(endpoint.smoke_test.max_latency_ms)"
            )
    return result


def require_ok(result: SmokeResult) -> None:
    if not result.ok:
        raise SmokeTestError(result.summary())
