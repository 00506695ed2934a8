"""Bad environment files: `python -m build_pipeline` (the first reader of every file, in-process)
exits 2 with one line per problem naming the file, the key path, the value and the allowed form
(environments/schema.json, validated by the jsonschema library), and writes no definition."""

from __future__ import annotations

import functools
import shutil

import pytest
from matrix_helpers import assert_refused

import env_config
from build_pipeline import __main__ as build_cli

# class: (environment, text replaced, replacement, first-line fragment)
ROWS = {
    "unknown-top-level-key": (
        "dev",
        "alerts:\n",
        "alert:\n",
        "alert: unknown key (did you mean 'alerts'?)",
    ),
    "typo-in-a-nested-key": (
        "dev",
        "max_runtime_seconds:",
        "max_runtme_seconds:",
        "pipeline.max_runtme_seconds: unknown key (did you mean 'max_runtime_seconds'?)",
    ),
    "hyperparameter-typo": (
        "dev",
        "  learning_rate: 0.1\n    max_leaf",
        "  learnin_rate: 0.1\n    max_leaf",
        "pipeline.hyperparameters.learnin_rate: unknown key (did you mean 'learning_rate'?)",
    ),
    "hyperparameter-wrong-type": (
        "dev",
        "max_iter: 200",
        "max_iter: many",
        'pipeline.hyperparameters.max_iter = "many": is a string, expected integer',
    ),
    "hyperparameter-fraction-for-an-integer": (
        "dev",
        "max_leaf_nodes: 31",
        "max_leaf_nodes: 31.5",
        "pipeline.hyperparameters.max_leaf_nodes = 31.5: is a number, expected integer",
    ),
    "hyperparameter-infinite": (
        "dev",
        "l2_regularization: 0.0",
        "l2_regularization: .inf",
        "pipeline.hyperparameters.l2_regularization = Infinity",
    ),
    "invalid-instance-type": (
        "dev",
        "training_instance_type: ml.m5.large",
        "training_instance_type: m5.large",
        'pipeline.training_instance_type = "m5.large": has the wrong form',
    ),
    "burstable-instance-for-training": (
        "dev",
        "training_instance_type: ml.m5.large",
        "training_instance_type: ml.t2.medium",
        'pipeline.training_instance_type = "ml.t2.medium": has the wrong form',
    ),
    "invalid-endpoint-instance-type": (
        "dev",
        "instance_type: ml.t2.medium",
        "instance_type: t2.medium",
        'endpoint.instance_type = "t2.medium": has the wrong form',
    ),
    "invalid-schedule": (
        "dev",
        "schedule: cron(0 6 * * ? *)",
        "schedule: every day at 6",
        'pipeline.schedule = "every day at 6": has the wrong form',
    ),
    "cron-with-five-fields": (
        "dev",
        "schedule: cron(0 6 * * ? *)",
        "schedule: cron(0 6 * * ?)",
        "pipeline.schedule",
    ),
    "negative-max-runtime": (
        "dev",
        "max_runtime_seconds: 3600",
        "max_runtime_seconds: -1",
        "pipeline.max_runtime_seconds = -1: is below the minimum 1",
    ),
    "max-runtime-over-28-days": (
        "dev",
        "max_runtime_seconds: 3600",
        "max_runtime_seconds: 9999999",
        "pipeline.max_runtime_seconds = 9999999: is above the maximum 2419200",
    ),
    "spot-wait-below-runtime": (
        "dev",
        "max_wait_seconds: 7200",
        "max_wait_seconds: 60",
        "pipeline.max_wait_seconds = 60: below pipeline.max_runtime_seconds",
    ),
    "zero-smoke-test-rows": (
        "dev",
        "rows: 20",
        "rows: 0",
        "endpoint.smoke_test.rows = 0: is below the minimum 1",
    ),
    "threshold-above-one": (
        "dev",
        "accuracy_threshold: 0.90",
        "accuracy_threshold: 90",
        "pipeline.accuracy_threshold = 90: is above the maximum 1",
    ),
    "threshold-as-text": (
        "dev",
        "accuracy_threshold: 0.90",
        'accuracy_threshold: "0.9"',
        'pipeline.accuracy_threshold = "0.9": is a string, expected number',
    ),
    "iso-duration-wrong": (
        "dev",
        "cache_expire_after: P30D",
        "cache_expire_after: 30d",
        'pipeline.cache_expire_after = "30d": has the wrong form',
    ),
    "account-id-unquoted": (
        "dev",
        'account_id: "000000000000"',
        "account_id: 123456789012",
        "aws.account_id = 123456789012: is an integer, expected string",
    ),
    "account-id-short": (
        "dev",
        'account_id: "000000000000"',
        'account_id: "1234"',
        'aws.account_id = "1234": has the wrong form',
    ),
    "region-wrong": (
        "dev",
        "region: us-east-1",
        "region: us-east",
        'aws.region = "us-east": has the wrong form',
    ),
    "bucket-with-capitals": (
        "dev",
        "artifact_bucket: sagemaker",
        "artifact_bucket: SageMaker",
        "resources.artifact_bucket",
    ),
    "kms-alias-reserved": (
        "dev",
        "kms_key_alias: alias/sagemaker-gitops-dev",
        "kms_key_alias: alias/aws/s3",
        'resources.kms_key_alias = "alias/aws/s3": has the wrong form',
    ),
    "input-uri-not-s3": (
        "dev",
        "input_data_uri: s3://",
        "input_data_uri: https://",
        "pipeline.input_data_uri",
    ),
    "deploy-target-typo": (
        "dev",
        "deploy_target: github",
        "deploy_target: githb",
        "is not one of github, lambda (did you mean 'github'?)",
    ),
    "auto-approval-outside-local": (
        "staging",
        "policy: manual",
        "policy: auto",
        "auto-approval is allowed only for local",
    ),
    "local-port-outside-local": (
        "dev",
        "  enabled: false\n  instance_type",
        "  enabled: false\n  port: 9000\n  instance_type",
        "endpoint.port = 9000: is not allowed here",
    ),
    "local-port-missing": ("local", "  port: 8080\n", "", "endpoint.port: missing"),
    "local-port-out-of-range": (
        "local",
        "port: 8080",
        "port: 99999",
        "endpoint.port = 99999: is above the maximum 65535",
    ),
    "capture-on-with-zero-sampling": (
        "staging",
        "sampling_percentage: 20",
        "sampling_percentage: 0",
        "endpoint.data_capture.sampling_percentage = 0: is below the minimum 1",
    ),
    "canary-over-half": (
        "dev",
        "canary_percent: 10",
        "canary_percent: 80",
        "endpoint.deployment.canary_percent = 80",
    ),
    "prod-force-destroy": (
        "prod",
        "force_destroy: false",
        "force_destroy: true",
        "storage.force_destroy = true: must be false",
    ),
    "subnet-id-wrong": (
        "dev",
        "subnet_ids: []",
        "subnet_ids: [my-subnet]",
        'network.subnet_ids[0] = "my-subnet": has the wrong form',
    ),
    "email-wrong": ("dev", 'email: ""', "email: not-an-address", "alerts.email"),
    "duplicate-key": (
        "dev",
        "environment: dev\n",
        "environment: dev\nenvironment: dev\n",
        "key 'environment' appears twice",
    ),
    "environment-not-the-file-name": (
        "dev",
        "environment: dev",
        "environment: qa",
        'environment = "qa" but the file is dev.yaml',
    ),
    "broken-yaml": ("dev", "aws:\n", "aws: [\n", "not valid YAML (line"),
    "tab-indentation": ("dev", "  region: us-east-1", "\tregion: us-east-1", "not valid YAML"),
    "empty-file": ("dev", None, "", "expected a mapping of keys at the top level"),
    "a-list-instead-of-a-mapping": (
        "dev",
        None,
        "- environment: dev\n",
        "expected a mapping of keys at the top level, got list",
    ),
    "latin-1-bytes": ("dev", None, b"environment: d\xe9v\n", "not UTF-8 text"),
    "promote-from-itself": (
        "prod",
        "promote_from: staging",
        "promote_from: prod",
        "cannot promote from itself",
    ),
}


@pytest.mark.parametrize("case", sorted(ROWS))
def test_a_bad_environment_file_is_refused(case, tmp_path, monkeypatch, capsys):
    name, old, new, fragment = ROWS[case]
    directory = tmp_path / "environments"
    shutil.copytree(env_config.ENVIRONMENTS_DIR, directory)
    path = directory / f"{name}.yaml"
    if isinstance(new, bytes):
        path.write_bytes(new)
    elif old is None:
        path.write_text(new)
    else:
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))
    monkeypatch.setattr(build_cli, "load", functools.partial(env_config.load, directory=directory))
    out = tmp_path / "definition.json"
    code = build_cli.main(["--env", name, "--out", str(out), "--git-sha", "0" * 40])
    captured = capsys.readouterr()
    line = assert_refused(code, 2, captured.err, fragment)
    assert line.startswith(f"error: {path}") or line.startswith("error: /"), line
    assert not out.exists(), "no definition is written"


def test_every_problem_is_reported_at_once(tmp_path):
    directory = tmp_path / "environments"
    shutil.copytree(env_config.ENVIRONMENTS_DIR, directory)
    path = directory / "dev.yaml"
    text = path.read_text()
    for old, new in [
        ("rows: 20", "rows: 0"),
        ("max_iter: 200", "max_itr: 200"),
        ("policy: manual", "policy: auto"),
    ]:
        text = text.replace(old, new, 1)
    path.write_text(text)
    with pytest.raises(env_config.EnvConfigError) as error:
        env_config.load("dev", directory)
    lines = str(error.value).splitlines()
    assert lines[0] == f"{path}: 3 problems (every key's allowed form: environments/schema.json):"
    assert [line.split(":")[0] for line in lines[1:]] == [
        '  - approval.policy = "auto"',
        "  - endpoint.smoke_test.rows = 0",
        "  - pipeline.hyperparameters.max_itr",
    ]


def test_a_broken_promotion_source_names_its_own_file(tmp_path, monkeypatch, capsys):
    directory = tmp_path / "environments"
    shutil.copytree(env_config.ENVIRONMENTS_DIR, directory)
    (directory / "staging.yaml").write_text("approval: [\n")
    monkeypatch.setattr(build_cli, "load", functools.partial(env_config.load, directory=directory))
    out = tmp_path / "definition.json"
    code = build_cli.main(["--env", "prod", "--out", str(out), "--git-sha", "0" * 40])
    line = assert_refused(code, 2, capsys.readouterr().err, "staging.yaml: not valid YAML")
    assert "prod.yaml's promotion chain" in line
    assert not out.exists()
