"""The seams to the outside: commands and the terminal.

Everything that leaves the process goes through run_command (or release.aws.Aws), so tests can
replace them and a dry run never reaches them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from typing import Protocol

from env_config import REPO_ROOT
from release.errors import DeployError


class Runner(Protocol):
    def __call__(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        capture: bool = False,
        stdin: str | None = None,
    ) -> str: ...


def run_command(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    capture: bool = False,
    stdin: str | None = None,
) -> str:
    """Run a command from the repository root; a non-zero exit becomes a DeployError.

    stdin carries secrets (the ECR password) so that they never appear on a command line.
    """
    if not capture:  # a captured command is a question (git sha), not a step worth echoing
        print(f"  $ {' '.join(argv)}", flush=True)
    # The parent make's command-line variables (MAKEFLAGS) must not leak into the steps' makes:
    # each step gets exactly the variables this script passes.
    inherited = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS")}
    result = subprocess.run(
        list(argv),
        cwd=REPO_ROOT,
        env={**inherited, **(env or {})},
        text=True,
        input=stdin,
        stdout=subprocess.PIPE if capture else None,
        check=False,
    )
    if result.returncode != 0:
        raise DeployError(f"`{' '.join(argv)}` exited with {result.returncode} (output above).")
    return result.stdout or ""


def git_sha(runner: Runner = run_command) -> str:
    try:
        return runner(["git", "rev-parse", "HEAD"], capture=True).strip()
    except DeployError as error:
        raise DeployError(
            "cannot read the git commit (not a git checkout?): pass IMAGE_TAG=<commit sha>."
        ) from error


def training_code_dirty(runner: Runner = run_command) -> bool:
    out = runner(["git", "status", "--porcelain", "--", "training_code"], capture=True)
    return bool(out.strip())


def docker_engine_available() -> bool:
    """True when a Docker engine answers (`docker info`), not merely when the CLI is installed."""
    if not shutil.which("docker"):
        return False
    result = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


def ask(question: str) -> bool:
    """A yes/no question on the terminal; without a terminal the answer is no."""
    if not sys.stdin.isatty():
        print(f"{question}(no terminal to answer: treated as no)", flush=True)
        return False
    return input(question).strip().lower() in ("y", "yes")
