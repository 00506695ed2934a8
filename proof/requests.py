"""One AWS request, as the proof sees it: who sent it, which service and operation, with which
parameters. Built from boto3's own event hooks (code) or from moto's raw HTTP recording
(Terraform), which botocore's service model turns back into an operation and its parameters."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from proof.moto_server import ProofError


@dataclass(frozen=True)
class Request:
    """An API call: `principal` is the key of proof.principals.PRINCIPALS; `source` says where
    it was recorded (shown in a wrong decision)."""

    principal: str
    service: str  # botocore's service name: s3, sagemaker, sagemaker-runtime, iam, ...
    operation: str  # botocore's operation name: PutObject, CreatePipeline, ...
    params: dict[str, Any] = field(hash=False, compare=False)
    source: str = ""
    headers: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    # context keys the request carries beyond its parameters (e.g. a grant SageMaker makes for
    # an AWS resource: kms:GrantIsForAWSResource)
    context: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # deploy/'s recordings: the environment the code acted for, and whether the call succeeded
    environment: str | None = None
    failed: bool = False

    def key(self) -> tuple:
        return (
            self.principal,
            self.service,
            self.operation,
            json.dumps(self.params, sort_keys=True, default=str),
        )


@cache
def _session():
    import botocore.session

    return botocore.session.get_session()


@cache
def service_model(service: str):
    return _session().get_service_model(service)


@cache
def services_by_signing_name() -> dict[str, str]:
    """SigV4 credential scope name -> botocore service name, for the services Terraform calls."""
    names = (
        "s3", "sagemaker", "iam", "kms", "sts", "events", "scheduler", "logs", "sns", "sqs",
        "ecr", "lambda", "secretsmanager", "cloudwatch", "application-autoscaling",
    )  # fmt: skip
    mapping: dict[str, str] = {}
    for name in names:
        metadata = service_model(name).metadata
        mapping[metadata.get("signingName") or metadata["endpointPrefix"]] = name
    return mapping


_CREDENTIAL = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request")


def from_moto_recording(entry: dict, principal: str, source: str) -> Request | None:
    """One line of moto's recorder -> a Request (None for moto's own API and unsigned calls)."""
    url = urlsplit(entry["url"])
    if url.path.startswith("/moto-api"):
        return None
    headers = {key.lower(): value for key, value in entry.get("headers", {}).items()}
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    if not match:
        return None
    signing_name = match.group(1)
    service = services_by_signing_name().get(signing_name)
    if service is None:
        raise ProofError(
            f"{source}: a request to service '{signing_name}' ({entry['method']} {url.path}) that "
            "proof/requests.py does not know: add the service to services_by_signing_name()."
        )
    body = entry.get("body") or ""
    raw = base64.b64decode(body) if entry.get("body_encoded") else body.encode()
    model = service_model(service)
    protocol = model.metadata["protocol"]
    target = headers.get("x-amz-target")
    if target:
        operation = target.rsplit(".", 1)[-1]
        params = json.loads(raw or b"{}")
    elif protocol == "query" or (
        headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
        and b"Action=" in raw
    ):
        form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        operation = form.pop("Action")
        form.pop("Version", None)
        params = form
    else:
        operation, params = _match_rest(model, entry["method"], url.path, url.query, headers)
        if protocol == "rest-json" and raw.strip().startswith(b"{"):
            params.update(json.loads(raw))
    if operation not in model.operation_names:
        raise ProofError(
            f"{source}: {service} operation '{operation}' is not in botocore's model of {service}."
        )
    return Request(principal, service, operation, params, source, headers)


def _template(request_uri: str) -> tuple[list[str], dict[str, str | None]]:
    path, _, query = request_uri.partition("?")
    segments = [segment for segment in path.split("/") if segment]
    required: dict[str, str | None] = {}
    for part in filter(None, query.split("&")):
        name, _, value = part.partition("=")
        if name != "x-id":  # SDKs add x-id=<Operation> or not: never required
            required[name] = value or None
    return segments, required


def _match_rest(model, method: str, path: str, query: str, headers: dict[str, str]):
    """The operation of a REST request: method, path labels and required query keys, most
    specific first (botocore's requestUri templates)."""
    segments = [unquote(segment) for segment in path.split("/") if segment]
    present = dict(parse_qsl(query, keep_blank_values=True))
    best: tuple[int, str, dict[str, Any]] | None = None
    for name in model.operation_names:
        operation = model.operation_model(name)
        http = operation.http
        if http.get("method") != method:
            continue
        template, required = _template(http.get("requestUri", "/"))
        labels = _match_segments(template, segments)
        if labels is None:
            continue
        if any(
            key not in present or (value and present[key] != value)
            for key, value in required.items()
        ):
            continue
        copies = name in ("CopyObject", "UploadPartCopy")
        if copies != ("x-amz-copy-source" in headers) and model.service_name == "s3":
            continue  # a copy is a PUT with x-amz-copy-source, and only then
        score = 10 * len(required) + sum(1 for part in template if not part.startswith("{"))
        if present.get("x-id") == name:  # some SDKs name the operation themselves
            score += 1000
        if best is None or score > best[0]:
            best = (score, name, labels)
    if best is None:
        raise ProofError(f"no {model.service_name} operation matches {method} {path}?{query}")
    _, name, params = best
    operation = model.operation_model(name)
    shape = operation.input_shape
    if shape is not None:
        for member, member_shape in shape.members.items():
            location = member_shape.serialization.get("location")
            wire = member_shape.serialization.get("name", member)
            if location == "header" and wire.lower() in headers:
                params[member] = headers[wire.lower()]
            elif location == "querystring" and wire in present:
                params[member] = present[wire]
    return name, params


def _match_segments(template: list[str], segments: list[str]) -> dict[str, str] | None:
    labels: dict[str, str] = {}
    for index, part in enumerate(template):
        if part.startswith("{") and part.endswith("+}"):
            if index >= len(segments):
                return None
            labels[part[1:-2]] = "/".join(segments[index:])
            return labels
        if index >= len(segments):
            return None
        if part.startswith("{"):
            labels[part[1:-1]] = segments[index]
        elif part != segments[index]:
            return None
    return labels if len(template) == len(segments) else None
