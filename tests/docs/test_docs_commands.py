"""The docs cannot drift from the code: every command they show names a Make target that
`make help` lists (and make accepts it), a Python module that exists (with the subcommand it
names), a script that exists, and an environment that exists; `make help` lists every target;
the DRY_RUN commands they show run."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest
from docs_helpers import (
    REPO_ROOT,
    Command,
    command_docs,
    commands,
    help_targets,
    make_targets_defined,
)

ENVIRONMENTS = sorted(p.stem for p in (REPO_ROOT / "environments").glob("*.yaml"))
ALL = [command for doc in command_docs() for command in commands(doc)]
PYTHONS = {"python", "python3", ".venv/bin/python", "$(PY)"}


def make_commands() -> list[Command]:
    return [c for c in ALL if c.words[0] == "make"]


def python_modules() -> list[tuple[Command, str, str]]:
    """(command, module, first argument) of every `python -m module ...`."""
    found = []
    for command in ALL:
        words = command.words
        if words[0] in PYTHONS and len(words) > 2 and words[1] == "-m":
            argument = words[3] if len(words) > 3 and not words[3].startswith("-") else ""
            if not is_placeholder(words[2]):
                found.append((command, words[2], argument))
    return found


def is_placeholder(value: str) -> bool:
    return bool(re.search(r"[<>$|{}]", value)) or value in ("...", "…")


def test_the_docs_show_commands_at_all():
    """A parser that finds nothing would pass everything below."""
    assert len(make_commands()) >= 30
    assert {"deploy", "test", "undeploy"} <= {c.words[1] for c in make_commands()}
    readme = [str(c) for c in ALL if c.doc == "README.md"]
    assert any(c.endswith(": make deploy ENV=local") for c in readme)
    assert any(c.endswith(": make test") for c in readme)


def test_make_help_lists_every_target_of_makefile_and_mk():
    defined = make_targets_defined()
    listed = help_targets()
    missing = sorted(
        f"{target} ({where})" for target, where in defined.items() if target not in listed
    )
    assert missing == [], "targets without a `## one-line help`: " + ", ".join(missing)
    assert {"init", "dag", "docs-images", "help"} <= listed


def test_every_make_target_in_the_docs_exists_with_a_real_environment():
    defined = make_targets_defined()
    wrong = []
    for command in make_commands():
        for word in command.words[1:]:
            if word.startswith("-"):
                continue
            if "=" in word:
                name, value = word.split("=", 1)
                if name == "ENV" and not is_placeholder(value) and value not in ENVIRONMENTS:
                    wrong.append(f"{command}: ENV={value} is not one of {ENVIRONMENTS}")
            elif not is_placeholder(word) and word not in defined:
                wrong.append(f"{command}: no target '{word}'")
    assert wrong == []


def concrete(words: tuple[str, ...]) -> list[str]:
    """A doc command with its placeholders filled in (ENV=<env> -> dev, VERSION=<n> -> 1)."""
    out = []
    for word in words[1:]:
        if "=" in word and is_placeholder(word.split("=", 1)[1]):
            name = word.split("=", 1)[0]
            word = f"{name}=dev" if name == "ENV" else f"{name}=1"
        elif is_placeholder(word):
            continue
        out.append(word)
    return out


def test_make_accepts_every_documented_make_command():
    """`make -n` parses the command (targets, variables, includes) without running recipes."""
    failures = []
    for line in sorted({tuple(concrete(c.words)) for c in make_commands()}):
        result = subprocess.run(
            ["make", "-n", "--no-print-directory", *line],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env={k: v for k, v in os.environ.items() if not k.startswith("MAKE")},
        )
        if result.returncode != 0:
            failures.append(f"make {' '.join(line)}: {result.stderr.strip()[-300:]}")
    assert failures == []


def test_every_python_module_and_script_in_the_docs_exists():
    missing = []  # the project's packages are installed (editable) into the venv by make setup
    for command, module, _ in python_modules():
        if importlib.util.find_spec(module.split(".")[0]) is None or (
            "." in module and importlib.util.find_spec(module) is None
        ):
            missing.append(f"{command}: no module {module}")
    for command in ALL:
        words = command.words
        script = words[1] if words[0] in PYTHONS and len(words) > 1 else ""
        if script.endswith(".py") and not (REPO_ROOT / script).is_file():
            missing.append(f"{command}: no file {words[1]}")
    assert missing == []


def test_every_subcommand_the_docs_give_a_python_cli_exists():
    wanted: dict[str, set[str]] = {}
    for _, module, argument in python_modules():
        if argument and re.fullmatch(r"[a-z][a-z-]*", argument):
            wanted.setdefault(module, set()).add(argument)
    assert wanted, "no `python -m <cli> <subcommand>` found in the docs"
    missing = []
    for module, subcommands in sorted(wanted.items()):
        shown = subprocess.run(
            [sys.executable, "-m", module, "--help"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        assert shown.returncode == 0, f"python -m {module} --help: {shown.stderr[-500:]}"
        missing += [f"python -m {module} {s}" for s in sorted(subcommands) if s not in shown.stdout]
    assert missing == []


def dry_runs() -> list[list[str]]:
    return sorted(
        {tuple(concrete(c.words)) for c in make_commands() if "DRY_RUN=1" in c.words}, key=str
    )


@pytest.mark.parametrize("line", dry_runs(), ids=" ".join)
def test_the_dry_run_commands_in_the_docs_run(line):
    """No AWS here: the DRY_RUN variants are what the docs offer to try, so they must work."""
    result = subprocess.run(
        ["make", "--no-print-directory", *line],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "AWS_"))},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "DRY RUN" in result.stdout
