"""Helpers of the fork tests: a small git repository shaped like the template, and a copy of this
working tree that shares this machine's venv (no second venv, no pip)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The venv running the tests: the copy's make targets use it (VENV=...), and `-o` keeps make from
# re-installing it because the copy's requirement files are newer than its stamp.
VENV = Path(sys.executable).resolve().parent.parent if sys.prefix != sys.base_prefix else None
GIT_ENV = {
    "GIT_AUTHOR_NAME": "fork test",
    "GIT_AUTHOR_EMAIL": "fork@test.invalid",
    "GIT_COMMITTER_NAME": "fork test",
    "GIT_COMMITTER_EMAIL": "fork@test.invalid",
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    ).stdout


def commit_all(root: Path) -> None:
    if not (root / ".git").exists():
        git(root, "init", "--quiet")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--no-verify", "-m", "copy")


def make_repo(root: Path, values) -> Path:
    """A git repository with the files init cares about, named after `values`."""
    (root / "environments").mkdir(parents=True)
    for env in ("dev", "local"):
        (root / "environments" / f"{env}.yaml").write_text(
            f"environment: {env}\nproject: {values.project}\n"
            f"github_repository: {values.github_repo}\n"
            f'aws:\n  region: {values.region}\n  account_id: "{values.account_id}"\n'
            f"resources:\n  artifact_bucket: {values.project}-{env}-{values.account_id}\n"
        )
    (root / "README.md").write_text(
        f"# {values.project}\n\nhttps://github.com/{values.github_repo} in {values.region}\n"
    )
    (root / "config.json").write_text(
        json.dumps({"bucket": f"{values.project}-dev-{values.account_id}"}) + "\n"
    )
    (root / "package-lock.json").write_text(
        json.dumps({"name": f"{values.project}-tools", "integrity": values.account_id}) + "\n"
    )
    commit_all(root)
    return root


def copy_working_tree(destination: Path) -> Path:
    """The files `git add --all` would commit here (tracked plus untracked, not ignored), copied
    and committed into a new repository: what a fork would get if this tree were pushed."""
    listed = subprocess.run(
        [
            "git",
            "-C",
            str(REPO_ROOT),
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if not source.is_file():  # deleted in the working tree
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    commit_all(destination)
    if (REPO_ROOT / "node_modules").is_dir():  # the npm tools, not installed twice
        (destination / "node_modules").symlink_to(REPO_ROOT / "node_modules")
    return destination


def make_in(root: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """`make` in the copy with this machine's venv; PYTHONPATH is the copy (the Makefile's)."""
    venv_args = []
    if VENV is not None:
        venv_args = [f"VENV={VENV}", "-o", f"{VENV}/.installed"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(root), *venv_args, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=env,
    )
