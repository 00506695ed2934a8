"""The PR report's parts: the definition diff (pure comparison, and the base built from a git
worktree), the terraform plan summary, and the one comment that gathers them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ci import definition_diff, plan_summary, pr_comment

BASE = {
    "Version": "2020-12-01",
    "Parameters": [
        {"Name": "AccuracyThreshold", "Type": "Float", "DefaultValue": 0.9},
        {"Name": "InputDataUri", "Type": "String", "DefaultValue": "s3://b/dev/raw/"},
    ],
    "Steps": [
        {"Name": "Preprocess", "Type": "Processing", "Arguments": {"code": "s3://b/code/aaa/"}},
        {
            "Name": "QualityGate",
            "Type": "Condition",
            "Arguments": {
                "IfSteps": [{"Name": "RegisterModel", "Type": "RegisterModel", "Arguments": {}}],
                "ElseSteps": [{"Name": "RejectModel", "Type": "Fail", "Arguments": {}}],
            },
        },
    ],
}


def changed_head() -> dict:
    head = json.loads(json.dumps(BASE))
    head["Parameters"][0]["DefaultValue"] = 0.92
    head["Parameters"].append({"Name": "MaxIter", "Type": "Integer", "DefaultValue": 200})
    head["Steps"][0]["Arguments"]["code"] = "s3://b/code/bbb/"
    head["Steps"][1]["Arguments"]["ElseSteps"] = []
    head["Steps"].insert(1, {"Name": "Train", "Type": "Training", "Arguments": {}})
    return head


# ----------------------------------------------------------------------------------------------
# Definition diff
# ----------------------------------------------------------------------------------------------
def test_compare_names_every_kind_of_change():
    summary = definition_diff.compare(BASE, changed_head())
    assert summary["changed"] is True
    assert summary["parameters_changed"] == {"AccuracyThreshold": (0.9, 0.92)}
    assert summary["parameters_added"] == ["MaxIter"]
    assert summary["parameters_removed"] == []
    assert summary["steps_added"] == ["Train"]
    assert summary["steps_removed"] == ["RejectModel"]  # found inside the Condition's branches
    assert summary["steps_changed"] == {"Preprocess": ["Arguments"], "QualityGate": ["Arguments"]}


def test_compare_sees_no_change_in_identical_definitions():
    summary = definition_diff.compare(BASE, json.loads(json.dumps(BASE)))
    assert summary["changed"] is False
    assert definition_diff.render("dev", summary, []).endswith("No change.\n")


def test_render_gives_a_table_and_a_collapsed_diff():
    head = changed_head()
    text = definition_diff.render(
        "staging", definition_diff.compare(BASE, head), definition_diff.unified(BASE, head)
    )
    assert text.startswith("#### Pipeline definition: `staging`")
    assert "| parameter `AccuracyThreshold` | default `0.9` -> `0.92` |" in text
    assert "| step added | `Train` |" in text
    assert "| step removed | `RejectModel` |" in text
    assert "<details><summary>Diff</summary>" in text
    assert '-        "code": "s3://b/code/aaa/"' in text
    assert '+        "code": "s3://b/code/bbb/"' in text


def test_unified_diff_is_cut_at_the_limit():
    head = {"Steps": [{"Name": f"S{i}", "Arguments": {}} for i in range(100)]}
    lines = definition_diff.unified(None, head, limit=10)
    assert len(lines) == 11
    assert lines[-1].startswith("... ") and "more lines" in lines[-1]


def test_a_definition_new_on_main_and_an_error_render_clearly():
    new = definition_diff.compare(None, BASE)
    assert "New definition (main has none yet)" in definition_diff.render("dev", new, [])
    assert ":x: boom" in definition_diff.render("dev", {"error": "boom"}, [])


FAKE_BUILDER = """
import argparse, json, pathlib
parser = argparse.ArgumentParser()
for flag in ("--env", "--out", "--git-sha", "--image-tag"):
    parser.add_argument(flag)
args = parser.parse_args()
threshold = pathlib.Path("environments", args.env + ".yaml").read_text().split(":")[1].strip()
definition = {"Parameters": [{"Name": "AccuracyThreshold", "DefaultValue": float(threshold)}],
              "Steps": [{"Name": "Train", "Lineage": args.git_sha}]}
pathlib.Path(args.out).write_text(json.dumps(definition))
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_the_base_definition_is_built_from_a_worktree_of_the_base_commit(tmp_path):
    repo = tmp_path / "repo"
    (repo / "build_pipeline").mkdir(parents=True)
    (repo / "environments").mkdir()
    # A regular package (as the real one is): a bare folder would lose to the installed project.
    (repo / "build_pipeline" / "__init__.py").write_text("")
    (repo / "build_pipeline" / "__main__.py").write_text(FAKE_BUILDER)
    (repo / "environments" / "dev.yaml").write_text("accuracy_threshold: 0.90\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    base_sha = git(repo, "rev-parse", "HEAD")
    (repo / "environments" / "dev.yaml").write_text("accuracy_threshold: 0.95\n")  # the PR

    work = tmp_path / "work"
    work.mkdir()
    base = definition_diff.base_definition(base_sha, "dev", work, sys.executable, repo=repo)
    head_out = work / "head.json"
    definition_diff.build_definition(repo, "dev", head_out, sys.executable)
    head = json.loads(head_out.read_text())

    assert base["Parameters"][0]["DefaultValue"] == 0.90
    assert head["Parameters"][0]["DefaultValue"] == 0.95
    # Both sides get the same lineage, so only the real change shows.
    assert base["Steps"] == head["Steps"] == [{"Name": "Train", "Lineage": "0" * 40}]
    summary = definition_diff.compare(base, head)
    assert summary["parameters_changed"] == {"AccuracyThreshold": (0.90, 0.95)}
    assert summary["steps_changed"] == {}
    worktrees = git(repo, "worktree", "list").splitlines()
    assert len(worktrees) == 1 and str(work) not in worktrees[0]  # the temporary one is removed


def test_a_base_without_the_environment_gives_none(tmp_path):
    repo = tmp_path / "repo"
    (repo / "build_pipeline").mkdir(parents=True)
    (repo / "build_pipeline" / "__main__.py").write_text(FAKE_BUILDER)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    work = tmp_path / "work"
    work.mkdir()
    assert definition_diff.base_definition("HEAD", "dev", work, sys.executable, repo=repo) is None


# ----------------------------------------------------------------------------------------------
# Plan summary
# ----------------------------------------------------------------------------------------------
PLAN = {
    "resource_changes": [
        {"address": "module.storage.aws_s3_bucket.artifacts", "change": {"actions": ["no-op"]}},
        {
            "address": "module.pipeline.aws_sagemaker_pipeline.this",
            "change": {"actions": ["update"]},
        },
        {
            "address": "module.endpoint.aws_sagemaker_endpoint_configuration.this",
            "change": {"actions": ["create", "delete"]},
        },
        {
            "address": "module.triggers.aws_scheduler_schedule.cron",
            "change": {"actions": ["create"]},
        },
        {"address": "module.alerts.aws_sns_topic.old", "change": {"actions": ["delete"]}},
        {"address": "data.aws_caller_identity.this", "change": {"actions": ["read"]}},
    ],
    "output_changes": {"pipeline_arn": {"actions": ["update"]}, "same": {"actions": ["no-op"]}},
}


def test_plan_summary_counts_each_action_and_flags_destruction():
    summary = plan_summary.summarize(PLAN)
    assert summary["counts"] == {"delete": 1, "replace": 1, "create": 1, "update": 1}
    assert summary["output_changes"] == ["pipeline_arn"]
    text = plan_summary.render("prod", summary)
    assert "1 to delete, 1 to replace, 1 to create, 1 to update." in text
    assert ":warning: **1 deletion(s) and 1 replacement(s)**" in text
    lines = text.splitlines()
    order = [line.split("|")[1].strip() for line in lines if line.startswith("| ") and "`" in line]
    assert order == ["delete", "replace", "create", "update"]  # the dangerous ones first


def test_plan_summary_of_no_changes_and_of_a_skip(tmp_path):
    assert "No changes." in plan_summary.render("dev", plan_summary.summarize({}))
    out = tmp_path / "dev-plan.md"
    assert plan_summary.main(["--env", "dev", "--skipped", "no role", "--out", str(out)]) == 0
    assert out.read_text() == "#### Terraform plan: `dev`\n\nSkipped: no role\n"


def test_plan_summary_cli_reads_terraform_show_json(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN))
    out = tmp_path / "staging-plan.md"
    assert plan_summary.main(["--env", "staging", "--plan-json", str(plan), "--out", str(out)]) == 0
    assert "`module.alerts.aws_sns_topic.old`" in out.read_text()
    plan.write_text("Error: no plan")
    assert plan_summary.main(["--env", "staging", "--plan-json", str(plan), "--out", str(out)]) == 1
    assert "not a JSON plan" in out.read_text()


def test_plan_summary_truncates_long_plans():
    many = {
        "resource_changes": [
            {"address": f"aws_s3_object.o{i}", "change": {"actions": ["create"]}} for i in range(80)
        ]
    }
    text = plan_summary.render("dev", plan_summary.summarize(many), limit=50)
    assert "| ... | 30 more |" in text


# ----------------------------------------------------------------------------------------------
# The comment
# ----------------------------------------------------------------------------------------------
NEEDS = {
    "lint": {"result": "success", "outputs": {}},
    "test": {"result": "failure", "outputs": {}},
    "e2e-local": {"result": "success", "outputs": {}},
    "image-build": {"result": "skipped", "outputs": {}},
    "validate": {"result": "success", "outputs": {}},
}


def test_the_comment_gathers_results_and_every_environment(tmp_path):
    (tmp_path / "dev-definition.md").write_text("#### Pipeline definition: `dev`\n\nNo change.\n")
    (tmp_path / "dev-plan.md").write_text("#### Terraform plan: `dev`\n\nSkipped: no role\n")
    (tmp_path / "prod-plan.md").write_text("#### Terraform plan: `prod`\n\nNo changes.\n")
    environ = {"HEAD_SHA": "abcdef1234567890", "GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "o/r"}
    text = pr_comment.render(NEEDS, tmp_path, environ)
    assert text.startswith("## PR validation :x:")  # one failed job fails the whole report
    assert "| Unit tests (make test) | :x: failure |" in text
    assert (
        "| Images build (only when training_code/ changed) | :heavy_minus_sign: skipped |" in text
    )
    assert "Commit `abcdef123456` · [workflow run](https://github.com/o/r/actions/runs/42)" in text
    for env in ("dev", "staging", "prod"):
        assert f"### `{env}`" in text
    assert "Skipped: no role" in text
    assert text.count("no definition diff was produced") == 2  # staging and prod
    assert text.count("no plan summary was produced") == 1  # staging


def test_the_comment_is_green_when_nothing_failed(tmp_path, monkeypatch):
    passing = {name: {"result": "success"} for name in NEEDS}
    passing["image-build"] = {"result": "skipped"}
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("NEEDS_JSON", json.dumps(passing))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = tmp_path / "comment.md"
    assert pr_comment.main(["--dir", str(tmp_path), "--out", str(out)]) == 0
    assert out.read_text().startswith("## PR validation :white_check_mark:")
    assert summary.read_text() == out.read_text()  # the job summary shows the same report
