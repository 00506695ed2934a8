"""`python -m benchmarks <name> [options]`: every benchmark of docs/benchmarks.md, one runner.

Each benchmark prints its section; with `--write` it records benchmarks/results/<name>.json and
regenerates docs/benchmarks.md (benchmarks/report.py). `python -m benchmarks report` regenerates
the doc from the recorded results and benchmarks/notes/ without measuring anything.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "definition": "benchmarks.definition",
    "definition-check": "benchmarks.definition_check",
    "training": "benchmarks.training",
    "local": "benchmarks.local",
    "sharded": "benchmarks.sharded",
    "proxy": "benchmarks.proxy",
    "batch": "benchmarks.batch",
    "setup": "benchmarks.setup_install",
    "scale-out": "benchmarks.scale_out",
    "proof": "benchmarks.proof",
    "test-suite": "benchmarks.suite_times",
}
COMMANDS = {**BENCHMARKS, "report": "benchmarks.report"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        asked = argv[:1] in (["-h"], ["--help"])
        usage = f"usage: python -m benchmarks {{{'|'.join(COMMANDS)}}} [options] [--write]"
        print(usage, file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    sys.argv[0] = f"python -m benchmarks {argv[0]}"  # what argparse shows in --help
    return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
