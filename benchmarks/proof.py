"""`python -m benchmarks proof` (`make benchmark-proof`): how long the access proof takes with its renders and recordings
cached (what `make test` pays on every run after the first), split into collecting the inputs
(reading the cached states and recordings) and evaluating every decision in one node process."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from proof import prove

REPO_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None, rounds: int = 3) -> int:
    definition = REPO_ROOT / "build" / "dev" / "pipeline-definition.json"
    prove.collect(definition, log=lambda line: None)  # make sure the cache exists
    collect, evaluate, total = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        inputs = prove.collect(definition, log=lambda line: None)
        checks = prove.all_checks(inputs)
        collected = time.perf_counter()
        outcomes = prove.evaluate(inputs, checks)
        done = time.perf_counter()
        collect.append(collected - started)
        evaluate.append(done - collected)
        total.append(done - started)
    print(f"decisions per run: {len(outcomes)} ({len(inputs.requests)} recorded requests)")
    print(
        f"collect + translate (cached render), median of {rounds}: {statistics.median(collect):.1f} s"
    )
    print(f"evaluate in one node process, median of {rounds}: {statistics.median(evaluate):.1f} s")
    print(
        f"access proof, warm, median of {rounds}: {statistics.median(total):.1f} s (goal: well under 30 s)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
