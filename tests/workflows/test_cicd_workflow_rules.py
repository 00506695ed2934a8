"""The rules every workflow keeps: pinned actions, OIDC only, no injection, minimal permissions,
gated promotion, one apply per environment at a time, path filters. Each rule is a function over
the parsed workflow so that a negative case proves it can fail."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cicd_helpers import REPO_ROOT, load_workflow

PIN = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")
SHA_REF = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^v\d+(\.\d+){0,2}\b")
EXPRESSION_IN_RUN = re.compile(r"\$\{\{")
ACCESS_KEY_MARKERS = (
    "aws-access-key-id",
    "aws-secret-access-key",
    "aws_access_key_id",
    "aws_secret_access_key",
    "secrets.aws",
)
DEPLOY_ENVIRONMENTS = ("dev", "staging", "prod")


# ----------------------------------------------------------------------------------------------
# Rules (pure functions: a list of problems, empty when the workflow keeps the rule)
# ----------------------------------------------------------------------------------------------
def unpinned_uses(text: str) -> list[str]:
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = PIN.match(line)
        if not match:
            continue
        ref, comment = match["ref"], (match["comment"] or "").strip()
        if ref.startswith("./"):
            continue  # a local action is versioned with the repository
        if not SHA_REF.match(ref):
            problems.append(f"line {number}: {ref} is not pinned to a 40-hex commit SHA")
        elif not VERSION_COMMENT.match(comment):
            problems.append(f"line {number}: {ref} has no '# vX.Y.Z' version comment")
    return problems


def steps_of(workflow: dict[str, Any]):
    for job_name, job in (workflow.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            yield job_name, step


def expressions_in_run(workflow: dict[str, Any]) -> list[str]:
    """Any ${{ }} in a run: script (event text, inputs, outputs): pass values through env:."""
    return [
        f"job {job}: step '{step.get('name', step['run'][:40])}' interpolates ${{{{ }}}} in run:"
        for job, step in steps_of(workflow)
        if "run" in step and EXPRESSION_IN_RUN.search(step["run"])
    ]


def access_key_use(text: str) -> list[str]:
    lowered = text.lower()
    return [marker for marker in ACCESS_KEY_MARKERS if marker in lowered]


def uses_oidc(job: dict[str, Any]) -> bool:
    return any(
        str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")
        for step in job.get("steps") or []
    )


def permission_problems(workflow: dict[str, Any]) -> list[str]:
    problems = []
    top = workflow.get("permissions", "missing")
    if top == "missing":
        problems.append("no top-level permissions")
    elif top not in ({}, "read-all") and any(
        value != "read" for value in (top.values() if isinstance(top, dict) else [top])
    ):
        problems.append(f"top-level permissions grant writes: {top}")
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        if permissions is None:
            problems.append(f"job {name}: no permissions block")
            continue
        if isinstance(permissions, str):
            problems.append(f"job {name}: permissions '{permissions}' (list them per scope)")
            continue
        if permissions.get("id-token") == "write" and not uses_oidc(job):
            problems.append(f"job {name}: id-token: write without configure-aws-credentials")
        if uses_oidc(job) and permissions.get("id-token") != "write":
            problems.append(f"job {name}: uses OIDC but lacks id-token: write")
        writes = {scope for scope, level in permissions.items() if level == "write"}
        allowed = {"id-token"}
        step_uses = " ".join(str(step.get("uses", "")) for step in job.get("steps") or [])
        if "sticky-pull-request-comment" in step_uses:
            allowed.add("pull-requests")
        if "create-pull-request" in step_uses:
            allowed |= {"contents", "pull-requests"}
        if writes - allowed:
            problems.append(f"job {name}: writes {sorted(writes - allowed)} it does not need")
    return problems


def needs_of(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def chain_problems(workflow: dict[str, Any]) -> list[str]:
    """prod needs staging needs dev; each sets its GitHub environment and an apply-safe group."""
    jobs, problems = workflow["jobs"], []
    for name in DEPLOY_ENVIRONMENTS:
        if name not in jobs:
            problems.append(f"no job {name}")
    if problems:
        return problems
    if "staging" not in needs_of(jobs["prod"]):
        problems.append("prod does not need staging")
    if "dev" not in needs_of(jobs["staging"]):
        problems.append("staging does not need dev")
    groups = set()
    for name in DEPLOY_ENVIRONMENTS:
        job = jobs[name]
        environment = job.get("environment")
        environment = environment.get("name") if isinstance(environment, dict) else environment
        if environment != name:
            problems.append(f"job {name}: environment is {environment!r}, not {name!r}")
        concurrency = job.get("concurrency") or {}
        group = concurrency.get("group", "") if isinstance(concurrency, dict) else concurrency
        if name not in str(group):
            problems.append(f"job {name}: concurrency group {group!r} does not name {name}")
        if not isinstance(concurrency, dict) or concurrency.get("cancel-in-progress") is not False:
            problems.append(f"job {name}: cancel-in-progress must be false (never stop an apply)")
        groups.add(group)
    if len(groups) != len(DEPLOY_ENVIRONMENTS):
        problems.append(f"concurrency groups are not one per environment: {groups}")
    return problems


def github_glob(pattern: str) -> re.Pattern[str]:
    """GitHub's path filter globs: ** crosses folders, * stays within one."""
    out, index = "", 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out, index = out + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            out, index = out + ".*", index + 2
        elif pattern[index] == "*":
            out, index = out + "[^/]*", index + 1
        else:
            out, index = out + re.escape(pattern[index]), index + 1
    return re.compile(f"^{out}$")


def push_triggers(workflow: dict[str, Any], changed: list[str]) -> bool:
    """Would a push of these files to main start the workflow (paths-ignore semantics)?"""
    push = workflow["on"].get("push") or {}
    ignored = [github_glob(pattern) for pattern in push.get("paths-ignore", [])]
    return any(not any(glob.match(path) for glob in ignored) for path in changed)


# ----------------------------------------------------------------------------------------------
# The workflows keep the rules
# ----------------------------------------------------------------------------------------------
def test_every_workflow_parses_with_name_triggers_and_jobs(workflows):
    assert set(workflows) >= {"pr-validation.yml", "release.yml", "deploy.yml"}
    for name, workflow in workflows.items():
        assert workflow.get("name"), name
        assert workflow.get("on"), name
        assert workflow.get("jobs"), name
        for job_name, job in workflow["jobs"].items():
            assert job.get("timeout-minutes"), f"{name}:{job_name} has no timeout-minutes"


def test_every_action_is_pinned_to_a_sha_with_a_version_comment(workflow_paths):
    for path in workflow_paths:
        assert unpinned_uses(path.read_text(encoding="utf-8")) == [], path.name


def test_one_action_one_pin_across_workflows(workflow_paths):
    pins: dict[str, set[str]] = {}
    for path in workflow_paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = PIN.match(line)
            if match:
                action, _, sha = match["ref"].partition("@")
                pins.setdefault(action, set()).add(f"{sha} {match['comment']}")
    assert {action: refs for action, refs in pins.items() if len(refs) > 1} == {}


def test_no_expression_is_interpolated_into_a_run_script(workflows):
    for name, workflow in workflows.items():
        assert expressions_in_run(workflow) == [], name


def test_no_long_lived_aws_keys(workflow_paths):
    for path in workflow_paths:
        assert access_key_use(path.read_text(encoding="utf-8")) == [], path.name


def test_permissions_are_declared_and_minimal(workflows):
    for name, workflow in workflows.items():
        assert workflow.get("permissions") == {}, f"{name}: top-level permissions must be {{}}"
        assert permission_problems(workflow) == [], name


def test_release_promotes_dev_then_staging_then_prod(release):
    assert chain_problems(release) == []
    jobs = release["jobs"]
    assert "images" in needs_of(jobs["dev"])
    assert set(needs_of(jobs["images"])) >= {"test", "e2e-local"}
    for name in DEPLOY_ENVIRONMENTS:
        assert "images" in needs_of(jobs[name]), f"{name} must deploy the images built once"


def test_release_runs_make_deploy_with_the_built_digests(release):
    for name in DEPLOY_ENVIRONMENTS:
        job = release["jobs"][name]
        deploy = [step for step in job["steps"] if f"make deploy ENV={name}" in step.get("run", "")]
        assert len(deploy) == 1, name
        assert "AUTO_APPROVE=1" in deploy[0]["run"], name
        env = deploy[0]["env"]
        assert env["JOB_IMAGE_DIGEST"] == "${{ needs.images.outputs.job_digest }}"
        assert env["INFERENCE_IMAGE_DIGEST"] == "${{ needs.images.outputs.inference_digest }}"
    for name in ("staging", "prod"):  # may copy from dev's registry: logged in to both
        login = next(
            s for s in release["jobs"][name]["steps"] if "amazon-ecr-login" in s.get("uses", "")
        )
        assert "needs.images.outputs.account_id" in login["with"]["registries"]
    dev_run = next(
        s["run"] for s in release["jobs"]["dev"]["steps"] if "make deploy" in s.get("run", "")
    )
    assert "START_PIPELINE=1" in dev_run  # the code-change trigger


def test_images_are_tagged_with_the_commit_and_cached(release):
    builds = [
        s for s in release["jobs"]["images"]["steps"] if "build-push-action" in s.get("uses", "")
    ]
    assert {step["with"]["target"] for step in builds} == {"job", "inference"}
    for step in builds:
        assert step["with"]["tags"].endswith(":${{ github.sha }}")
        assert step["with"]["push"] is True
        assert step["with"]["cache-from"].startswith("type=gha")
        assert step["with"]["cache-to"].startswith("type=gha")
        assert step["with"]["provenance"] is False  # SageMaker needs a plain image manifest


def test_oidc_roles_come_from_environment_variables(workflows):
    for name, workflow in workflows.items():
        for job_name, step in steps_of(workflow):
            if str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@"):
                role = step["with"]["role-to-assume"]
                assert "vars." in role or "env.PLAN_ROLE_ARN" in role, f"{name}:{job_name}"
                assert (
                    "steps.env.outputs.region" in step["with"]["aws-region"]
                ), f"{name}:{job_name}: the region comes from environments/<env>.yaml"


def test_docs_only_changes_do_not_rebuild_images(release):
    assert not push_triggers(release, ["docs/cicd.md", "README.md", "docs/img/flow.md"])
    assert not push_triggers(release, ["deployments/prod.json"])
    assert push_triggers(release, ["training_code/train.py"])
    assert push_triggers(release, ["docs/cicd.md", "terraform/main.tf"])
    assert release["on"]["push"]["branches"] == ["main"]


def test_deploy_accepts_model_approved_dispatch_and_manual_runs(deploy_workflow):
    on = deploy_workflow["on"]
    assert on["repository_dispatch"]["types"] == ["model-approved"]
    inputs = on["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"environment", "model_package_arn", "skip_staging_reason"}
    assert inputs["skip_staging_reason"]["default"] == ""  # skipping staging is never the default
    assert set(inputs["environment"]["options"]) == set(DEPLOY_ENVIRONMENTS)
    assert inputs["model_package_arn"]["default"] == "latest"
    # A merged record (no-op) or its revert (roll back) on main: git is the desired state.
    assert on["push"] == {"branches": ["main"], "paths": ["deployments/*.json"]}
    assert set(on) == {"repository_dispatch", "workflow_dispatch", "push"}


def test_deploy_gates_and_records(deploy_workflow):
    jobs = deploy_workflow["jobs"]
    assert chain_problems(deploy_workflow) == []
    for name in DEPLOY_ENVIRONMENTS:
        runs = " ".join(step.get("run", "") for step in jobs[name]["steps"])
        assert "python -m deploy validate-event" in runs, name
        assert 'make rollout ENV="$ENVIRONMENT"' in runs, name
        assert "python -m deploy record" in runs, name
    staging_runs = " ".join(step.get("run", "") for step in jobs["staging"]["steps"])
    assert "-m ci load-test" in staging_runs and "--max-seconds" in staging_runs
    assert "make rollback" in staging_runs
    for name in DEPLOY_ENVIRONMENTS:  # each job deploys the ARN chosen for its environment
        assert (
            jobs[name]["env"]["MODEL_PACKAGE_ARN"] == f"${{{{ needs.request.outputs.arn_{name} }}}}"
        )
    record_steps = jobs["record"]["steps"]
    record_uses = [step.get("uses", "") for step in record_steps]
    assert any(use.startswith("peter-evans/create-pull-request@") for use in record_uses)
    assert set(needs_of(jobs["record"])) >= set(DEPLOY_ENVIRONMENTS)


def test_the_record_pr_is_opened_with_an_app_token_so_its_checks_run(deploy_workflow):
    """Issue 12: a PR opened with GITHUB_TOKEN starts no workflow, so required checks never
    report. The record PR uses a GitHub App installation token; the job's own token only reads."""
    record = deploy_workflow["jobs"]["record"]
    assert record["permissions"] == {"contents": "read"}
    steps = {step.get("uses", "").split("@")[0]: step for step in record["steps"]}
    app = steps["actions/create-github-app-token"]
    assert app["with"]["permission-contents"] == "write"
    assert app["with"]["permission-pull-requests"] == "write"
    assert steps["peter-evans/create-pull-request"]["with"]["token"] == (
        f"${{{{ steps.{app['id']}.outputs.token }}}}"
    )


def test_one_concurrency_group_per_environment_for_apply_and_rollout(workflows, deploy_workflow):
    """Issue 12: release.yml applied under apply-<env> and deploy.yml rolled out under
    rollout-<env>, so both could change one endpoint at once."""
    release = workflows["release.yml"]["jobs"]
    for name in DEPLOY_ENVIRONMENTS:
        rollout = deploy_workflow["jobs"][name]["concurrency"]["group"]
        applies = [
            job["concurrency"]["group"]
            for job in release.values()
            if job.get("environment") == name and isinstance(job.get("concurrency"), dict)
        ]
        assert applies and set(applies) == {rollout} == {f"endpoint-{name}"}


def test_a_promoted_package_reaches_prod_only_after_staging_and_the_gate(deploy_workflow):
    """A staging approval also targets prod (promote_from): a failed or cancelled staging job
    must stop prod, which waits for the `prod` environment's reviewers."""
    prod = deploy_workflow["jobs"]["prod"]
    assert "staging" in needs_of(prod)
    assert prod["environment"] == "prod"
    condition = prod["if"]
    assert "needs.staging.result != 'failure'" in condition
    assert "needs.staging.result != 'cancelled'" in condition


def test_the_request_job_reads_yaml_with_the_locked_pyyaml(deploy_workflow):
    pin = re.compile(r"^pyyaml==(\S+) ", re.MULTILINE | re.IGNORECASE)
    dev = pin.search((REPO_ROOT / "requirements" / "dev.lock").read_text(encoding="utf-8"))
    lock = (REPO_ROOT / "requirements" / "workflow.lock").read_text(encoding="utf-8")
    assert pin.search(lock).group(1) == dev.group(1) and "--hash=sha256:" in lock
    steps = deploy_workflow["jobs"]["request"]["steps"]
    uses = [step.get("uses", "") for step in steps]
    assert any(use.startswith("actions/setup-python@") for use in uses)
    runs = [step.get("run", "") for step in steps]
    install = next(index for index, run in enumerate(runs) if "pip install" in run)
    read = next(index for index, run in enumerate(runs) if "ci deploy-request" in run)
    assert "--require-hashes -r requirements/workflow.lock" in runs[install] and install < read


def test_deploy_reads_the_event_from_a_file_not_an_expression(deploy_workflow):
    request = deploy_workflow["jobs"]["request"]
    assert any("-m ci deploy-request" in step.get("run", "") for step in request["steps"])
    text = (REPO_ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8")
    assert "client_payload" not in re.sub(r"#.*", "", text)


def test_pr_validation_reports_every_environment_in_one_sticky_comment(pr_validation):
    jobs = pr_validation["jobs"]
    assert set(pr_validation["on"]) == {"pull_request"}
    matrix = jobs["validate"]["strategy"]["matrix"]["include"]
    assert [entry["environment"] for entry in matrix] == list(DEPLOY_ENVIRONMENTS)
    report = jobs["report"]
    assert set(needs_of(report)) == {"lint", "test", "e2e-local", "image-build", "validate"}
    assert report["if"] == "always()"
    sticky = [s for s in report["steps"] if "sticky-pull-request-comment" in s.get("uses", "")]
    assert len(sticky) == 1 and sticky[0]["with"]["header"] == "pr-validation"
    runs = " ".join(step.get("run", "") for job in jobs.values() for step in job["steps"])
    for command in (
        "make lint",
        "make test",
        "make deploy ENV=local",
        "-m ci definition-diff",
        "-m ci plan-summary",
        "-m ci pr-comment",
        "GITHUB_STEP_SUMMARY",
    ):
        assert command in runs, command


def test_pr_validation_builds_images_only_when_their_sources_change(pr_validation):
    job = pr_validation["jobs"]["image-build"]
    assert job["if"] == "needs.changes.outputs.images == 'true'"
    for step in job["steps"]:
        if "build-push-action" in step.get("uses", ""):
            assert step["with"]["push"] is False


def test_dependabot_covers_actions_pip_and_terraform():
    import yaml

    config = yaml.safe_load((REPO_ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert {"github-actions", "pip", "terraform"} <= ecosystems


# ----------------------------------------------------------------------------------------------
# The rules catch what they are for
# ----------------------------------------------------------------------------------------------
BAD_WORKFLOW = """
name: bad
on:
  pull_request_target: {}
permissions: write-all
jobs:
  deploy:
    runs-on: ubuntu-latest
    permissions:
      contents: write
      id-token: write
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c
        with:
          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


def test_the_rules_reject_a_bad_workflow(tmp_path: Path):
    path = tmp_path / "bad.yml"
    path.write_text(BAD_WORKFLOW, encoding="utf-8")
    workflow = load_workflow(path)
    assert len(unpinned_uses(BAD_WORKFLOW)) == 2  # a tag, and a SHA without a version comment
    assert expressions_in_run(workflow)
    assert access_key_use(BAD_WORKFLOW)
    problems = permission_problems(workflow)
    assert any("top-level" in problem for problem in problems)
    assert any("contents" in problem for problem in problems)
    assert chain_problems(workflow) == ["no job dev", "no job staging", "no job prod"]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("docs/**", "docs/a/b.md", True),
        ("**/*.md", "README.md", True),
        ("**/*.md", "training_code/notes.md", True),
        ("*.md", "docs/x.md", False),
        ("docs/**", "training_code/docs.py", False),
    ],
)
def test_github_glob(pattern, path, matches):
    assert bool(github_glob(pattern).match(path)) is matches


def test_chain_rule_rejects_a_prod_that_skips_staging(release):
    import copy

    broken = copy.deepcopy(release)
    broken["jobs"]["prod"]["needs"] = ["images", "dev"]
    broken["jobs"]["staging"]["concurrency"]["cancel-in-progress"] = True
    problems = chain_problems(broken)
    assert "prod does not need staging" in problems
    assert any("cancel-in-progress" in problem for problem in problems)
