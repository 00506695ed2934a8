"""environments/schema.json and Terraform's variable validations describe the same values.

Terraform reads environments/<env>.yaml with yamldecode() and hands its values to the modules,
whose `validation` blocks check them again at plan time. If the schema accepted a value that a
validation refuses, a file that passes every Python check (and CI) would fail only at
`terraform plan`. This test takes each module variable fed from the YAML, probes it with valid and
invalid values, and has the real Terraform evaluate the validation's own condition (`terraform
console`, so RE2 regexes and Terraform's number rules stand behind the answer, not a Python
imitation). The schema must never accept what Terraform refuses; where both state the same rule
they must agree exactly. Where the schema is deliberately stricter (instance families SageMaker
offers per use, integer counts), that is listed in STRICTER with the reason.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path

import env_config
from env_config import EnvConfig, EnvConfigError, check

TERRAFORM = env_config.REPO_ROOT / "terraform"


def _cfg() -> dict:
    return copy.deepcopy(env_config.load("staging").raw)


# YAML key -> (module, variable, the variable's value built from the file, as main.tf does)
FED = {
    "aws.account_id": ("storage", "account_id", lambda c: c["aws"]["account_id"]),
    "resources.kms_key_alias": (
        "storage",
        "kms_key_alias",
        lambda c: c["resources"]["kms_key_alias"],
    ),
    "resources.artifact_bucket": (
        "storage",
        "bucket_name",
        lambda c: c["resources"]["artifact_bucket"],
    ),
    "resources.prefix": ("storage", "prefix", lambda c: c["resources"]["prefix"]),
    "storage.lifecycle_days.raw": (
        "storage",
        "lifecycle_days",
        lambda c: c["storage"]["lifecycle_days"],
    ),
    "resources.job_image_repository": (
        "ecr",
        "repositories",
        lambda c: {
            "job": c["resources"]["job_image_repository"],
            "inference": c["resources"]["inference_image_repository"],
        },
    ),
    "resources.model_package_group": (
        "registry",
        "name",
        lambda c: c["resources"]["model_package_group"],
    ),
    "github_repository": ("iam", "github_repository", lambda c: c["github_repository"]),
    "approval.deploy_target": ("iam", "deploy_target", lambda c: c["approval"]["deploy_target"]),
    "resources.pipeline_name": ("pipeline", "name", lambda c: c["resources"]["pipeline_name"]),
    "pipeline.accuracy_threshold": (
        "pipeline",
        "accuracy_threshold",
        lambda c: c["pipeline"]["accuracy_threshold"],
    ),
    "pipeline.processing_instance_type": (
        "pipeline",
        "instance_types",
        lambda c: {
            "processing": c["pipeline"]["processing_instance_type"],
            "training": c["pipeline"]["training_instance_type"],
        },
    ),
    "pipeline.schedule": ("triggers", "schedule_expression", lambda c: c["pipeline"]["schedule"]),
    "pipeline.input_data_uri": (
        "triggers",
        "input_data_uri",
        lambda c: c["pipeline"]["input_data_uri"],
    ),
    "alerts.email": ("alerts", "email", lambda c: c["alerts"]["email"]),
    "resources.endpoint_name": (
        "endpoint",
        "endpoint_name",
        lambda c: c["resources"]["endpoint_name"],
    ),
    "endpoint.instance_type": (
        "endpoint",
        "instance_type",
        lambda c: c["endpoint"]["instance_type"],
    ),
    "endpoint.initial_instance_count": (
        "endpoint",
        "initial_instance_count",
        lambda c: c["endpoint"]["initial_instance_count"],
    ),
    "endpoint.autoscaling.min_capacity": (
        "endpoint",
        "autoscaling",
        lambda c: c["endpoint"]["autoscaling"],
    ),
    "endpoint.autoscaling.max_capacity": (
        "endpoint",
        "autoscaling",
        lambda c: c["endpoint"]["autoscaling"],
    ),
    "endpoint.autoscaling.target_invocations_per_instance": (
        "endpoint",
        "autoscaling",
        lambda c: c["endpoint"]["autoscaling"],
    ),
    "endpoint.data_capture.sampling_percentage": (
        "endpoint",
        "data_capture",
        lambda c: c["endpoint"]["data_capture"],
    ),
    "endpoint.deployment.canary_percent": (
        "endpoint",
        "deployment",
        lambda c: c["endpoint"]["deployment"],
    ),
    "endpoint.deployment.wait_seconds": (
        "endpoint",
        "deployment",
        lambda c: c["endpoint"]["deployment"],
    ),
    "endpoint.deployment.termination_wait_seconds": (
        "endpoint",
        "deployment",
        lambda c: c["endpoint"]["deployment"],
    ),
    "endpoint.smoke_test.max_latency_ms": (
        "endpoint",
        "max_latency_ms",
        lambda c: c["endpoint"]["smoke_test"]["max_latency_ms"],
    ),
}

PROBES = {
    "aws.account_id": ["123456789012", "12345678901", "1234567890123", "abcdefghijkl"],
    "resources.kms_key_alias": ["alias/x-y", "alias/aws/s3", "alias/", "key/x", "alias/a b"],
    "resources.artifact_bucket": [
        "my-bucket",
        "ab",
        "a" * 58,
        "a" * 59,
        "Caps-bucket",
        "-bucket",
        "bucket-",
    ],
    "resources.prefix": ["dev", "a/b", "-x", "Dev", "x1-2"],
    "storage.lifecycle_days.raw": [1, 0, 365, 1.5, -3],
    "resources.job_image_repository": ["team/jobs", "Jobs", "a//b", "jobs-", "a.b_c"],
    "resources.model_package_group": ["group-1", "a" * 63, "a" * 64, "a_b", "-a", "a--b"],
    "github_repository": ["owner/name", "name", "o/n/x", "o n/x", "o.k/n_1"],
    "approval.deploy_target": ["github", "lambda", "gitlab", ""],
    "resources.pipeline_name": ["p-1", "a" * 256, "a" * 257, "a_b"],
    "pipeline.accuracy_threshold": [0.5, 1, 0, 1.01, -0.1, 0.0001],
    "pipeline.processing_instance_type": [
        "ml.m5.large",
        "ml.c5.2xlarge",
        "m5.large",
        "ml.m5.huge",
        "ml.t2.medium",
        "ML.M5.LARGE",
    ],
    "pipeline.schedule": [
        "",
        "cron(0 6 * * ? *)",
        "cron(0 6 * * ?)",
        "rate(1 day)",
        "rate(5 minutes)",
        "rate(0 days)",
        "every day",
        "cron(0 6 * * ? *) ",
    ],
    "pipeline.input_data_uri": ["s3://b/raw/", "s3://b/raw", "https://b/raw/", "s3://b//"],
    "alerts.email": ["", "team@example.com", "nope", "a@b", "a b@c.d"],
    "resources.endpoint_name": ["ep-1", "a" * 63, "a" * 64, "a_b"],
    "endpoint.instance_type": [
        "ml.t2.medium",
        "ml.m5.large",
        "t2.medium",
        "ml.m5.xlarge",
        "ml.g5.12xlarge",
    ],
    "endpoint.initial_instance_count": [1, 2, 0, -1],
    "endpoint.autoscaling.min_capacity": [1, 0, 2],
    "endpoint.autoscaling.max_capacity": [1, 0, 4],
    "endpoint.autoscaling.target_invocations_per_instance": [100, 0, 1],
    "endpoint.data_capture.sampling_percentage": [20, 0, 100, 101],
    "endpoint.deployment.canary_percent": [1, 50, 51, 0],
    "endpoint.deployment.wait_seconds": [0, 3600, 3601, -1],
    "endpoint.deployment.termination_wait_seconds": [0, 3600, 3601, -1],
    "endpoint.smoke_test.max_latency_ms": [500, 0, -1, 60000, 0.5],
}

# Where the schema refuses more than Terraform, on purpose (the reason is the schema's own rule).
STRICTER = {
    ("pipeline.processing_instance_type", "ml.t2.medium"): "SageMaker Processing offers no t2",
}


def set_path(document: dict, dotted: str, value) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        document = document[part]
    document[leaf] = value


def python_accepts(document: dict) -> bool:
    config = EnvConfig(
        name="staging", path=env_config.ENVIRONMENTS_DIR / "staging.yaml", raw=document
    )
    try:
        check(config)
    except EnvConfigError:
        return False
    return True


def validations(module: str, variable: str) -> list[str]:
    """The `condition` expressions of a module variable, as written in the .tf source."""
    conditions = []
    for path in sorted((TERRAFORM / "modules" / module).glob("*.tf")):
        text = path.read_text(encoding="utf-8")
        start = text.find(f'variable "{variable}" {{')
        if start < 0:
            continue
        block = text[start : _matching(text, text.index("{", start))]
        for marker in re.finditer(r"\bcondition\s*=\s*", block):
            conditions.append(_expression(block, marker.end()))
    return conditions


def _matching(text: str, opening: int) -> int:
    """Index just past the bracket that closes text[opening] (strings are skipped)."""
    depth, index, quoted = 0, opening, False
    while index < len(text):
        char = text[index]
        if quoted:
            index += 2 if char == "\\" else 1
            quoted = char != '"' if char != "\\" else quoted
            continue
        if char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise AssertionError("unbalanced brackets in a .tf file")


def _expression(text: str, start: int) -> str:
    """One HCL expression from start to the end of its line, across open brackets."""
    index, depth, quoted = start, 0, False
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 2
                continue
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "\n" and depth == 0:
            break
        index += 1
    return " ".join(text[start:index].split())


def terraform_says(expressions: list[str], workdir: Path) -> list[bool]:
    """Evaluate HCL expressions with the real Terraform (an empty configuration)."""
    line = "jsonencode([" + ", ".join(expressions) + "])\n"
    result = subprocess.run(
        ["terraform", "console"],
        input=line,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_schema_never_accepts_what_terraform_refuses(tmp_path):
    cases, expressions = [], []
    for dotted, probes in PROBES.items():
        module, variable, build = FED[dotted]
        rules = validations(module, variable)
        assert rules, f"{module}.{variable} has no validation: update FED"
        for probe in probes:
            document = _cfg()
            set_path(document, dotted, probe)
            if dotted == "endpoint.data_capture.sampling_percentage":
                document["endpoint"]["data_capture"]["enabled"] = True
            literal = "(" + json.dumps(build(document)) + ")"
            own = re.compile(rf"\bvar\.{variable}\b")
            bound = [own.sub(lambda _, text=literal: text, rule) for rule in rules]
            expressions.append("alltrue([" + ", ".join(f"({rule})" for rule in bound) + "])")
            cases.append((dotted, probe, python_accepts(document)))
    verdicts = terraform_says(expressions, tmp_path)
    looser = [(d, p) for (d, p, ok), tf in zip(cases, verdicts, strict=True) if ok and not tf]
    assert looser == [], "the schema accepts what Terraform's validation refuses"
    differ = [
        (d, p)
        for (d, p, ok), tf in zip(cases, verdicts, strict=True)
        if ok != tf and (d, p) not in STRICTER
    ]
    assert differ == [], "a rule both state differs (or add it to STRICTER with the reason)"
    assert any(not ok for _, _, ok in cases) and any(ok for _, _, ok in cases)
