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
VENV = Path(sys.prefix) if sys.prefix != sys.base_prefix else None
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
    share_venv(destination)
    return destination


# What `make setup`'s stamp depends on (Makefile: $(STAMP): ...).
STAMP_PREREQUISITES = ("requirements/dev.lock", "training_code/requirements.txt", "package.json")


def share_venv(root: Path) -> None:
    """The copy's .venv is this venv, and its stamp is newer than the copy's requirement files,
    so no make target in the copy (nor a test the copy runs) installs anything. node_modules is
    deliberately not shared: `npm ci` in the copy would empty this tree's through a link."""
    if VENV is None:
        return
    (root / ".venv").symlink_to(VENV, target_is_directory=True)
    age_stamp_prerequisites(root)


def age_stamp_prerequisites(root: Path) -> None:
    """Again after `make init`, which rewrites package.json (its name)."""
    for name in STAMP_PREREQUISITES:
        if (root / name).exists():
            os.utime(root / name, (0, 0))


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
