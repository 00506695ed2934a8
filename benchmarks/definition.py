"""Benchmark: definition generation time divided by a bare import of the same SDK modules.

Both are measured in fresh interpreters, side by side in one run, alternating, so machine noise hits
both alike. The ratio says what our code adds on top of the unavoidable SDK import (goal <= 1.4).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import report

REPO_ROOT = Path(__file__).resolve().parent.parent
IMPORT_ONLY = (
    "import boto3, moto;"
    "import sagemaker.core.processing, sagemaker.core.workflow, sagemaker.core.shapes;"
    "import sagemaker.core.workflow.pipeline_context, sagemaker.core.model_metrics;"
    "import sagemaker.mlops.workflow.steps, sagemaker.mlops.workflow.pipeline;"
    "import sagemaker.mlops.workflow.condition_step, sagemaker.mlops.workflow.fail_step;"
    "import sagemaker.mlops.workflow.model_step, sagemaker.train, sagemaker.core.training.configs;"
    "import sagemaker.serve.model_builder"
)
GENERATE = (
    "import logging; logging.disable(logging.WARNING);"
    "from build_pipeline.__main__ import generate; generate('dev', git_sha='benchmark')"
)


def timed(code: str) -> float:
    start = time.perf_counter()
    # Some SDK modules build boto clients at import time and need a region, nothing else.
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        env=env,
    )
    return time.perf_counter() - start


def tables(bare: float, full: float, rounds: int) -> list[report.Table]:
    ratio = full / bare
    return [
        report.Table(
            ["figure", "value", "goal"],
            [
                [
                    f"definition generation / bare import of the same SDK modules (medians of {rounds})",
                    f"{full:.2f} s / {bare:.2f} s = **{ratio:.2f}**",
                    "<= 1.4",
                ]
            ],
            "<= 1.4: what our code adds on top of the unavoidable SDK import",
            report.Headline(
                "definition generation / bare import of the same SDK modules",
                round(ratio, 2),
                "<= 1.4",
            ),
        )
    ]


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks definition [ROUNDS] [--write]` (default 5 rounds)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=5)
    report.add_write_flag(parser)
    args = parser.parse_args(argv)
    run = report.start("definition", argv)
    imports, generations = [], []
    for _ in range(args.rounds):
        imports.append(timed(IMPORT_ONLY))
        generations.append(timed(GENERATE))
    bare, full = statistics.median(imports), statistics.median(generations)
    conditions = (
        f"Medians of {args.rounds} rounds, each side in a fresh interpreter, alternating, so the "
        "load on the machine hits both sides."
    )
    report.publish(
        run, conditions=conditions, tables=tables(bare, full, args.rounds), write=args.write
    )
    return 0
