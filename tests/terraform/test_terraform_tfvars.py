"""Bad tfvars are refused by `terraform plan` itself, before any AWS call, with a message that
says what to do. Runs a real plan on a copy of terraform/ with a local backend; no network."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # a real `terraform plan` per case: make test, not test-fast


@pytest.fixture(scope="module")
def workdir(tf, tmp_path_factory):
    tf.terraform_binary()
    root = tf.copy_configuration(tmp_path_factory.mktemp("tfvars"))
    (root / "zz_test_backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    tf.init(root, tf.terraform_env())
    return root


def plan(tf, workdir, tfvars: str):
    (workdir / "bad.tfvars").write_text(tfvars)
    env = tf.terraform_env(AWS_ACCESS_KEY_ID="unused", AWS_SECRET_ACCESS_KEY="unused")
    return tf.run(
        [tf.terraform_binary(), "plan", "-input=false", "-no-color", "-var-file=bad.tfvars"],
        workdir,
        env,
        timeout=300,
        check=False,
    )


def test_bad_values_are_each_named_with_the_fix(tf, workdir):
    result = plan(
        tf,
        workdir,
        'environment = "local"\n'
        'registry_read_account_ids = ["12345"]\n'
        'github_token_secret_name = "ghp token with spaces"\n'
        "alarm_latency_ms = 0\n",
    )
    assert result.returncode != 0
    out = " ".join(result.stderr.split())
    assert "environment must be dev, staging or prod" in out
    assert "make deploy ENV=local" in out
    assert "12-digit AWS account ids" in out
    assert "never in tfvars" in out
    assert "alarm_latency_ms must be between 1 and 60000" in out


def test_unknown_environment_is_refused(tf, workdir):
    result = plan(tf, workdir, 'environment = "qa"\n')
    assert result.returncode != 0
    assert "environment must be dev, staging or prod" in " ".join(result.stderr.split())
