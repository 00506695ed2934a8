"""Transform steps: batch inference with the model's own inference server (local_runner.serving,
the same machinery as the local endpoint), writing what SageMaker's batch transform writes.

For every object under TransformInput's S3 prefix: records are split by SplitType (Line: one per
line; None: the whole object), DataProcessing.InputFilter selects from each record, records are
sent one per request (BatchStrategy SingleRecord) or packed up to MaxPayloadInMB (MultiRecord),
each answer is split back into one line per record, JoinSource=Input joins it to the input record
(CSV: appended columns; JSON: under "SageMakerOutput"), OutputFilter selects from the result, and
the records are assembled (AssembleWith Line: one per line) into <S3OutputPath>/<key>.out.

Filters are SageMaker's JSONPath subset: `$`, `$[1:]`, `$[0,3]`, `$[-1]` on CSV and JSON arrays,
`$.field.sub` and `$['a','b']` on JSON objects.
"""

from __future__ import annotations

import csv
import http.client
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local_runner import endpoint, objectstore, serving
from local_runner.expressions import UnsupportedError

_INDEXES = re.compile(r"^\$\[\s*(-?\d*)\s*(?::\s*(-?\d*)\s*)?\]$|^\$\[([-\d,\s]+)\]$")
_FIELDS = re.compile(r"^\$(?:\.[A-Za-z_][\w]*)+$|^\$\[('[^']*'(?:\s*,\s*'[^']*')*)\]$")
DEFAULT_PAYLOAD_MB = 6


class TransformFailed(RuntimeError):
    """A record the model could not answer, or an answer that does not fit SageMaker's rules."""


def check_filter(expression: str | None, step: str, what: str) -> None:
    """Refuse, before any step runs, a filter this runner cannot apply."""
    if expression in (None, "", "$"):
        return
    if not (_INDEXES.match(expression) or _FIELDS.match(expression)):
        raise UnsupportedError(
            f"step {step}: DataProcessing.{what} '{expression}' is not supported locally "
            "(supported: $, $[i], $[i,j], $[a:b], $.field.sub, $['a','b'])."
        )


def check(arguments: dict[str, Any], step: str) -> None:
    """Refuse, before any step runs, what this runner cannot transform."""
    source = (arguments.get("TransformInput") or {}).get("DataSource") or {}
    if "S3DataSource" not in source:
        raise UnsupportedError(
            f"step {step}: TransformInput.DataSource.S3DataSource is missing (other sources are "
            "not supported locally)."
        )
    data_type = source["S3DataSource"].get("S3DataType", "S3Prefix")
    if data_type != "S3Prefix":
        raise UnsupportedError(
            f"step {step}: S3DataType {data_type} is not supported locally (S3Prefix only)."
        )
    compression = (arguments.get("TransformInput") or {}).get("CompressionType", "None")
    if compression != "None":
        raise UnsupportedError(
            f"step {step}: CompressionType {compression} is not supported locally (None only)."
        )
    split = (arguments.get("TransformInput") or {}).get("SplitType", "None")
    if split not in ("Line", "None"):
        raise UnsupportedError(
            f"step {step}: SplitType {split} is not supported locally (Line or None)."
        )
    processing = arguments.get("DataProcessing") or {}
    for what in ("InputFilter", "OutputFilter"):
        if isinstance(processing.get(what), (str, type(None))):
            check_filter(processing.get(what), step, what)


def _select_list(items: list[Any], expression: str) -> list[Any]:
    match = _INDEXES.match(expression)
    if not match:
        raise TransformFailed(f"filter {expression} needs a JSON object, got a list.")
    start, end, listed = match.groups()
    if listed is not None:
        return [items[int(i)] for i in listed.split(",")]
    if ":" in expression:
        return items[int(start) if start else None : int(end) if end else None]
    return [items[int(start)]]


def apply_filter(record: str, expression: str | None, kind: str) -> str:
    """One record (a CSV line or a JSON document) through a JSONPath filter."""
    if expression in (None, "", "$"):
        return record
    if kind == "csv":
        fields = next(csv.reader([record]))
        return ",".join(_select_list(fields, expression))
    document = json.loads(record)
    if isinstance(document, list):
        return json.dumps(_select_list(document, expression))
    fields = _FIELDS.match(expression)
    if not fields:
        raise TransformFailed(f"filter {expression} needs a JSON list, got an object.")
    if fields.group(1):
        names = [name.strip().strip("'") for name in fields.group(1).split(",")]
        return json.dumps({name: document[name] for name in names})
    for name in expression[2:].split("."):
        document = document[name]
    return json.dumps(document)


def join(record: str, output: str, kind: str) -> str:
    """JoinSource=Input: the input record with the model's answer."""
    if kind == "csv":
        return f"{record},{output}"
    document = json.loads(record)
    try:
        answer = json.loads(output)
    except json.JSONDecodeError:
        answer = output
    if isinstance(document, list):
        return json.dumps([*document, answer])
    return json.dumps({**document, "SageMakerOutput": answer})


def _kind(content_type: str | None) -> str:
    return "csv" if (content_type or "text/csv").split(";")[0].strip() == "text/csv" else "json"


def _records(data: bytes, split: str) -> list[str]:
    text = data.decode("utf-8")
    if split == "Line":
        return [line for line in text.splitlines() if line.strip()]
    if split == "None":
        return [text]
    raise UnsupportedError(f"SplitType {split} is not supported locally (Line or None).")


def _batches(records: list[str], strategy: str, limit_mb: float) -> list[list[int]]:
    if strategy == "SingleRecord":
        return [[i] for i in range(len(records))]
    batches: list[list[int]] = []
    size, limit = 0, limit_mb * 1024 * 1024
    for index, record in enumerate(records):
        length = len(record.encode()) + 1
        if batches and size + length <= limit:
            batches[-1].append(index)
            size += length
        else:
            batches.append([index])
            size = length
    return batches


def _invoke(port: int, body: bytes, content_type: str, accept: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        connection.request(
            "POST",
            "/invocations",
            body=body,
            headers={"Content-Type": content_type, "Accept": accept},
        )
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise TransformFailed(
            f"the model answered {response.status}: {payload[:300].decode(errors='replace')}"
        )
    return payload


def answers(payload: bytes, count: int, accept_kind: str) -> list[str]:
    """One answer per record, as SageMaker splits a batch's answer: by line (CSV, JSON Lines);
    a single JSON list (or {"predictions": [...]}) of that length is accepted too."""
    text = payload.decode("utf-8").strip()
    if count == 1:
        return [text]
    lines = text.splitlines()
    if len(lines) == count:
        return lines
    if accept_kind == "json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            document = None
        if isinstance(document, dict) and len(document) == 1:
            document = next(iter(document.values()))
        if isinstance(document, list) and len(document) == count:
            return [json.dumps(item) for item in document]
    raise TransformFailed(
        f"{count} records were sent in one request and {len(lines)} answers came back; "
        "each record needs one answer line (or set BatchStrategy: SingleRecord)."
    )


def transform_object(data: bytes, arguments: dict[str, Any], port: int) -> bytes:
    """The .out content for one input object."""
    source = arguments.get("TransformInput") or {}
    output = arguments.get("TransformOutput") or {}
    processing = arguments.get("DataProcessing") or {}
    content_type = source.get("ContentType") or "text/csv"
    accept = output.get("Accept") or content_type
    in_kind, out_kind = _kind(content_type), _kind(accept)
    records = _records(data, source.get("SplitType", "None"))
    selected = [apply_filter(r, processing.get("InputFilter"), in_kind) for r in records]
    strategy = arguments.get("BatchStrategy", "MultiRecord")
    limit = float(arguments.get("MaxPayloadInMB") or DEFAULT_PAYLOAD_MB)
    per_record = processing.get("JoinSource") == "Input" or processing.get("OutputFilter") not in (
        None,
        "",
        "$",
    )
    line = output.get("AssembleWith") == "Line"
    pieces: list[str] = []
    for batch in _batches(selected, strategy, limit):
        body = data if source.get("SplitType") == "None" else "\n".join(selected[i] for i in batch)
        payload = _invoke(
            port, body if isinstance(body, bytes) else body.encode(), content_type, accept
        )
        if not per_record:  # the model's answer to the batch, as it is
            text = payload.decode("utf-8")
            pieces.append(text if not line or text.endswith("\n") else text + "\n")
            continue
        for index, answer in zip(batch, answers(payload, len(batch), out_kind), strict=True):
            joined = (
                join(records[index], answer, in_kind)
                if processing.get("JoinSource") == "Input"
                else answer
            )
            kind = in_kind if processing.get("JoinSource") == "Input" else out_kind
            result = apply_filter(joined, processing.get("OutputFilter"), kind)
            pieces.append(result + "\n" if line else result)
    return "".join(pieces).encode()


def _relative(key: str, prefix_key: str) -> str:
    if key == prefix_key:
        return key.rsplit("/", 1)[-1]
    return key[len(prefix_key) :].lstrip("/") if prefix_key else key


def run(
    arguments: dict[str, Any],
    step: str,
    job_name: str,
    container: dict[str, Any],
    work_dir: Path,
    arn: str,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Run the batch transform; the step's properties (DescribeTransformJob)."""
    source = ((arguments.get("TransformInput") or {}).get("DataSource") or {}).get("S3DataSource")
    if not source:
        raise UnsupportedError(f"step {step}: TransformInput.DataSource.S3DataSource is missing.")
    if source.get("S3DataType", "S3Prefix") != "S3Prefix":
        raise UnsupportedError(
            f"step {step}: S3DataType {source.get('S3DataType')} is not supported locally "
            "(S3Prefix only)."
        )
    output_path = (arguments.get("TransformOutput") or {}).get("S3OutputPath")
    if not output_path:
        raise UnsupportedError(f"step {step}: TransformOutput.S3OutputPath is missing.")
    objects = objectstore.list_objects(source["S3Uri"])
    if not objects:
        raise TransformFailed(f"no object under {source['S3Uri']}.")
    model_dir = serving.extract(container["ModelDataUrl"], work_dir / "model")
    backend = serving.start(container, model_dir, endpoint.free_port(), work_dir / "stdout.log")
    try:
        _, prefix_key = objectstore.parse(source["S3Uri"])
        for key, path in objects:
            relative = _relative(key, prefix_key)
            result = transform_object(path.read_bytes(), arguments, backend.port)
            objectstore.put_bytes(f"{output_path.rstrip('/')}/{relative}.out", result)
        say(f"    {len(objects)} object(s) transformed into {output_path}")
    finally:
        serving.stop(backend.process)
    return {
        **arguments,
        "TransformJobName": job_name,
        "TransformJobArn": arn,
        "TransformJobStatus": "Completed",
    }
