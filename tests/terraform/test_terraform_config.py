"""Contracts between Terraform and the rest of the template, checked without running Terraform:
environments/<env>.tfvars and .backend.hcl, deploy/'s names, checkov skips with reasons."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TF_DIR = REPO_ROOT / "terraform"
AWS_ENVIRONMENTS = ("dev", "staging", "prod")
DECLARED = set(re.findall(r'^variable "([a-z_]+)"', (TF_DIR / "variables.tf").read_text(), re.M))


def hcl_assignments(path):
    return dict(re.findall(r"^\s*([a-z_]+)\s*=\s*(.+?)\s*$", path.read_text(), re.M))


@pytest.mark.parametrize("env", AWS_ENVIRONMENTS)
def test_tfvars_hold_only_declared_secret_free_settings(env):
    values = hcl_assignments(REPO_ROOT / "environments" / f"{env}.tfvars")
    assert values["environment"] == f'"{env}"'
    assert set(values) <= DECLARED, f"undeclared keys: {set(values) - DECLARED}"
    for key, value in values.items():
        if not key.endswith("_secret_name"):  # the name of a secret is configuration
            assert not re.search(r"token|password|secret|key_material", key), key
        assert not re.search(
            r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_", value
        ), f"{key} looks like a token"


@pytest.mark.parametrize("env", AWS_ENVIRONMENTS)
def test_backend_is_s3_with_native_lock_and_encryption(env):
    values = hcl_assignments(REPO_ROOT / "environments" / f"{env}.backend.hcl")
    assert values["use_lockfile"] == "true"
    assert values["encrypt"] == "true"
    assert values["key"] == f'"{env}/terraform.tfstate"'
    assert "dynamodb_table" not in values


def test_local_has_no_terraform_files():
    assert not (REPO_ROOT / "environments" / "local.tfvars").exists()
    assert not (REPO_ROOT / "environments" / "local.backend.hcl").exists()


def test_lambda_environment_sets_every_variable_deploy_requires():
    from deploy import settings

    main = (TF_DIR / "main.tf").read_text()
    block = main[main.index("lambda_environment = {") :]
    block = block[: block.index("\n  }")]
    names = set(re.findall(r"^\s*([A-Z_]+)\s*=", block, re.M))
    missing = set(settings.REQUIRED_LAMBDA_VARIABLES) - names
    assert not missing, f"Terraform does not set {missing} on the deploy Lambda"
    unknown = (
        names - set(settings.REQUIRED_LAMBDA_VARIABLES) - set(settings.OPTIONAL_LAMBDA_VARIABLES)
    )
    assert not unknown, f"deploy/ does not read {unknown}"


def test_alarm_names_match_what_deploy_waits_for():
    from deploy import settings as settings_module

    endpoint = (TF_DIR / "modules" / "endpoint" / "main.tf").read_text()
    suffixes = set(re.findall(r'"\$\{var\.endpoint_name\}-([a-z0-9]+)"', endpoint))
    fields = settings_module.Settings.__dataclass_fields__
    fake = settings_module.Settings(
        **{
            name: ("ep" if name == "endpoint_name" else 0 if field.type == "int" else "")
            for name, field in fields.items()
            if field.default is field.default_factory is __import__("dataclasses").MISSING
        }
    )
    assert {name.removeprefix("ep-") for name in fake.alarm_names} == suffixes


def test_handler_and_zip_path_match_the_interfaces_doc():
    interfaces = (REPO_ROOT / "docs" / "interfaces.md").read_text()
    approval = (TF_DIR / "modules" / "approval" / "main.tf").read_text()
    main = (TF_DIR / "main.tf").read_text()
    assert (
        "deploy.lambda_handler.handler" in interfaces
        and "deploy.lambda_handler.handler" in approval
    )
    assert "build/lambda/deploy.zip" in interfaces and "build/lambda/deploy.zip" in main


def test_every_checkov_skip_is_inline_with_a_reason():
    skips = []
    for path in TF_DIR.rglob("*.tf"):
        if ".terraform" in path.parts:
            continue
        for line in path.read_text().splitlines():
            if "checkov:skip" in line:
                skips.append((path, line))
                assert re.search(r"#checkov:skip=CKV2?_AWS_\d+:\S.{20,}", line), f"{path}: {line}"
    assert skips, "expected the documented inline skips"
    assert not list(REPO_ROOT.glob(".checkov.y*ml")), "no blanket skip list"


def test_no_wildcard_actions_in_any_terraform_source():
    """A text-level backstop to terraform test's JSON checks: no '"<service>:*"' action string and
    no managed *FullAccess policy anywhere under terraform/."""
    for path in TF_DIR.rglob("*.tf"):
        if ".terraform" in path.parts:
            continue
        text = path.read_text()
        assert not re.search(r'"[a-z0-9-]+:\*"', text.replace('"s3:*" # a Deny', "")), path
        assert not re.search(r"policy/\S*FullAccess", text), path
