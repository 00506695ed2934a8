"""environments/<env>.yaml is read through one checked door: mistakes name the file, key and fix."""

from __future__ import annotations

import shutil

import pytest

import env_config
from env_config import EnvConfigError, load


def test_every_environment_loads():
    assert env_config.available_environments() == ["dev", "local", "prod", "staging"]
    for name in env_config.available_environments():
        config = load(name)
        assert config.prefix == name
        assert config.execution_role_arn.startswith(f"arn:aws:iam::{config.account_id}:role/")


def test_unknown_environment_lists_the_valid_ones():
    with pytest.raises(
        EnvConfigError, match=r"ENV='qa' is not an environment. Valid: dev, local, prod, staging"
    ):
        load("qa")


@pytest.fixture
def copy_of(tmp_path):
    def make(name: str, old: str, new: str):
        shutil.copytree(env_config.ENVIRONMENTS_DIR, tmp_path, dirs_exist_ok=True)
        path = tmp_path / f"{name}.yaml"
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
        return tmp_path

    return make


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("dev", "policy: manual", "policy: auto", "auto-approval is allowed only for local"),
        ("dev", "policy: manual", "policy: sometimes", "is not one of auto, manual"),
        (
            "prod",
            "model_approval_status: PendingManualApproval",
            "model_approval_status: Approved",
            "auto-approval is allowed only for local",
        ),
        (
            "dev",
            "accuracy_threshold: 0.90",
            "accuracy_threshold: 1.5",
            "pipeline.accuracy_threshold = 1.5: is above the maximum 1",
        ),
        ("dev", "champion_margin: 0.01", "champion_margin: -1", "champion_margin = -1: is below"),
        (
            "dev",
            "model_approval_status: PendingManualApproval",
            "model_approval_status: Maybe",
            "is not one of Approved, PendingManualApproval, Rejected",
        ),
        ("dev", 'account_id: "000000000000"', "account_id: 12", "12 digits in quotes"),
        (
            "dev",
            "environment: dev",
            "environment: prod",
            'environment = "prod" but the file is dev.yaml',
        ),
        ("dev", "aws:\n", "aws: [\n", "not valid YAML"),
    ],
)
def test_bad_values_are_refused_with_the_fix(copy_of, name, old, new, message):
    directory = copy_of(name, old, new)
    with pytest.raises(EnvConfigError) as error:
        load(name, directory)
    assert message in str(error.value)
    assert f"{name}.yaml" in str(error.value) or "YAML" in str(error.value)


def test_a_missing_key_names_the_key(copy_of):
    directory = copy_of("dev", "  kms_key_alias: alias/sagemaker-gitops-dev\n", "")
    with pytest.raises(EnvConfigError, match=r"dev.yaml: resources.kms_key_alias: missing. Add it"):
        load("dev", directory)
    with pytest.raises(EnvConfigError, match=r"missing key 'resources.nothing'"):
        load("dev").get("resources.nothing")


def test_prod_promotes_from_staging_and_the_others_from_nothing():
    assert load("prod").promote_from == "staging"
    assert [load(name).promote_from for name in ("dev", "local", "staging")] == ["", "", ""]


@pytest.mark.parametrize(
    ("name", "new", "message"),
    [
        ("prod", "promote_from: prod", "cannot promote from itself"),
        ("prod", "promote_from: local", "local has no model registry"),
        ("prod", "promote_from: qa", "it is not an environment file"),
        ("prod", "promote_from: [staging]", "is a list, expected string"),
        ("local", "promote_from: dev", '"" for local'),
    ],
)
def test_a_bad_promote_from_is_refused_with_the_fix(copy_of, name, new, message):
    old = "promote_from: staging" if name == "prod" else 'promote_from: ""'
    directory = copy_of(name, old, new)
    with pytest.raises(EnvConfigError) as error:
        load(name, directory)
    text = str(error.value)
    assert message in text
    assert f"{name}.yaml" in text and "approval.promote_from" in text
    assert any(fix in text for fix in ('Set it to ""', 'must be ""', 'set it to ""', '""'))


def test_staging_may_promote_from_dev(copy_of):
    directory = copy_of("staging", 'promote_from: ""', "promote_from: dev")
    assert load("staging", directory).promote_from == "dev"


def test_a_promotion_cycle_is_refused(copy_of):
    directory = copy_of("staging", 'promote_from: ""', "promote_from: prod")
    with pytest.raises(
        EnvConfigError, match=r"promote_from makes a cycle \(prod <- staging <- prod\)"
    ):
        load("prod", directory)
