"""`python -m ci <command>`: one entry point for the workflow glue; an unknown command is refused."""

from __future__ import annotations

import subprocess
import sys

from ci.__main__ import COMMANDS


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ci", *args], capture_output=True, text=True, check=False
    )


def test_help_lists_every_command():
    result = run("--help")
    assert result.returncode == 0
    assert all(name in result.stdout for name in COMMANDS)


def test_an_unknown_command_is_refused_with_the_list():
    result = run("deploy")
    assert result.returncode == 2 and "usage: python -m ci {pr-comment|" in result.stderr


def test_each_command_answers_its_own_help_under_its_own_name():
    for name in COMMANDS:
        result = run(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert f"python -m ci {name}" in result.stdout, name
