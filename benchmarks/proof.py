"""`python -m benchmarks proof` (`make benchmark-proof`): how long the access proof takes with its
renders and recordings cached (what `make proof` pays on every run after the first), as wall time
and as CPU time (this process plus the node evaluator): on a shared machine the wall time is
mostly waiting for a core, the CPU time is what the proof costs."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import time

from benchmarks import report
from env_config import REPO_ROOT
from proof import prove


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    report.add_write_flag(parser)
    args = parser.parse_args(argv)
    rounds = args.rounds
    run = report.start("proof", argv)
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
    report.publish(
        run,
        conditions=(
            f"Medians of {rounds} runs with the render and recordings cached (`build/proof/`), in "
            f"this process; {_node_version()}. The wall time includes waiting for a core on a busy "
            "machine, so the CPU time (this process and the node evaluator) is given beside it."
        ),
        tables=tables(
            len(outcomes),
            len(inputs.requests),
            statistics.median(walls),
            statistics.median(cpus),
            statistics.median(evaluations),
            os.getloadavg()[0],
        ),
        write=args.write,
    )
    return 0


def _node_version() -> str:
    try:
        found = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "Node.js version unknown"
    return f"Node.js {found.stdout.strip().lstrip('v')}"


def tables(
    decisions: int, requests: int, wall: float, cpu: float, evaluation: float, load: float
) -> list[report.Table]:
    return [
        report.Table(
            ["figure", "value", "goal"],
            [
                [
                    f"decisions per run ({requests:,} recorded requests)",
                    f"{decisions:,}",
                    "(figure only)",
                ],
                [
                    f"warm `make proof`, 1-minute load average {load:.1f}: wall time / CPU time "
                    "(Python + the one node process)",
                    f"**{wall:.1f} s** / **{cpu:.1f} s**",
                    "well under 30 s",
                ],
                [
                    "of the wall time: iam-simulate evaluating every decision in one node process",
                    f"{evaluation:.1f} s",
                    "(figure only)",
                ],
            ],
            "warm `make proof` well under 30 s",
            report.Headline("warm `make proof` wall time, s", round(wall, 1), "< 30"),
        )
    ]
