"""What a registered model came from, read from the steps that ran (not from naming conventions):
every S3 input of every job (processing inputs, training and tuning channels, transform input)
with the SHA-256 of its content, and every code location (inputs or channels named code/entrypoint/
source, `sagemaker_submit_directory`, `SAGEMAKER_SUBMIT_DIRECTORY`)."""

from __future__ import annotations

import json
from typing import Any

from local_runner import objectstore

CODE_NAMES = ("code", "entrypoint", "source", "sourcedir")


def _unquote(value: Any) -> str:
    """Script mode stores sagemaker_submit_directory JSON-quoted ('"s3://..."')."""
    if isinstance(value, str) and value.startswith('"'):
        try:
            return str(json.loads(value))
        except json.JSONDecodeError:
            return value
    return str(value)


def inputs_of(step: str, properties: dict[str, Any]) -> list[dict[str, str]]:
    """(step, name, uri, kind) for every S3 location a finished step read."""
    found = []
    for item in properties.get("ProcessingInputs") or []:
        uri = (item.get("S3Input") or {}).get("S3Uri")
        if uri:
            found.append((item.get("InputName", "?"), uri))
    job = properties.get("TrainingJobDefinition") or properties
    for channel in job.get("InputDataConfig") or []:
        uri = ((channel.get("DataSource") or {}).get("S3DataSource") or {}).get("S3Uri")
        if uri:
            found.append((channel.get("ChannelName", "?"), uri))
    transform = ((properties.get("TransformInput") or {}).get("DataSource") or {}).get(
        "S3DataSource"
    )
    if transform:
        found.append(("input", transform["S3Uri"]))
    records = [
        {
            "step": step,
            "name": name,
            "uri": uri,
            "kind": "code" if name.lower() in CODE_NAMES else "data",
        }
        for name, uri in found
    ]
    hyperparameters = job.get("HyperParameters") or job.get("StaticHyperParameters") or {}
    environment = properties.get("Environment") or {}
    for name, value in (
        ("sagemaker_submit_directory", hyperparameters.get("sagemaker_submit_directory")),
        ("SAGEMAKER_SUBMIT_DIRECTORY", environment.get("SAGEMAKER_SUBMIT_DIRECTORY")),
    ):
        uri = _unquote(value) if value else ""
        if uri.startswith("s3://"):
            records.append({"step": step, "name": name, "uri": uri, "kind": "code"})
    return records


def _outputs_of(properties: dict[str, Any]) -> list[str]:
    outputs = (properties.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    uris = [o["S3Output"]["S3Uri"] for o in outputs if "S3Output" in o]
    artifacts = (properties.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
    transform = (properties.get("TransformOutput") or {}).get("S3OutputPath")
    return [*uris, *([artifacts] if artifacts else []), *([transform] if transform else [])]


def collect(steps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Inputs (all, hashed), Data (those not produced by a step of this run), Code (locations)."""
    produced = {uri.rstrip("/") for properties in steps.values() for uri in _outputs_of(properties)}
    inputs = []
    for step, properties in steps.items():
        for record in inputs_of(step, properties):
            digest = objectstore.content_hash(record["uri"]) if _known(record["uri"]) else None
            inputs.append({**record, "sha256": digest})
    data = {
        f"{r['step']}.{r['name']}": {"uri": r["uri"], "sha256": r["sha256"]}
        for r in inputs
        if r["kind"] == "data" and r["uri"].rstrip("/") not in produced
    }
    code = sorted({r["uri"] for r in inputs if r["kind"] == "code"})
    return {"Inputs": inputs, "Data": data, "Code": code}


def _known(uri: str) -> bool:
    try:
        return bool(objectstore.list_objects(uri))
    except objectstore.ObjectStoreError:
        return False
