"""A terraform plan, summarised for a pull request: counts per action and the resources touched.

`terraform show -json <planfile> | python -m ci plan-summary --env dev --out dev-plan.md`
Deletions and replacements are listed first and flagged: they are what a reviewer must not miss.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ORDER = ("delete", "replace", "create", "update")


def action_of(actions: list[str]) -> str:
    """Terraform's action list for one resource as one word."""
    if "delete" in actions and "create" in actions:
        return "replace"
    if actions == ["no-op"] or actions == ["read"]:
        return "no-op"
    return actions[0] if actions else "no-op"


def summarize(plan: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, list[str]] = {action: [] for action in ORDER}
    for change in plan.get("resource_changes") or []:
        action = action_of(change.get("change", {}).get("actions", []))
        if action in changes:
            changes[action].append(change["address"])
    return {
        "counts": {action: len(addresses) for action, addresses in changes.items()},
        "changes": {action: sorted(addresses) for action, addresses in changes.items()},
        "output_changes": sorted(
            name
            for name, change in (plan.get("output_changes") or {}).items()
            if action_of(change.get("actions", [])) != "no-op"
        ),
    }


def render(env: str, summary: dict[str, Any], limit: int = 50) -> str:
    counts = summary["counts"]
    title = f"#### Terraform plan: `{env}`"
    line = ", ".join(f"{counts[action]} to {action}" for action in ORDER)
    if not any(counts.values()):
        return f"{title}\n\nNo changes. Infrastructure matches the configuration.\n"
    warning = ""
    if counts["delete"] or counts["replace"]:
        warning = (
            f"\n\n:warning: **{counts['delete']} deletion(s) and {counts['replace']} "
            "replacement(s)**: check them before merging."
        )
    rows = ["| action | resource |", "|---|---|"]
    shown = 0
    for action in ORDER:
        for address in summary["changes"][action]:
            if shown == limit:
                break
            rows.append(f"| {action} | `{address}` |")
            shown += 1
    total = sum(counts.values())
    if total > shown:
        rows.append(f"| ... | {total - shown} more |")
    return f"{title}\n\n{line}.{warning}\n\n" + "\n".join(rows) + "\n"


def skipped(env: str, reason: str) -> str:
    return f"#### Terraform plan: `{env}`\n\nSkipped: {reason}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument(
        "--plan-json", type=Path, help="terraform show -json output (default stdin)"
    )
    parser.add_argument("--skipped", help="write a 'skipped' note with this reason instead")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.skipped:
        text = skipped(args.env, args.skipped)
    else:
        raw = args.plan_json.read_text(encoding="utf-8") if args.plan_json else sys.stdin.read()
        try:
            plan = json.loads(raw)
        except json.JSONDecodeError as error:
            text = f"#### Terraform plan: `{args.env}`\n\n:x: not a JSON plan ({error}).\n"
            args.out.write_text(text, encoding="utf-8")
            return 1
        text = render(args.env, summarize(plan))
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0
