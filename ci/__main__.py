"""`python -m ci pr-comment|plan-summary|definition-diff|deploy-request|env|dag-markdown|load-test|dependency-audit`."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "pr-comment": "ci.pr_comment",
    "plan-summary": "ci.plan_summary",
    "definition-diff": "ci.definition_diff",
    "deploy-request": "ci.deploy_request",
    "env": "ci.env",
    "dag-markdown": "ci.dag_markdown",
    "load-test": "ci.load_test",
    "dependency-audit": "ci.dependency_audit",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        asked = argv[:1] in (["-h"], ["--help"])
        usage = f"usage: python -m ci {{{'|'.join(COMMANDS)}}} [options]"
        print(usage, file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    sys.argv[0] = f"python -m ci {argv[0]}"  # what argparse shows as the program in --help
    # Imported on demand: the commands that run before the venv exists stay free of its packages.
    return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
