"""fork/init.py, fast: the value checks, the one-pass rewrite, which files it touches,
and what it does on a second run. The template's own placeholders are never written here as
literals (init would rename them in this file too); the values below are made up."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fork_helpers import make_repo

from fork import init

OLD = init.Values("demo-proj", "sa-east-1", "111111111111", "demo-owner/demo-proj")
NEW = init.Values("acme-churn", "eu-west-1", "123456789012", "acme/churn")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("project", "Acme", "lowercase letters, digits and single hyphens"),
        ("project", "ab", "3-32"),
        ("project", "a" * 33, "3-32"),
        ("project", "9lives", "starting with a letter"),
        ("project", "acme-", "not ending with a hyphen"),
        ("project", "acme--churn", "single hyphens"),
        ("project", "acme_churn", "PROJECT='acme_churn'"),
        ("region", "eu-west", "not an AWS region name"),
        ("region", "EU-WEST-1", "AWS_REGION='EU-WEST-1'"),
        ("region", "mars-north-1", "not an AWS region name"),
        ("account_id", "12345678901", "12 digits"),
        ("account_id", "12345678901a", "12 digits"),
        ("account_id", init.PLACEHOLDER_ACCOUNT, "template's placeholder"),
        ("github_repo", "acme", "owner/name"),
        ("github_repo", "acme/churn/x", "owner/name"),
        ("github_repo", "-acme/churn", "owner/name"),
        ("github_repo", "acme/..", "owner/name"),
        ("github_repo", f"{init.PLACEHOLDER_OWNER}/churn", "placeholder owner"),
    ],
)
def test_each_bad_value_is_refused_with_what_to_give(field, value, message):
    error = init.VALIDATORS[field](value)
    assert error is not None and message in error


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("project", "acme-churn"),
        ("project", "a" * 32),
        ("region", "eu-west-1"),
        ("region", "ap-southeast-2"),
        ("region", "us-gov-west-1"),
        ("region", "ca-central-1"),
        ("account_id", "123456789012"),
        ("github_repo", "acme/churn"),
        ("github_repo", "Acme-Labs/churn.model_v2"),
    ],
)
def test_good_values_pass(field, value):
    assert init.VALIDATORS[field](value) is None


def test_rewrite_is_one_pass_so_a_new_value_containing_an_old_one_is_not_renamed_twice():
    keeps_repo_name = init.Values("acme-churn", "eu-west-1", "123456789012", "acme/demo-proj")
    text = "repo: demo-owner/demo-proj, project demo-proj, role demo-proj-dev"
    assert init.rewrite("x.tf", text, OLD, keeps_repo_name) == (
        "repo: acme/demo-proj, project acme-churn, role acme-churn-dev"
    )


def test_account_is_replaced_only_as_a_whole_number():
    text = "arn:aws:iam::111111111111:role/r 1111111111112 bucket-111111111111"
    assert init.rewrite("a.py", text, OLD, NEW) == (
        "arn:aws:iam::123456789012:role/r 1111111111112 bucket-123456789012"
    )


def test_region_is_the_projects_in_environments_and_tests_only():
    text = "region: sa-east-1 sa-east-11 https://sa-east-1.console"
    renamed = "region: eu-west-1 sa-east-11 https://eu-west-1.console"
    for path in (
        "environments/dev.yaml",
        "environments/dev.backend.hcl",
        "tests/deploy/conftest.py",
        "terraform/tests/dev.tftest.hcl",
    ):
        assert init.rewrite(path, text, OLD, NEW) == renamed, path
    # A doc's price list is that region's; a module's example is an example.
    for path in ("docs/infrastructure.md", "terraform/modules/x/variables.tf", "README.md"):
        assert init.rewrite(path, text, OLD, NEW) == text, path


def test_lock_files_get_names_but_never_numbers_that_may_be_hashes():
    text = '"name": "demo-proj-tools", "integrity": "sha1-111111111111"'
    assert init.rewrite("package-lock.json", text, OLD, NEW) == (
        '"name": "acme-churn-tools", "integrity": "sha1-111111111111"'
    )


def test_only_tracked_text_files_are_rewritten(tmp_path):
    root = make_repo(tmp_path, OLD)
    (root / "untracked.md").write_text("demo-proj\n")
    (root / "binary.bin").write_bytes(b"\0demo-proj")
    subprocess.run(["git", "-C", str(root), "add", "binary.bin"], check=True)
    changed = init.initialise(root, NEW, force=True, out=sys.stderr)
    assert "README.md" in changed and "environments/dev.yaml" in changed
    assert "untracked.md" not in changed and "binary.bin" not in changed
    assert (root / "untracked.md").read_text() == "demo-proj\n"
    assert (root / "binary.bin").read_bytes() == b"\0demo-proj"
    assert json.loads((root / "config.json").read_text())["bucket"] == (
        "acme-churn-dev-123456789012"
    )


def test_a_rewrite_that_would_not_parse_stops_the_run_with_nothing_written(tmp_path, monkeypatch):
    root = make_repo(tmp_path, OLD)
    before = {path: (root / path).read_text() for path in init.tracked_files(root)}
    real = init.rewrite

    def breaks_json(path, text, old, new):
        return real(path, text, old, new) + ("{" if path == "config.json" else "")

    monkeypatch.setattr(init, "rewrite", breaks_json)
    with pytest.raises(init.InitError, match=r"config\.json: would no longer parse"):
        init.initialise(root, NEW, force=True, out=sys.stderr)
    assert {path: (root / path).read_text() for path in init.tracked_files(root)} == before
    with pytest.raises(init.InitError, match="would no longer parse"):
        init.check_parses("a.yaml", "a: [1, 2\n")


def test_second_run_is_a_no_op_and_new_values_on_an_initialised_copy_need_force(tmp_path):
    template_like = init.Values(
        "demo-proj", "us-east-1", init.PLACEHOLDER_ACCOUNT, f"{init.PLACEHOLDER_OWNER}/demo-proj"
    )
    root = make_repo(tmp_path / "t", template_like)
    init.initialise(root, NEW, out=sys.stderr)
    snapshot = {path: (root / path).read_text() for path in init.tracked_files(root)}
    assert init.initialise(root, NEW, out=sys.stderr) == []
    assert {path: (root / path).read_text() for path in init.tracked_files(root)} == snapshot

    other = init.Values("beta-app", "eu-central-1", "210987654321", "beta/app")
    with pytest.raises(init.InitError, match="already initialised as acme-churn"):
        init.initialise(root, other, out=sys.stderr)
    assert {path: (root / path).read_text() for path in init.tracked_files(root)} == snapshot
    init.initialise(root, other, force=True, out=sys.stderr)
    assert init.current_values(root) == other
    assert init.leftovers(root, NEW, other) == []


def test_environments_that_disagree_are_refused(tmp_path):
    root = make_repo(tmp_path, OLD)
    prod = (root / "environments" / "dev.yaml").read_text().replace("demo-proj", "other-proj")
    (root / "environments" / "prod.yaml").write_text(
        prod.replace("environment: dev", "environment: prod")
    )
    with pytest.raises(init.InitError, match="disagree"):
        init.current_values(root)


def test_cli_without_a_terminal_names_the_missing_variables(tmp_path):
    root = make_repo(tmp_path, OLD)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fork",
            "init",
            "--root",
            str(root),
            "--project",
            "acme-churn",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Missing AWS_REGION, AWS_ACCOUNT_ID, GITHUB_REPO" in result.stderr
    assert "make init PROJECT=<name>" in result.stderr


def test_interactive_answers_are_asked_again_until_valid():
    answers = iter(["Bad Name", "", "acme-churn"])
    asked = init.ask("project", "demo-proj", answer=lambda prompt: next(answers), out=sys.stderr)
    assert asked == "demo-proj"  # the empty answer keeps the (valid) current value
    asked = init.ask("project", "demo-proj", answer=lambda prompt: next(answers), out=sys.stderr)
    assert asked == "acme-churn"
