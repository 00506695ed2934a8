"""The issue's "done when", on a fresh copy of this working tree: `make init` with sample values
leaves no trace of the template's name or placeholders, the environments still load, the copy
generates and draws its own definition with the new names, and the copy's own tests that pin
names (env_config, deploy builders, Terraform's dev test) pass.

One copy for the module: init runs once (about a second); the expensive parts are
`make dag ENV=dev` (the SDK builds the definition) and `terraform test` of one file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from fork_helpers import REPO_ROOT, VENV, age_stamp_prerequisites, copy_working_tree, git, make_in

from fork import init

pytestmark = (
    pytest.mark.slow
)  # copies the repository and runs init, pytest and terraform in the copy: `make test` runs it, `make test-fast` does not

# The sample values; a fork that was itself initialised with them renames to others.
# It keeps the account: the sample's is also moto's, which the tests spell out as moto's.
SAMPLE = init.Values("acme-churn", "eu-west-1", "123456789012", "acme/churn")
if init.current_values(REPO_ROOT).project == SAMPLE.project:
    SAMPLE = init.Values("beta-forecast", "ap-southeast-2", SAMPLE.account_id, "beta/forecast")
P, R, A, G, OWNER = (
    SAMPLE.project,
    SAMPLE.region,
    SAMPLE.account_id,
    SAMPLE.github_repo,
    SAMPLE.owner,
)
MAKE_INIT = [
    "init",
    f"PROJECT={SAMPLE.project}",
    f"AWS_REGION={SAMPLE.region}",
    f"AWS_ACCOUNT_ID={SAMPLE.account_id}",
    f"GITHUB_REPO={SAMPLE.github_repo}",
]


@pytest.fixture(scope="module")
def fork(tmp_path_factory):
    """(copy, values before init, first `make init` result, second `make init` result)."""
    root = copy_working_tree(tmp_path_factory.mktemp("fork") / "repo")
    before = init.current_values(root)
    force = [] if init.is_template(before) else ["FORCE=1"]  # a fork's own copy of this test
    first = make_in(root, *MAKE_INIT, *force)
    status_after_first = git(root, "status", "--porcelain")
    age_stamp_prerequisites(root)  # init renamed package.json: no `make setup` in the copy
    second = make_in(root, *MAKE_INIT, *force)
    assert git(root, "status", "--porcelain") == status_after_first, "the second run changed files"
    return root, before, first, second


def test_make_init_renames_and_a_second_run_changes_nothing(fork):
    _, before, first, second = fork
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"Initialised {SAMPLE.project}: {before.project} -> {SAMPLE.project}" in first.stdout
    assert "environments/dev.yaml" in first.stdout
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"Nothing to change: this copy is already {P}" in second.stdout


def test_no_trace_of_the_template_is_left_in_tracked_files(fork):
    root, before, first, _ = fork
    assert first.returncode == 0
    needles = [before.project, before.github_repo, before.owner + "/"]
    if init.is_template(before):
        needles.append(init.PLACEHOLDER_OWNER)
    account = re.compile(rf"(?<![0-9]){before.account_id}(?![0-9])")
    found = []
    for name in init.tracked_files(root):
        text = init.read_text(root / name)
        if text is None:
            continue
        found += [f"{name}: {needle}" for needle in needles if needle in text]
        if before.account_id != A and account.search(text) and not init.LOCK_FILES.search(name):
            found.append(f"{name}: {before.account_id}")
    assert found == []
    # ... and the new names are where the old ones were.
    assert f'"name": "{P}-tools"' in (root / "package.json").read_text()
    assert f'name = "{P}"' in (root / "pyproject.toml").read_text()
    backend = (root / "environments" / "prod.backend.hcl").read_text()
    assert f'bucket       = "{P}-tfstate-{A}"' in backend
    assert f'region       = "{R}"' in backend
    if init.is_template(before):  # the placeholder owner, alone, is renamed too
        assert (
            f"*                         @{OWNER}\n" in (root / ".github" / "CODEOWNERS").read_text()
        )


def test_json_and_yaml_still_parse_and_every_environment_loads(fork):
    root, _, first, _ = fork
    assert first.returncode == 0
    for name in init.tracked_files(root):
        if name.endswith(".json"):
            json.loads((root / name).read_text())
        elif name.endswith((".yaml", ".yml")):
            list(yaml.safe_load_all((root / name).read_text()))
    code = (
        "import env_config\n"
        "for env in env_config.available_environments():\n"
        "    c = env_config.load(env)\n"
        "    print(env, c.get('project'), c.region, c.account_id, c.get('github_repository'),"
        " c.bucket, c.image_repository_uri('job'))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert loaded == [
        f"{env} {P} {R} {A} {G} "
        f"{P}-{env}-artifacts-{A} "
        f"{A}.dkr.ecr.{R}.amazonaws.com/{P}-jobs"
        for env in ("dev", "local", "prod", "staging")
    ]


def test_the_copy_generates_and_draws_a_definition_with_its_own_names(fork):
    root, before, first, _ = fork
    assert first.returncode == 0
    made = make_in(root, "dag", "ENV=dev")
    assert made.returncode == 0, made.stdout + made.stderr
    assert made.stdout.count("flowchart LR") == 1
    assert "QualityGate -->|if| RegisterModel" in made.stdout
    text = (root / "build" / "dev" / "pipeline-definition.json").read_text()
    definition = json.loads(text)
    assert before.project not in text and (before.account_id == A or before.account_id not in text)
    uri = next(p for p in definition["Parameters"] if p["Name"] == "InputDataUri")
    assert uri["DefaultValue"] == f"s3://{P}-dev-artifacts-{A}/dev/raw/"
    assert f"arn:aws:iam::{A}:role/{P}-dev-execution" in text
    assert f"{A}.dkr.ecr.{R}.amazonaws.com/{P}-jobs" in text
    svg = (root / "build" / "dev" / "pipeline-dag.svg").read_text()
    assert svg.startswith("<svg") and ">RegisterModel</text>" in svg


def test_the_copys_own_name_pinning_tests_pass(fork):
    """Tests that spell out names, the account and the region (resource names, ARNs, the dry
    run's plan, moto's region): after init they must agree with the renamed files."""
    root, _, first, _ = fork
    assert first.returncode == 0
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/env_config",
            "tests/deploy/test_deploy_builders.py",
            "tests/deploy/test_deploy_endpoint_off.py",
            "tests/terraform/test_terraform_tfvars.py",
            "tests/release/test_release_deployment.py",
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


def test_terraform_tests_of_dev_agree_with_the_renamed_environment(fork, tmp_path):
    """terraform/tests/dev.tftest.hcl spells out the bucket, the repository and the secret."""
    root, _, first, _ = fork
    assert first.returncode == 0
    assert shutil.which(
        "terraform"
    ), "terraform is needed by make test (see docs/infrastructure.md)"
    plugins = "/opt/tf-plugins"
    init_args = ["-input=false", "-backend=false"]
    if os.path.isdir(f"{plugins}/registry.terraform.io"):
        init_args.append(f"-plugin-dir={plugins}")
    env = {**os.environ, "TF_DATA_DIR": str(tmp_path / "tf")}
    if env.get("TF_CLI_CONFIG_FILE") and not os.path.exists(env["TF_CLI_CONFIG_FILE"]):
        env.pop("TF_CLI_CONFIG_FILE")
    terraform = root / "terraform"
    subprocess.run(
        ["terraform", f"-chdir={terraform}", "init", *init_args],
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    tested = subprocess.run(
        ["terraform", f"-chdir={terraform}", "test", "-filter=tests/dev.tftest.hcl", "-no-color"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    assert re.search(r"\d+ passed, 0 failed", tested.stdout), tested.stdout[-2000:]
    assert f"{P}-dev-artifacts-{A}" in (terraform / "tests" / "dev.tftest.hcl").read_text()


def test_the_copy_shares_this_venv_and_installs_nothing(fork):
    root, _, first, _ = fork
    assert first.returncode == 0
    if VENV is not None:
        assert (root / ".venv").is_symlink() and (root / ".venv").resolve() == VENV.resolve()
    assert not (root / "node_modules").exists(), "npm ci ran in the copy"
    assert root != REPO_ROOT
