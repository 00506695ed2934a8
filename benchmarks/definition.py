"""Benchmark: definition generation time divided by a bare import of the same SDK modules.

Both are measured in fresh interpreters, side by side in one run, alternating, so machine noise hits
both alike. The ratio says what our code adds on top of the unavoidable SDK import (goal <= 1.4).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

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


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks definition [ROUNDS]` (default 5)."""
    rounds = int(argv[0]) if argv else 5
    imports, generations = [], []
    for _ in range(rounds):
        imports.append(timed(IMPORT_ONLY))
        generations.append(timed(GENERATE))
    bare, full = statistics.median(imports), statistics.median(generations)
    print(f"definition benchmark ({rounds} rounds, medians, fresh interpreters)")
    print(f"  bare SDK import        {bare:6.2f} s")
    print(f"  generate definition    {full:6.2f} s")
    print(f"  ratio                  {full / bare:6.2f}  (goal <= 1.4)")
    return 0
