"""`python -m fork init [--project ... --region ... --account-id ... --github-repo ...]`."""

from __future__ import annotations

import sys

from fork import init

COMMANDS = {"init": init.main}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        asked = argv[:1] in (["-h"], ["--help"])
        usage = f"usage: python -m fork {{{'|'.join(COMMANDS)}}} [options]"
        print(usage, file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
