"""docs/cicd.md matches the workflows: every workflow, job, variable and make target it names is
real, every real one is documented, and its links resolve."""

from __future__ import annotations

import re
import subprocess

import pytest
from cicd_helpers import REPO_ROOT

DOC = REPO_ROOT / "docs" / "cicd.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def workflow_texts() -> dict[str, str]:
    folder = REPO_ROOT / ".github" / "workflows"
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.yml"))}


def defined_targets() -> set[str]:
    """Targets of the Makefile and every fragment, as make itself reads them."""
    result = subprocess.run(
        ["make", "-pRrq", "-f", "Makefile", ":"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    targets = set()
    for line in result.stdout.splitlines():
        match = re.match(r"^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(?!=)", line)
        if match:
            targets.add(match.group(1))
    assert "help" in targets and "deploy" in targets, result.stderr
    return targets


def make_targets(text: str) -> set[str]:
    return set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", text))


def test_the_doc_has_the_flow_as_a_mermaid_diagram(doc):
    block = re.search(r"```mermaid\n(.*?)```", doc, re.S)
    assert block, "docs/cicd.md needs a ```mermaid diagram of the flow"
    diagram = block.group(1)
    for node in ("pr-validation.yml", "release.yml", "deploy.yml", "model-approved", "reviewers"):
        assert node in diagram, node


def test_every_workflow_and_its_trigger_is_documented(doc, workflow_texts):
    for name in workflow_texts:
        assert f".github/workflows/{name}" in doc, name
    for trigger in ("pull_request", "push", "repository_dispatch", "workflow_dispatch"):
        assert f"`{trigger}`" in doc, trigger


def test_every_job_of_the_release_and_pr_workflows_is_in_the_diagram(doc):
    import yaml

    for name in ("release.yml", "pr-validation.yml", "deploy.yml"):
        path = REPO_ROOT / ".github" / "workflows" / name
        jobs = yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"]
        for job in jobs:
            assert re.search(rf"\b{re.escape(job)}\b", doc), f"{name}: job {job} not in the doc"


def test_every_variable_the_workflows_read_is_explained(doc, workflow_texts):
    used = set()
    for text in workflow_texts.values():
        used |= set(re.findall(r"vars\.([A-Z0-9_]+)", text))
        used |= set(re.findall(r"plan_role: ([A-Z0-9_]+)", text))
    assert {"AWS_DEPLOY_ROLE_ARN", "CD_ENABLED", "AWS_PLAN_ROLE_ARN_PROD"} <= used
    for variable in used:
        assert f"`{variable}`" in doc, f"{variable} is read by a workflow but not documented"


def test_the_doc_names_the_environments_and_their_gates(doc):
    for phrase in ("required reviewers", "`dev`", "`staging`", "`prod`", "bootstrap",
                   "cancel-in-progress: false", "make rollback ENV=prod", "DRY_RUN=1"):  # fmt: skip
        assert phrase in doc, phrase


def test_every_make_target_in_the_doc_and_the_workflows_exists(doc, workflow_texts):
    targets = defined_targets()
    wanted = make_targets(doc)
    for text in workflow_texts.values():
        wanted |= make_targets(text)
    assert {"deploy", "test", "lint", "setup"} <= wanted
    assert {"plan", "apply", "rollout", "rollback"} <= wanted  # mk/terraform.mk, mk/deploy.mk
    assert sorted(wanted - targets) == [], "make targets used but not defined"


def test_relative_links_resolve(doc):
    for target in re.findall(r"\]\((?!https?://|#)([^)]+)\)", doc):
        path = (DOC.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"docs/cicd.md links to {target}, which does not exist"
