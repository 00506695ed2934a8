"""`python -m proof`: the access proof (see proof/prove.py). Exit 0 only with 0 wrong."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from proof.moto_server import ProofError

REPO_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proof", description=__doc__.splitlines()[0])
    parser.add_argument("--definition", default="build/dev/pipeline-definition.json",
                        help="dev's generated definition (make definition ENV=dev)")  # fmt: skip
    parser.add_argument(
        "--refresh", action="store_true", help="render and record again, ignoring build/proof/"
    )
    parser.add_argument(
        "--table",
        action="store_true",
        help="print the principals table (docs/infrastructure.md) and exit",
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="rewrite the principals table in docs/infrastructure.md",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print every decision, not only wrong ones"
    )
    args = parser.parse_args(argv)

    from proof import docs_table, prove

    started = time.monotonic()
    try:
        inputs = prove.collect(
            REPO_ROOT / args.definition,
            refresh=args.refresh,
            log=lambda line: print(line, file=sys.stderr),
        )
        checks = prove.all_checks(inputs)
        outcomes = prove.evaluate(inputs, checks)
    except ProofError as error:
        print(f"access proof could not run: {error}", file=sys.stderr)
        return 2
    if args.table:
        print(docs_table.markdown(inputs, outcomes))
        return 0
    if args.write_docs:
        doc = docs_table.DOC
        doc.write_text(
            docs_table.replace_section(doc.read_text(), docs_table.markdown(inputs, outcomes))
        )
        print(f"wrote the principals table into {doc.relative_to(REPO_ROOT)}")
    wrong = [o for o in outcomes if not o.correct]
    for outcome in outcomes if args.verbose else wrong:
        print(
            prove.describe(outcome)
            if not outcome.correct
            else f"ok: {outcome.check.principal} {outcome.check.action} {outcome.check.resource} {outcome.result}"
        )
    print(
        f"({len(inputs.requests)} recorded requests -> {len(outcomes)} IAM decisions in {time.monotonic() - started:.1f} s)",
        file=sys.stderr,
    )
    print(prove.summary(outcomes))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
