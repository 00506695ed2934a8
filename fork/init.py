"""`make init`: make a fork of the template yours in one command.

Renames the project, the AWS account, the AWS region and the GitHub repository everywhere they
appear in the repository's tracked text files (resource names in environments/*.yaml, backend
configs, tfvars, Terraform tests, docs, test expectations, package names), so that every name
stays consistent with every other.

    python -m fork init --project acme-churn --region eu-west-1 \
        --account-id 123456789012 --github-repo acme/churn
    python -m fork init            # asks for each value (shows the current one)

What is replaced is read from environments/*.yaml (they must agree), not written in this file:

- project (`project:`), everywhere, after the GitHub repository;
- the GitHub repository (`github_repository:`) and, on its own, its owner;
- the AWS account (`aws.account_id`), as a 12-digit number not part of a longer one;
- the AWS region (`aws.region`) in environments/ and in the tests (tests/, terraform/tests/),
  whose fakes mirror the environment files; elsewhere a region is an example or a fact about
  that region (a price list), not this project's.

Files: `git ls-files` (tracked only: never build/, .venv/, .local/, untracked work). Binary files
(a NUL byte, or not UTF-8) are left alone. Lock files (package-lock.json, *.lock,
.terraform.lock.hcl) get the project and repository names only: a number in them may be a hash.

Before writing anything, every rewritten .json/.yaml/.yml file is parsed; one that no longer
parses stops the run with nothing written. Running twice with the same values changes nothing.
A copy that was already initialised (its values are no longer the template's placeholders)
is refused unless --force: the old name may also be an ordinary word in the code and docs, and
renaming a deployed project renames every AWS resource it owns.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# The template's placeholders, spelt so that this file itself holds no trace of them.
PLACEHOLDER_ACCOUNT = "0" * 12
PLACEHOLDER_OWNER = "-".join(("your", "org"))

# 3-32 characters: the longest derived name, <project>-staging-artifacts-<account>, is then at
# most 63 characters, S3's limit for a bucket name.
PROJECT_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
REGION_RE = re.compile(
    r"^[a-z]{2}(-gov|-iso[a-z]?)?-(central|north|south|east|west|"
    r"northeast|northwest|southeast|southwest)-[1-9]$"
)
ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
REPO_RE = re.compile(
    r"^([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})/([A-Za-z0-9._-]{1,100})$"
)
REGION_PATHS = ("environments/", "tests/", "terraform/tests/")
LOCK_FILES = re.compile(r"(^|/)(package-lock\.json|[^/]*\.lock|\.terraform\.lock\.hcl)$")
PARSED = (".json", ".yaml", ".yml")


class InitError(Exception):
    """A value or a repository state that init refuses; the message says what to do."""


@dataclass(frozen=True)
class Values:
    project: str
    region: str
    account_id: str
    github_repo: str

    @property
    def owner(self) -> str:
        return self.github_repo.split("/", 1)[0]


# ----------------------------------------------------------------------------------------------
# Validation: one message per wrong value, each naming the variable and an example
# ----------------------------------------------------------------------------------------------
def validate_project(value: str) -> str | None:
    if not PROJECT_RE.match(value) or "--" in value:
        return (
            f"PROJECT={value!r}: use 3-32 lowercase letters, digits and single hyphens, starting "
            "with a letter and not ending with a hyphen (it prefixes S3 buckets, IAM roles and "
            "SageMaker names), e.g. PROJECT=acme-churn."
        )
    return None


def validate_region(value: str) -> str | None:
    if not REGION_RE.match(value):
        return f"AWS_REGION={value!r}: not an AWS region name, e.g. AWS_REGION=eu-west-1."
    return None


def validate_account(value: str) -> str | None:
    if not ACCOUNT_RE.match(value):
        return (
            f"AWS_ACCOUNT_ID={value!r}: an AWS account id is 12 digits (`aws sts "
            "get-caller-identity --query Account --output text`), e.g. AWS_ACCOUNT_ID=123456789012."
        )
    if value == PLACEHOLDER_ACCOUNT:
        return f"AWS_ACCOUNT_ID={value}: that is the template's placeholder; give your account id."
    return None


def validate_repo(value: str) -> str | None:
    match = REPO_RE.match(value)
    if not match or match.group(2) in (".", ".."):
        return (
            f"GITHUB_REPO={value!r}: give the GitHub repository as owner/name, e.g. "
            "GITHUB_REPO=acme/churn (it is trusted by the AWS OIDC roles and receives deploy "
            "dispatches)."
        )
    if match.group(1).lower() == PLACEHOLDER_OWNER:
        return f"GITHUB_REPO={value}: '{PLACEHOLDER_OWNER}' is the template's placeholder owner."
    return None


VALIDATORS = {
    "project": validate_project,
    "region": validate_region,
    "account_id": validate_account,
    "github_repo": validate_repo,
}


def validate(values: Values) -> list[str]:
    errors = [check(getattr(values, field)) for field, check in VALIDATORS.items()]
    return [error for error in errors if error]


# ----------------------------------------------------------------------------------------------
# The current values: what environments/*.yaml say now
# ----------------------------------------------------------------------------------------------
def current_values(root: Path) -> Values:
    import yaml

    found: dict[str, set[str]] = {field: set() for field in VALIDATORS}
    files = sorted((root / "environments").glob("*.yaml"))
    if not files:
        raise InitError(f"{root}/environments/*.yaml: none found; run init from the repository.")
    for path in files:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        aws = raw.get("aws") or {}
        found["project"].add(str(raw.get("project")))
        found["region"].add(str(aws.get("region")))
        found["account_id"].add(str(aws.get("account_id")))
        found["github_repo"].add(str(raw.get("github_repository")))
    mixed = {field: sorted(seen) for field, seen in found.items() if len(seen) != 1}
    if mixed:
        detail = "; ".join(f"{field}: {', '.join(seen)}" for field, seen in mixed.items())
        raise InitError(
            f"environments/*.yaml disagree ({detail}). init renames one project in one account "
            "and region: make the files agree first (or edit them by hand)."
        )
    return Values(**{field: seen.pop() for field, seen in found.items()})


def is_template(values: Values) -> bool:
    """True while the copy still carries the template's placeholders (never initialised)."""
    return values.account_id == PLACEHOLDER_ACCOUNT or values.owner.lower() == PLACEHOLDER_OWNER


# ----------------------------------------------------------------------------------------------
# The rewrite: pure functions from (path, text) to new text
# ----------------------------------------------------------------------------------------------
def region_applies(path: str) -> bool:
    """Where a region is the project's: environments/ (where it lives) and the tests, whose
    fakes (moto's region, ARNs, console URLs) mirror what the environment files say. Anywhere
    else a region is an example or a fact about that region (docs/infrastructure.md's prices
    are us-east-1's whatever the project uses), so it stays."""
    return path.startswith(REGION_PATHS)


def rewrite(path: str, text: str, old: Values, new: Values) -> str:
    """The text of `path` with the old values replaced by the new ones, in one pass (so a new
    value that contains an old one is never replaced twice)."""
    names = {old.github_repo: new.github_repo, old.project: new.project}
    if old.owner != new.owner:
        names[f"{old.owner}/"] = f"{new.owner}/"
        if old.owner.lower() == PLACEHOLDER_OWNER:
            names[old.owner] = new.owner
    patterns = [re.escape(before) for before in sorted(names, key=len, reverse=True)]
    replacements = dict(names)
    if not LOCK_FILES.search(path):
        patterns.append(rf"(?<![0-9]){old.account_id}(?![0-9])")
        replacements[old.account_id] = new.account_id
        if region_applies(path):
            patterns.append(rf"(?<![a-z0-9-]){re.escape(old.region)}(?![a-z0-9-])")
            replacements[old.region] = new.region
    return re.sub("|".join(patterns), lambda match: replacements[match.group(0)], text)


def tracked_files(root: Path) -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise InitError(
            f"{root}: not a git checkout (git ls-files failed: {error}). init rewrites tracked "
            "files only: run it in your clone of the template."
        ) from error
    return sorted(name for name in listed.decode().split("\0") if name)


def read_text(path: Path) -> str | None:
    """The file's text, or None for a binary file (NUL byte, not UTF-8) or a missing one."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def check_parses(path: str, text: str) -> None:
    import yaml

    try:
        if path.endswith(".json"):
            json.loads(text)
        elif path.endswith((".yaml", ".yml")):
            list(yaml.safe_load_all(text))
    except (ValueError, yaml.YAMLError) as error:
        raise InitError(
            f"{path}: would no longer parse after the rename ({error}); nothing was written. "
            "Report this with the values you gave."
        ) from error


def plan(root: Path, old: Values, new: Values) -> dict[str, tuple[str, str]]:
    """{path: (old text, new text)} for every tracked text file that changes."""
    changes = {}
    for name in tracked_files(root):
        text = read_text(root / name)
        if text is None:
            continue
        updated = rewrite(name, text, old, new)
        if updated != text:
            if name.endswith(PARSED):
                check_parses(name, updated)
            changes[name] = (text, updated)
    return changes


def leftovers(root: Path, old: Values, new: Values) -> list[str]:
    """Tracked files that still name an old value which init should have replaced."""
    needles = [v for v in (old.project, old.github_repo) if v not in new.project + new.github_repo]
    if old.owner.lower() == PLACEHOLDER_OWNER:
        needles.append(old.owner)
    left = []
    for name in tracked_files(root):
        text = read_text(root / name)
        if text is None:
            continue
        if any(needle in text for needle in needles) or (
            old.account_id != new.account_id
            and not LOCK_FILES.search(name)
            and re.search(rf"(?<![0-9]){old.account_id}(?![0-9])", text)
        ):
            left.append(name)
    return left


def initialise(root: Path, new: Values, *, force: bool = False, out=sys.stdout) -> list[str]:
    """Validate, plan, check, then write. Returns the changed paths."""
    errors = validate(new)
    if errors:
        raise InitError("\n".join(errors))
    old = current_values(root)
    if old == new:
        print(
            f"Nothing to change: this copy is already {new.project} ({new.github_repo}, "
            f"account {new.account_id}, {new.region}).",
            file=out,
        )
        return []
    if not is_template(old) and not force:
        raise InitError(
            f"This copy was already initialised as {old.project} ({old.github_repo}, account "
            f"{old.account_id}, {old.region}). Renaming it again rewrites every occurrence of "
            f"'{old.project}' (which may also be an ordinary word in code and docs) and, once "
            "deployed, every AWS resource name. To do it anyway: make init FORCE=1 ... and review "
            "`git diff` before committing."
        )
    changes = plan(root, old, new)
    for name, (_, updated) in changes.items():
        (root / name).write_text(updated, encoding="utf-8")
    left = leftovers(root, old, new)
    if left:
        raise InitError(
            "Old values are still present in: " + ", ".join(left) + ". They appear in a form "
            "init does not rewrite (a lock file's hash?); edit them by hand."
        )
    print(
        f"Initialised {new.project}: {old.project} -> {new.project}, {old.github_repo} -> "
        f"{new.github_repo}, account {old.account_id} -> {new.account_id}, region "
        f"{old.region} -> {new.region}.",
        file=out,
    )
    print(f"{len(changes)} files changed:", file=out)
    for name in changes:
        print(f"  {name}", file=out)
    print("Next: git diff, make test, git commit -am 'Initialise from the template'.", file=out)
    return sorted(changes)


# ----------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------
PROMPTS = {
    "project": "Project name (prefixes every AWS resource)",
    "region": "AWS region",
    "account_id": "AWS account id (12 digits)",
    "github_repo": "GitHub repository (owner/name)",
}


def ask(field: str, default: str, answer=input, out=sys.stderr) -> str:
    """Ask until the value is valid; an empty answer keeps the default if that is valid."""
    while True:
        value = answer(f"{PROMPTS[field]} [{default}]: ").strip() or default
        error = VALIDATORS[field](value)
        if not error:
            return value
        print(error, file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", default="")
    parser.add_argument("--region", default="")
    parser.add_argument("--account-id", default="")
    parser.add_argument("--github-repo", default="")
    parser.add_argument("--force", action="store_true", help="rename an initialised copy again")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    given = {
        "project": args.project,
        "region": args.region,
        "account_id": args.account_id,
        "github_repo": args.github_repo,
    }
    try:
        current = current_values(args.root)
        missing = [field for field, value in given.items() if not value]
        if missing and not sys.stdin.isatty():
            names = {
                "project": "PROJECT",
                "region": "AWS_REGION",
                "account_id": "AWS_ACCOUNT_ID",
                "github_repo": "GITHUB_REPO",
            }
            raise InitError(
                "Missing " + ", ".join(names[field] for field in missing) + " (no terminal to ask "
                "on). Run: make init PROJECT=<name> AWS_REGION=<region> "
                "AWS_ACCOUNT_ID=<12 digits> GITHUB_REPO=<owner/name>"
            )
        for field in missing:
            given[field] = ask(field, getattr(current, field))
        initialise(args.root, Values(**given), force=args.force)
    except InitError as error:
        print(f"make init: {error}", file=sys.stderr)
        return 2
    return 0
