""".pre-commit-config.yaml cannot rot: every hook is local (no download, works offline), names
the linters the project promises, and its command runs here on a file it covers."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import pytest
import yaml
from docs_helpers import REPO_ROOT, tracked

pytestmark = (
    pytest.mark.slow
)  # runs every pre-commit hook's command (checkov, actionlint, zizmor, pip-audit): `make test` runs it, `make test-fast` does not

CONFIG = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
HOOKS = [hook for repo in CONFIG["repos"] for hook in repo["hooks"]]
SLOW = {
    "checkov",
    "pip-audit",
}  # make lint runs them; here only their targets are checked (make -n)


def test_every_hook_is_local_and_the_promised_linters_are_there():
    assert [repo["repo"] for repo in CONFIG["repos"]] == ["local"]
    assert {"ruff", "black", "terraform-fmt", "checkov", "tflint", "actionlint"} <= {
        hook["id"] for hook in HOOKS
    }
    for hook in HOOKS:
        assert hook["language"] == "system" and hook["entry"] and hook["name"], hook["id"]


def covered_file(hook: dict) -> str:
    files = re.compile(hook.get("files", "."))
    types = set(hook.get("types_or", []))
    for path in tracked("*"):
        name = str(path.relative_to(REPO_ROOT))
        if files.search(name) and (not types or path.suffix in {".py", ".pyi"}):
            return name
    raise AssertionError(f"hook {hook['id']} covers no tracked file")


def test_each_hook_command_runs_and_changes_nothing_on_a_clean_file():
    for hook in HOOKS:
        words = shlex.split(hook["entry"])
        assert (REPO_ROOT / words[0]).is_file() or shutil.which(words[0]), hook["entry"]
        target = covered_file(hook)
        if words[0] == "make":
            words = ["make", "-n", *words[1:]] if hook["id"] in SLOW else words
        before = (REPO_ROOT / target).read_bytes()
        args = [] if hook.get("pass_filenames") is False else [target]
        result = subprocess.run(
            [*words, *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert (
            result.returncode == 0
        ), f"{hook['id']}: {result.stdout[-1500:]}{result.stderr[-1500:]}"
        assert (REPO_ROOT / target).read_bytes() == before, f"{hook['id']} changed {target}"
