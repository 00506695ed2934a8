"""Benchmark of several simulated hosts (issue 13): one ShardedByS3Key processing step on 1M rows
run with InstanceCount 4 and with InstanceCount 1, side by side (interleaved rounds, medians).

The step is what a sharded preprocessing job does: read its shard of CSV objects, standardise
every column with statistics of its shard, write its shard back; the rows are in 8 objects so 4
hosts get 2 each. Both runs go through local_runner.jobs.run_processing (the sandbox, the S3
endpoint, input staging, output upload included), in a temporary LOCAL_RUNNER_HOME.

Usage: python -m benchmarks sharded [--rows 1000000] [--repeat 3] [--write]
(--write replaces the "## Local runner: several hosts" section of docs/benchmarks.md.)
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "benchmarks.md"
SECTION = "## Local runner: several hosts"
BUCKET = "benchmark-bucket"
OBJECTS = 8
COLUMNS = 12

STEP_SCRIPT = """
    import os
    from pathlib import Path

    import pandas as pd

    source = Path("/opt/ml/processing/input/data")
    target = Path("/opt/ml/processing/output")
    for file in sorted(source.glob("*.csv")):
        frame = pd.read_csv(file)
        scaled = (frame - frame.mean()) / frame.std(ddof=0)
        scaled.to_csv(target / file.name, index=False, float_format="%.6f")
    print("done")
"""


def make_data(rows: int) -> None:
    """OBJECTS CSV objects of rows / OBJECTS rows each under s3://BUCKET/raw/."""
    import numpy as np
    import pandas as pd

    from local_runner import objectstore

    generator = np.random.default_rng(7)
    per_object = rows // OBJECTS
    for index in range(OBJECTS):
        frame = pd.DataFrame(
            generator.normal(size=(per_object, COLUMNS)),
            columns=[f"f{c}" for c in range(COLUMNS)],
        )
        path = objectstore.path_for(f"s3://{BUCKET}/raw/part-{index:02d}.csv")
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, float_format="%.6f")
    objectstore.put_bytes(f"s3://{BUCKET}/code/scale.py", textwrap.dedent(STEP_SCRIPT).encode())


def request(instances: int, output: str) -> dict:
    code = "/opt/ml/processing/input/code"

    def s3_input(name: str, uri: str, local: str, sharded: bool) -> dict:
        return {
            "InputName": name,
            "S3Input": {
                "S3Uri": uri,
                "LocalPath": local,
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
                "S3DataDistributionType": "ShardedByS3Key" if sharded else "FullyReplicated",
            },
        }

    return {
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": instances, "InstanceType": "ml.m5.xlarge"}
        },
        "AppSpecification": {
            "ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1",
            "ContainerEntrypoint": ["python3", f"{code}/scale.py"],
        },
        "ProcessingInputs": [
            s3_input("code", f"s3://{BUCKET}/code/", code, False),
            s3_input("data", f"s3://{BUCKET}/raw/", "/opt/ml/processing/input/data", True),
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "scaled",
                    "S3Output": {
                        "S3Uri": f"s3://{BUCKET}/{output}",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        "Environment": {"OMP_NUM_THREADS": "1"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }


def run_step(instances: int, round_index: int, scratch: Path) -> float:
    from local_runner import jobs, objectstore

    name = f"scale-{instances}-{round_index}"
    spec = jobs.JobSpec(name, name, scratch / "runs" / name, "us-east-1", "000000000000")
    started = time.perf_counter()
    jobs.run_processing(request(instances, f"out/{name}"), spec)
    elapsed = time.perf_counter() - started
    written = objectstore.list_objects(f"s3://{BUCKET}/out/{name}/")
    if len(written) != OBJECTS:
        raise SystemExit(f"{name}: expected {OBJECTS} output objects, got {len(written)}")
    shutil.rmtree(spec.step_dir, ignore_errors=True)  # keep the disk use bounded
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="benchmark-sharded-"))
    os.environ["LOCAL_RUNNER_HOME"] = str(scratch)
    load_before = os.getloadavg()[0]
    single: list[float] = []
    four: list[float] = []
    try:
        make_data(args.rows)
        for index in range(args.repeat):  # interleaved: load on the machine hits both alike
            single.append(run_step(1, index, scratch))
            four.append(run_step(4, index, scratch))
    finally:
        os.environ.pop("LOCAL_RUNNER_HOME", None)
        shutil.rmtree(scratch, ignore_errors=True)
    median = statistics.median
    ratio = median(four) / median(single)
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python " + (
        platform.python_version()
    )
    text = "\n".join(
        [
            SECTION,
            "",
            f"Measured by `make benchmark-sharded` (benchmarks/sharded.py) on {machine}, "
            f"{time.strftime('%Y-%m-%d', time.gmtime())}; medians of {args.repeat} interleaved "
            f"rounds; {args.rows:,} rows x {COLUMNS} columns in {OBJECTS} CSV objects, each "
            "host standardises its shard with pandas. The machine was shared with other "
            f"sessions: 1-minute load average {load_before:.1f} before and "
            f"{os.getloadavg()[0]:.1f} after; both sides ran in turn under the same load.",
            "",
            "| figure | value | goal |",
            "|---|---|---|",
            f"| ShardedByS3Key processing step, 4 hosts / 1 host (wall time) | "
            f"{median(four):.1f} s / {median(single):.1f} s = **{ratio:.2f}** | <= 0.6 on 2+ "
            "cores |",
            f"| every round, 4 hosts | {', '.join(f'{t:.1f}' for t in four)} s | |",
            f"| every round, 1 host | {', '.join(f'{t:.1f}' for t in single)} s | |",
            "",
        ]
    )
    print(text)
    if args.write:
        write_section(text)


def write_section(text: str) -> None:
    """Replace only this section of docs/benchmarks.md (other sections belong to others)."""
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n\n"
    start = current.find(SECTION + "\n")
    if start == -1:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(SECTION))
        updated = current[:start] + text + ("" if end == -1 else current[end + 1 :])
    DOC.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")
