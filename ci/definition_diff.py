"""What a pull request does to each environment's pipeline definition, as Markdown for reviewers.

`python -m ci definition-diff --env dev --base <sha> --out build/pr/dev-definition.md`
builds the definition twice, from the base commit (a temporary git worktree) and from the working
tree, with the same git sha and image tag, so the diff shows only what the change does: parameters,
steps, and the code URI (a new content hash when training_code/ changed). The comparison itself is
a pure function.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_DIFF_LINES = 200
# The same lineage on both sides: the real shas differ and would touch every step.
NEUTRAL_SHA = "0" * 40


def _by_name(items: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {item["Name"]: item for item in items or [] if isinstance(item, dict) and "Name" in item}


def _all_steps(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Steps by name, including those nested in a Condition step's branches."""
    found: dict[str, dict[str, Any]] = {}
    pending = list(definition.get("Steps") or [])
    while pending:
        step = pending.pop(0)
        if not isinstance(step, dict) or "Name" not in step:
            continue
        found[step["Name"]] = step
        arguments = step.get("Arguments") or {}
        if isinstance(arguments, dict):
            pending += arguments.get("IfSteps") or []
            pending += arguments.get("ElseSteps") or []
    return found


def compare(base: dict[str, Any] | None, head: dict[str, Any]) -> dict[str, Any]:
    """A structured summary of the change from base to head (base None: no definition yet)."""
    if base is None:
        return {"new": True, "changed": True, "steps_added": sorted(_all_steps(head))}
    base_params, head_params = _by_name(base.get("Parameters")), _by_name(head.get("Parameters"))
    base_steps, head_steps = _all_steps(base), _all_steps(head)
    parameters_changed = {
        name: (base_params[name].get("DefaultValue"), head_params[name].get("DefaultValue"))
        for name in sorted(set(base_params) & set(head_params))
        if base_params[name] != head_params[name]
    }
    steps_changed = {}
    for name in sorted(set(base_steps) & set(head_steps)):
        old, new = base_steps[name], head_steps[name]
        if old != new:
            keys = sorted(
                key for key in set(old) | set(new) if old.get(key) != new.get(key) and key != "Name"
            )
            steps_changed[name] = keys
    other = sorted(
        key
        for key in set(base) | set(head)
        if key not in ("Parameters", "Steps") and base.get(key) != head.get(key)
    )
    summary = {
        "new": False,
        "parameters_added": sorted(set(head_params) - set(base_params)),
        "parameters_removed": sorted(set(base_params) - set(head_params)),
        "parameters_changed": parameters_changed,
        "steps_added": sorted(set(head_steps) - set(base_steps)),
        "steps_removed": sorted(set(base_steps) - set(head_steps)),
        "steps_changed": steps_changed,
        "other_changed": other,
    }
    summary["changed"] = base != head
    return summary


def unified(base: dict[str, Any] | None, head: dict[str, Any], limit: int = MAX_DIFF_LINES):
    """The canonical-JSON unified diff, cut at `limit` lines (the rest is counted, not shown)."""

    def lines(definition: dict[str, Any] | None) -> list[str]:
        if definition is None:
            return []
        return json.dumps(definition, indent=2, sort_keys=True).splitlines()

    diff = list(difflib.unified_diff(lines(base), lines(head), "main", "this PR", lineterm=""))
    if len(diff) > limit:
        return [*diff[:limit], f"... {len(diff) - limit} more lines (see the job's artifact)"]
    return diff


def render(env: str, summary: dict[str, Any], diff: list[str]) -> str:
    """Markdown for the PR comment and the job summary."""
    title = f"#### Pipeline definition: `{env}`"
    if summary.get("error"):
        return f"{title}\n\n:x: {summary['error']}\n"
    if summary["new"]:
        body = f"New definition (main has none yet): steps {', '.join(summary['steps_added'])}."
        return f"{title}\n\n{body}\n"
    if not summary["changed"]:
        return f"{title}\n\nNo change.\n"
    rows = []
    for name, (old, new) in summary["parameters_changed"].items():
        rows.append(f"| parameter `{name}` | default `{old}` -> `{new}` |")
    for label, key in (
        ("parameter added", "parameters_added"),
        ("parameter removed", "parameters_removed"),
        ("step added", "steps_added"),
        ("step removed", "steps_removed"),
    ):
        rows += [f"| {label} | `{name}` |" for name in summary[key]]
    for name, keys in summary["steps_changed"].items():
        rows.append(f"| step `{name}` | changed: {', '.join(keys)} |")
    for key in summary["other_changed"]:
        rows.append(f"| `{key}` | changed |")
    table = "\n".join(["| what | change |", "|---|---|", *rows])
    details = "\n".join(
        ["<details><summary>Diff</summary>", "", "```diff", *diff, "```", "", "</details>"]
    )
    return f"{title}\n\n{table}\n\n{details}\n"


# ---------------------------------------------------------------------------------------------
# Building the two sides
# ---------------------------------------------------------------------------------------------
def build_definition(source: Path, env: str, out: Path, python: str = sys.executable) -> None:
    """`python -m build_pipeline` run inside `source` (a checkout), writing `out`."""
    environment = {**os.environ, "PYTHONPATH": f"{source}{os.pathsep}{source / 'training_code'}"}
    result = subprocess.run(
        [
            python,
            "-m",
            "build_pipeline",
            "--env",
            env,
            "--out",
            str(out),
            "--git-sha",
            NEUTRAL_SHA,
            "--image-tag",
            NEUTRAL_SHA,
        ],
        cwd=source,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"building the {env} definition in {source} failed:\n{result.stderr[-2000:]}"
        )


def base_definition(
    base_ref: str, env: str, workdir: Path, python: str, repo: Path = REPO_ROOT
) -> dict[str, Any] | None:
    """The definition main would produce, or None when main has no builder or environment yet."""
    tree = workdir / "base"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--force", str(tree), base_ref],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    try:
        if not (tree / "build_pipeline" / "__main__.py").exists():
            return None
        if not (tree / "environments" / f"{env}.yaml").exists():
            return None
        out = workdir / "base.json"
        build_definition(tree, env, out, python)
        return json.loads(out.read_text(encoding="utf-8"))
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(tree)],
            cwd=repo,
            check=False,
            capture_output=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--base", required=True, help="the base commit or ref (origin/main)")
    parser.add_argument("--out", type=Path, required=True, help="Markdown file to write")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="definition-diff-") as tmp:
        workdir = Path(tmp)
        try:
            head_out = workdir / "head.json"
            build_definition(REPO_ROOT, args.env, head_out, args.python)
            head = json.loads(head_out.read_text(encoding="utf-8"))
            base = base_definition(args.base, args.env, workdir, args.python)
        except (RuntimeError, subprocess.CalledProcessError) as error:
            args.out.write_text(render(args.env, {"error": str(error)}, []), encoding="utf-8")
            print(error, file=sys.stderr)
            return 1
    summary = compare(base, head)
    args.out.write_text(render(args.env, summary, unified(base, head)), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    return 0
