"""Data-quality monitoring job: captured endpoint requests against the champion's baseline.

What Model Monitor's analyzer does on AWS, in the same formats, for ENV=local (no Docker):
  --baseline-dir  statistics.json and constraints.json (the champion's, from the Baseline step)
  --capture-dir   SageMaker data-capture files (*.jsonl, one request per line; text/csv or
                  application/json bodies, as the endpoint accepts them)
  --output-dir    constraint_violations.json (Model Monitor's format) and drift_report.json
                  (per feature: its schema name, distance, threshold, noise, means, verdict)
--since keeps only requests captured at or after an ISO time (the champion's approval). Exit 0
with the reports written (violations or not); exit 2 with one line when the input is unusable.
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

import numpy as np

from contract import StepInputError, fail, opt_ml, write_json_atomically
from data_quality import compare, feature_names
from dataset import load_schema


def _rows_of_csv(text: str) -> list[list[float]]:
    rows = []
    for line in text.splitlines():
        if line.strip():
            rows.append([_number(cell) for cell in line.split(",")])
    return rows


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")  # counted against completeness, as Model Monitor counts it


def _rows_of_json(text: str, features: list[str]) -> list[list[float]]:
    payload = json.loads(text)
    instances = payload.get("instances") if isinstance(payload, dict) else payload
    rows = []
    for row in instances or []:
        if isinstance(row, dict):
            rows.append([_number(row.get(name)) for name in features])
        else:
            rows.append([_number(value) for value in row])
    return rows


def request_rows(record: dict, features: list[str]) -> list[list[float]]:
    """The feature rows of one captured request."""
    captured = record["captureData"]["endpointInput"]
    data, encoding = captured.get("data", ""), captured.get("encoding", "")
    kind = captured.get("observedContentType", "").split(";")[0].strip().lower()
    if encoding == "BASE64":
        data = base64.b64decode(data).decode("utf-8", errors="replace")
    if kind == "application/json":
        return _rows_of_json(data, features)
    return _rows_of_csv(data)


def captured_matrix(capture_dir: Path, features: list[str], since: str = "") -> np.ndarray:
    """Every captured feature row at or after `since`, as a float matrix (NaN = unusable)."""
    rows: list[list[float]] = []
    for path in sorted(capture_dir.rglob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if since and record["eventMetadata"]["inferenceTime"] < since:
                    continue
                rows.extend(request_rows(record, features))
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
                raise StepInputError(
                    f"{path}: line {number} is not a SageMaker capture record ({error!r}). "
                    "Remove the file from the capture prefix."
                ) from error
    if not rows:
        raise StepInputError(
            f"{capture_dir}: no captured request{' since ' + since if since else ''}. Turn capture "
            "on (endpoint.data_capture.enabled) and send traffic to the endpoint first."
        )
    width = max(len(row) for row in rows)
    return np.array([row + [np.nan] * (width - len(row)) for row in rows], dtype=np.float64)


def monitor(baseline_dir: Path, capture_dir: Path, output_dir: Path, since: str = "") -> dict:
    """Compare, write both reports, return the drift report."""
    try:
        stats = json.loads((baseline_dir / "statistics.json").read_text(encoding="utf-8"))
        rules = json.loads((baseline_dir / "constraints.json").read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise StepInputError(
            f"{error.filename}: the champion has no data-quality baseline. Approve a model "
            "trained by a pipeline with the Baseline step (make run ENV=local)."
        ) from error
    features = list(load_schema().features)
    matrix = captured_matrix(capture_dir, features, since)
    per_feature, violations = compare(stats, rules, matrix)
    names = feature_names(features)
    for item in per_feature:
        item["column"] = item["feature"]
        item["feature"] = names.get(item["column"], item["column"])
    report = {
        "rows": int(matrix.shape[0]),
        "since": since,
        "verdict": "violation" if violations else "pass",
        "features": per_feature,
        "violations": [{**v, "feature": names.get(v["feature_name"], "")} for v in violations],
    }
    write_json_atomically(output_dir / "constraint_violations.json", {"violations": violations})
    write_json_atomically(output_dir / "drift_report.json", report)
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    processing = opt_ml("processing")
    parser.add_argument("--baseline-dir", type=Path, default=processing / "baseline")
    parser.add_argument("--capture-dir", type=Path, default=processing / "input" / "capture")
    parser.add_argument("--output-dir", type=Path, default=processing / "output")
    parser.add_argument("--since", default="", help="ISO time: only requests captured from then")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        report = monitor(args.baseline_dir, args.capture_dir, args.output_dir, args.since)
    except StepInputError as error:
        fail(str(error), failure_file=opt_ml("output", "message"))
    print(f"monitor: rows={report['rows']} verdict={report['verdict']}", flush=True)


if __name__ == "__main__":
    main()
