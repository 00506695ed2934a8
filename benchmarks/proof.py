"""`python -m benchmarks proof` (`make benchmark-proof`): how long the access proof takes with its
renders and recordings cached (what `make proof` pays on every run after the first), as wall time
and as CPU time (this process plus the node evaluator): on a shared machine the wall time is
mostly waiting for a core, the CPU time is what the proof costs."""

from __future__ import annotations

import os
import resource
import statistics
import time

from env_config import REPO_ROOT
from proof import prove


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None, rounds: int = 3) -> int:
    definition = REPO_ROOT / "build" / "dev" / "pipeline-definition.json"
    prove.collect(definition, log=lambda line: None)  # the cache must exist (make proof)
    walls, cpus, evaluations = [], [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), _cpu()
        inputs = prove.collect(definition, log=lambda line: None)
        checks = prove.all_checks(inputs)
        started = time.perf_counter()
        outcomes = prove.evaluate(inputs, checks)
        evaluations.append(time.perf_counter() - started)
        walls.append(time.perf_counter() - wall)
        cpus.append(_cpu() - cpu)
    load = os.getloadavg()[0]
    print(f"decisions per run: {len(outcomes)} ({len(inputs.requests)} recorded requests)")
    print(f"1-minute load average: {load:.1f} on {os.cpu_count()} CPUs")
    print(f"access proof, warm, wall time, median of {rounds}: {statistics.median(walls):.1f} s "
          f"(of which the node evaluation: {statistics.median(evaluations):.1f} s)")  # fmt: skip
    print(f"access proof, warm, CPU time, median of {rounds}: {statistics.median(cpus):.1f} s "
          "(goal: both well under 30 s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
