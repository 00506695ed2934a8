"""Make: a user variable never becomes shell or make text. Real `make` runs with payloads that
would run a command if a recipe interpolated them ("$(...)", backticks, quotes, `$(shell ...)`):
the marker file is never created, the refusal is one clear line, nothing changes. Commands that
would reach AWS run with PY=echo: the shell still parses the recipe, which is what is tested.
A static check reads every recipe of Makefile and mk/*.mk for a user variable used as text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from matrix_helpers import assert_refused, tree_digest

REPO = Path(__file__).resolve().parents[2]
MAKEFILES = [REPO / "Makefile", *sorted((REPO / "mk").glob("*.mk"))]


def user_variables() -> list[str]:
    text = (REPO / "Makefile").read_text()
    block = re.search(r"^USER_VARIABLES := (.*?)(?<!\\)\n", text, re.M | re.S)
    return block.group(1).replace("\\", " ").split()


def make(*args: str, cwd: Path = REPO, home: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in [*user_variables(), "MAKEFLAGS"]}
    if home is not None:
        env["LOCAL_RUNNER_HOME"] = str(home)
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_no_recipe_uses_a_user_variable_as_text():
    """Every $(NAME) of a user variable is make logic ($(if ...), $(filter ...), ifeq), never
    text: recipes read the exported value as "$$NAME". ENV is the exception by design: it is
    reduced to the name of an environments/*.yaml file (or nothing) before any recipe runs."""
    names = [name for name in user_variables() if name != "ENV"]
    reference = re.compile(r"\$[({](" + "|".join(names) + r")[)}]")
    allowed = re.compile(r"(\$\(if |\$\(filter(-out)? [^,]*,|ifn?eq \(|\$\(value |\$\(origin )$")
    offenders = []
    for path in MAKEFILES:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for match in reference.finditer(line):
                if not allowed.search(line[: match.start()]):
                    offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


def test_the_static_check_would_catch_the_old_pattern():
    """The mutation that reintroduces the bug (mk/deploy.mk before the fix) is caught."""
    names = [name for name in user_variables() if name != "ENV"]
    reference = re.compile(r"\$[({](" + "|".join(names) + r")[)}]")
    old = '\t$(DEPLOY_CLI) rollout --env $(ENV) --model-package-arn "$(MODEL_PACKAGE_ARN)"'
    assert reference.search(old)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "INJECTED"


def payloads(marker: Path) -> dict[str, str]:
    return {
        "backticks": f"x`touch {marker}`y",
        "dollar-paren": f"x$(touch {marker})y",
        "quote-break": f'x"; touch {marker}; echo "',
        "make-shell": f"$(shell touch {marker})",
    }


ROWS = {
    # class: (arguments before the payload, VAR, exit code, first-line fragment, needs PY=echo);
    # make exits 2 whenever a recipe fails, whatever the CLI's own code
    "env": (["status"], "ENV", 2, "is not an environment. Valid: dev local prod staging", False),
    "params": (["run", "ENV=local"], "PARAMS", 2, "error: PARAMS", False),
    "version": (
        ["approve", "ENV=local"],
        "VERSION",
        2,
        "error: argument version: invalid int value",
        False,
    ),
    "port": (["serve", "ENV=local"], "PORT", 2, "is not a usable port", False),
    "step": (["logs", "ENV=local"], "STEP", 2, "error: no local execution yet", False),
    "model-package-arn": (
        ["rollout", "ENV=dev"],
        "MODEL_PACKAGE_ARN",
        0,
        "-m deploy rollout --env dev --model-package-arn ",
        True,
    ),
    "image-tag": (
        ["deploy", "ENV=dev", "DRY_RUN=1"],
        "IMAGE_TAG",
        0,
        "-m release --env dev --dry-run 1 --image-tag",
        True,
    ),
    "test-data": (
        ["smoke-test", "ENV=staging"],
        "TEST_DATA",
        0,
        "-m deploy smoke-test --env staging --test-data",
        True,
    ),
    "keep": (["prune", "ENV=dev"], "KEEP", 0, "-m deploy prune --env dev --keep ", True),
    "status": (
        ["dag", "ENV=dev"],
        "STATUS",
        0,
        "--svg build/dev/pipeline-dag.svg --statuses ",
        True,
    ),
}


@pytest.mark.parametrize("kind", ["backticks", "dollar-paren", "quote-break", "make-shell"])
@pytest.mark.parametrize("case", sorted(ROWS))
def test_a_payload_in_a_make_variable_is_data(case, kind, marker, tmp_path):
    before, variable, code, fragment, echo = ROWS[case]
    value = payloads(marker)[kind]
    home = tmp_path / "home"
    arguments = [*before, f"{variable}={value}", *(["PY=echo"] if echo else [])]
    result = make(*arguments, home=home)
    assert not marker.exists(), f"{variable} ran a command: {result.stdout}{result.stderr}"
    # with PY=echo the last line is what the CLI would get (make prints the recipe above it)
    output = result.stdout.strip().splitlines()[-1] if echo else result.stderr
    assert_refused(result.returncode, code, output, fragment)
    if echo:  # the CLI got the value whole, as one argument
        assert value in result.stdout.replace("\n", " ")
    assert not (home / "registry").exists()


@pytest.fixture
def fork_copy(tmp_path: Path) -> Path:
    """What `make init` needs, copied: it renames files under its own root, so never this repo."""
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("Makefile", "mk", "environments", "fork", "env_config"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, copy / name)
    (copy / ".venv").symlink_to(REPO / ".venv")
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run(["git", "add", "-A"], cwd=copy, check=True)
    return copy


INIT_ROWS = {
    # class: (variable, value or payload kind, first-line fragment)
    "project-backticks": ("PROJECT", "backticks", "make init: PROJECT="),
    "project-dollar-paren": ("PROJECT", "dollar-paren", "make init: PROJECT="),
    "project-quote-break": ("PROJECT", "quote-break", "make init: PROJECT="),
    "project-make-shell": ("PROJECT", "make-shell", "make init: PROJECT="),
    "project-uppercase": ("PROJECT", "Acme", "make init: PROJECT='Acme': use 3-32 lowercase"),
    "project-too-long": ("PROJECT", "a" * 40, "make init: PROJECT="),
    "region-wrong": ("AWS_REGION", "europe", "make init: AWS_REGION='europe': not an AWS region"),
    "account-short": ("AWS_ACCOUNT_ID", "1234", "make init: AWS_ACCOUNT_ID='1234'"),
    "account-payload": ("AWS_ACCOUNT_ID", "backticks", "make init: AWS_ACCOUNT_ID="),
    "repo-without-owner": ("GITHUB_REPO", "churn", "make init: GITHUB_REPO='churn'"),
    "repo-payload": ("GITHUB_REPO", "quote-break", "make init: GITHUB_REPO="),
}
GOOD = {
    "PROJECT": "acme-churn",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCOUNT_ID": "123456789012",
    "GITHUB_REPO": "acme/churn",
}


@pytest.mark.parametrize("case", sorted(INIT_ROWS))
def test_make_init_refuses_bad_values_and_changes_nothing(case, fork_copy, marker):
    variable, value, fragment = INIT_ROWS[case]
    value = payloads(marker).get(value, value)
    before = tree_digest(fork_copy / "environments")
    values = {**GOOD, variable: value}
    # STAMP= : the copy shares this repository's venv instead of building its own
    result = make("init", "STAMP=", *(f"{k}={v}" for k, v in values.items()), cwd=fork_copy)
    assert not marker.exists(), result.stderr
    assert_refused(result.returncode, 2, result.stderr, fragment)
    assert tree_digest(fork_copy / "environments") == before
