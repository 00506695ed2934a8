"""The one PR comment (and job summary) of the PR validation workflow, from its jobs' results.

`NEEDS_JSON='${{ toJSON(needs) }}' python -m ci pr-comment --dir build/pr --out comment.md`
Reads each job's result from the `needs` context and each environment's definition diff and plan
summary (<env>-definition.md, <env>-plan.md, written by the validate jobs), and writes one Markdown
document. The sticky-comment action updates the same comment on every push to the PR.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("dev", "staging", "prod")
ICONS = {"success": ":white_check_mark:", "failure": ":x:", "cancelled": ":no_entry_sign:"}
LABELS = {
    "lint": "Lint (ruff, black, terraform fmt, tflint, checkov, actionlint)",
    "test": "Unit tests (make test)",
    "e2e-local": "Local end-to-end (make deploy ENV=local)",
    "image-build": "Images build (only when training_code/ changed)",
    "validate": "Definition diff and terraform plan per environment",
}


def results_table(needs: dict[str, Any]) -> list[str]:
    rows = ["| check | result |", "|---|---|"]
    for job, data in needs.items():
        result = (data or {}).get("result", "unknown")
        icon = ICONS.get(result, ":heavy_minus_sign:")
        rows.append(f"| {LABELS.get(job, job)} | {icon} {result} |")
    return rows


def overall(needs: dict[str, Any]) -> str:
    results = {(data or {}).get("result") for data in needs.values()}
    if "failure" in results or "cancelled" in results:
        return "failure"
    return "success"


def section(directory: Path, env: str) -> list[str]:
    parts = [f"### `{env}`", ""]
    for kind, missing in (
        ("definition", "no definition diff was produced (see the validate job's log)"),
        ("plan", "no plan summary was produced (see the validate job's log)"),
    ):
        path = directory / f"{env}-{kind}.md"
        if path.exists():
            parts.append(path.read_text(encoding="utf-8").strip())
        else:
            parts.append(f"_{missing}._")
        parts.append("")
    picture = directory / f"{env}-dag.md"  # optional: a collapsed Mermaid picture of the pipeline
    if picture.exists():
        parts += [picture.read_text(encoding="utf-8").strip(), ""]
    return parts


def render(needs: dict[str, Any], directory: Path, environ: dict[str, str]) -> str:
    status = overall(needs)
    sha = environ.get("HEAD_SHA") or environ.get("GITHUB_SHA", "")
    run = ""
    if environ.get("GITHUB_RUN_ID"):
        run = (
            f"{environ.get('GITHUB_SERVER_URL', 'https://github.com')}/"
            f"{environ.get('GITHUB_REPOSITORY', '')}/actions/runs/{environ['GITHUB_RUN_ID']}"
        )
    lines = [
        f"## PR validation {ICONS.get(status, '')}",
        "",
        f"Commit `{sha[:12]}`" + (f" · [workflow run]({run})" if run else ""),
        "",
        *results_table(needs),
        "",
        "## What this PR changes per environment",
        "",
    ]
    for env in ENVIRONMENTS:
        lines += section(directory, env)
    lines.append("<sub>Updated in place on every push (PR validation workflow).</sub>")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        needs = json.loads(os.environ.get("NEEDS_JSON") or "{}")
    except json.JSONDecodeError as error:
        print(f"NEEDS_JSON is not JSON: {error}", file=sys.stderr)
        return 2
    text = render(needs, args.dir, dict(os.environ))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(text)
    print(text)
    return 0
