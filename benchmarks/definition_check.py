"""Benchmark: validating the dev, staging and prod definitions against SageMaker's API model.

Figures, side by side in one run: (1) a fresh interpreter that validates the three definitions
(botocore's model loaded once) against one that only reads them, and against one that generates
one definition (`make definition`, which now also validates); (2) in-process validation of one
definition once the model is loaded, what the local runner's up-front check costs. The goal of
issue 11: validation and the access proof together under 30 s on two cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import report

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("dev", "staging", "prod")


def write_definitions(directory: Path) -> list[Path]:
    import logging

    from build_pipeline.__main__ import generate

    logging.disable(logging.WARNING)
    paths = []
    for env in ENVIRONMENTS:
        path = directory / f"{env}.json"
        path.write_text(generate(env, git_sha="benchmark"), encoding="utf-8")
        paths.append(path)
    return paths


def timed(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=REPO_ROOT, check=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    report.add_write_flag(parser)
    args = parser.parse_args(argv)
    run = report.start("definition-check", argv)
    with tempfile.TemporaryDirectory() as scratch:
        paths = write_definitions(Path(scratch))
        files = repr([str(p) for p in paths])
        read_only = f"import json; [json.load(open(p)) for p in {files}]"
        validate = (
            "import json, definition_check;"
            f"assert all(definition_check.validate(json.load(open(p))) == [] for p in {files})"
        )
        generate = (
            "import logging; logging.disable(logging.WARNING);"
            "from build_pipeline.__main__ import generate; generate('dev', git_sha='benchmark')"
        )
        cold = {"read": [], "validate": [], "generate": []}
        for _ in range(args.repeat):  # alternating, so machine noise hits all alike
            cold["read"].append(timed(read_only))
            cold["validate"].append(timed(validate))
            cold["generate"].append(timed(generate))
        median = {key: statistics.median(values) for key, values in cold.items()}
        from definition_check import validate as check

        definitions = [json.loads(p.read_text()) for p in paths]
        check(definitions[0])  # the model is loaded once per process
        warm = []
        for _ in range(args.repeat * 4):
            start = time.perf_counter()
            check(definitions[0])
            warm.append(time.perf_counter() - start)
    report.publish(
        run,
        conditions=(
            f"Medians of {args.repeat} rounds in fresh interpreters, alternating (read, validate, "
            "generate), so the load on the machine hits every side."
        ),
        tables=tables(median, statistics.median(warm), args.repeat, len(warm)),
        write=args.write,
    )
    return 0


def tables(
    median: dict[str, float], warm: float, repeat: int, warm_count: int
) -> list[report.Table]:
    ratio = median["validate"] / median["generate"]
    return [
        report.Table(
            ["figure", "value", "goal"],
            [
                [
                    "fresh interpreter validating the dev, staging and prod definitions / one that "
                    "only reads them",
                    f"{median['validate']:.2f} s / {median['read']:.2f} s (medians of {repeat})",
                    "(figure only)",
                ],
                [
                    "validating the three definitions / generating one (`make definition`, which "
                    "now also validates)",
                    f"{median['validate']:.2f} s / {median['generate']:.2f} s = **{ratio:.2f}**",
                    "with the access proof < 30 s",
                ],
                [
                    "in-process validation of one definition once botocore's model is loaded "
                    "(the local runner's up-front check)",
                    f"**{warm * 1000:.1f} ms** (median of {warm_count})",
                    "(figure only)",
                ],
            ],
            "validation and the access proof together < 30 s on two cores (issue 11)",
            report.Headline(
                "validating the three definitions / generating one", round(ratio, 2), None
            ),
        )
    ]
