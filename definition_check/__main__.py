"""`python -m definition_check FILE...`: check pipeline definitions against SageMaker's API model.

Exit 0 when every file is valid; 1 with one line per problem (naming the file, step and field);
2 when a file cannot be read. `--terraform JSON` checks the CreatePipeline request of every
aws_sagemaker_pipeline in a `terraform show -json` document (a saved plan or the state).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from definition_check.checker import check
from definition_check.create_pipeline import (
    requests_from_terraform,
    unknown_after_apply,
    validate_request,
)


class InputError(Exception):
    """A file that is missing or not JSON: one line saying which and what to do."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m definition_check", description=__doc__.split("\n")[0]
    )
    parser.add_argument("definitions", nargs="*", type=Path, help="pipeline definition JSON files")
    parser.add_argument(
        "--terraform",
        type=Path,
        action="append",
        default=[],
        metavar="JSON",
        help="`terraform show -json` output whose CreatePipeline requests to check",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print problems only, no notes or summary"
    )
    args = parser.parse_args(argv)
    if not args.definitions and not args.terraform:
        parser.error("give at least one definition FILE or --terraform JSON")
    return args


def load(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; {what}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot be read ({error}); {what}") from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: not JSON (line {error.lineno}, column {error.colno}: {error.msg}); {what}"
        ) from None


def check_definition(path: Path, quiet: bool) -> int:
    report = check(load(path, "generate one with `make definition ENV=<env>`"))
    for problem in report.problems:
        print(f"{path}: {problem}")
    if not quiet:
        for note in report.notes:
            print(f"{path}: note: {note}", file=sys.stderr)
        if report.valid:
            print(f"{path}: valid against SageMaker's API model", file=sys.stderr)
    return len(report.problems)


def check_terraform(path: Path, quiet: bool) -> int:
    document = load(path, "write it with `terraform show -json PLAN > FILE`")
    requests = requests_from_terraform(document)
    if not requests:
        print(f"{path}: no aws_sagemaker_pipeline resource in this plan or state", file=sys.stderr)
        return 1
    count = 0
    for address, request in requests.items():
        unknown = unknown_after_apply(document, address)
        problems = validate_request(request, unknown)
        for problem in problems:
            print(f"{path}: {address}: {problem}")
        if not problems and not quiet:
            later = (
                f" (known after apply, not checked: {', '.join(sorted(unknown))})"
                if unknown
                else ""
            )
            print(f"{path}: {address}: CreatePipeline request valid{later}", file=sys.stderr)
        count += len(problems)
    return count


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        problems = sum(check_definition(path, args.quiet) for path in args.definitions)
        problems += sum(check_terraform(path, args.quiet) for path in args.terraform)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
