"""Benchmark of several simulated hosts (issue 13): one ShardedByS3Key processing step on 1M rows
run with InstanceCount 4 and with InstanceCount 1, side by side (interleaved rounds, medians).

The step is what a sharded preprocessing job does: read its shard of CSV objects, standardise
every column with statistics of its shard, write its shard back; the rows are in 8 objects so 4
hosts get 2 each. Both runs go through local_runner.jobs.run_processing (the sandbox, the S3
endpoint, input staging, output upload included), in a temporary LOCAL_RUNNER_HOME.

Usage: python -m benchmarks sharded [--rows 1000000] [--repeat 3] [--write]
(--write records benchmarks/results/sharded.json and regenerates docs/benchmarks.md.)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import report

REPO = Path(__file__).resolve().parent.parent
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


@dataclass
class Round:
    wall: float  # seconds
    runner_cpu: float  # the runner's own CPU seconds (staging, upload, S3 endpoint)
    hosts_cpu: float  # CPU seconds of every host process together


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_step(instances: int, round_index: int, scratch: Path) -> Round:
    from local_runner import jobs, objectstore

    name = f"scale-{instances}-{round_index}"
    spec = jobs.JobSpec(name, name, scratch / "runs" / name, "us-east-1", "000000000000")
    runner_before = cpu_seconds(resource.RUSAGE_SELF)
    hosts_before = cpu_seconds(resource.RUSAGE_CHILDREN)  # waited-for job processes
    started = time.perf_counter()
    jobs.run_processing(request(instances, f"out/{name}"), spec)
    elapsed = Round(
        time.perf_counter() - started,
        cpu_seconds(resource.RUSAGE_SELF) - runner_before,
        cpu_seconds(resource.RUSAGE_CHILDREN) - hosts_before,
    )
    written = objectstore.list_objects(f"s3://{BUCKET}/out/{name}/")
    if len(written) != OBJECTS:
        raise SystemExit(f"{name}: expected {OBJECTS} output objects, got {len(written)}")
    shutil.rmtree(spec.step_dir, ignore_errors=True)  # keep the disk use bounded
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    report.add_write_flag(parser)
    args = parser.parse_args(argv)
    run = report.start("sharded", argv)
    scratch = Path(tempfile.mkdtemp(prefix="benchmark-sharded-"))
    os.environ["LOCAL_RUNNER_HOME"] = str(scratch)
    single: list[Round] = []
    four: list[Round] = []
    try:
        make_data(args.rows)
        for index in range(args.repeat):  # interleaved: load on the machine hits both alike
            single.append(run_step(1, index, scratch))
            four.append(run_step(4, index, scratch))
    finally:
        os.environ.pop("LOCAL_RUNNER_HOME", None)
        shutil.rmtree(scratch, ignore_errors=True)
    conditions = (
        f"Medians of {args.repeat} interleaved rounds; {args.rows:,} rows x {COLUMNS} columns in "
        f"{OBJECTS} CSV objects, each host standardises its shard with pandas; both sides ran in "
        "turn under the same load. The estimate row assumes the runner's own work is serial and "
        "the hosts' CPU seconds spread over min(cores, hosts) cores."
    )
    report.publish(
        run, conditions=conditions, tables=tables(single, four, os.cpu_count() or 1),
        write=args.write,
    )  # fmt: skip
    return 0


def tables(single: list[Round], four: list[Round], cores: int) -> list[report.Table]:
    median = statistics.median

    def figure(rounds: list[Round], field: str) -> float:
        return median(getattr(r, field) for r in rounds)

    ratio = figure(four, "wall") / figure(single, "wall")
    # What an idle machine with this many cores would take: the runner's own work is serial,
    # the hosts' CPU seconds spread over min(cores, hosts) cores (an estimate, not a measurement).
    idle_single = figure(single, "runner_cpu") + figure(single, "hosts_cpu")
    idle_four = figure(four, "runner_cpu") + figure(four, "hosts_cpu") / min(cores, 4)
    rows = [
        ["ShardedByS3Key processing step, 4 hosts / 1 host (wall time, measured)",
         f"{figure(four, 'wall'):.1f} s / {figure(single, 'wall'):.1f} s = **{ratio:.2f}**",
         "<= 0.6 on 2+ cores"],
        ["CPU seconds of the host processes, 4 hosts / 1 host",
         f"{figure(four, 'hosts_cpu'):.1f} s / {figure(single, 'hosts_cpu'):.1f} s", "(figure)"],
        ["CPU seconds of the runner itself (staging, S3 endpoint, upload), 4 / 1",
         f"{figure(four, 'runner_cpu'):.1f} s / {figure(single, 'runner_cpu'):.1f} s", "(figure)"],
        [f"estimate for an idle {cores}-core machine from those CPU seconds, 4 / 1",
         f"{idle_four:.1f} s / {idle_single:.1f} s = **{idle_four / idle_single:.2f}**",
         "(estimate)"],
        ["every round, 4 hosts (wall)", f"{', '.join(f'{r.wall:.1f}' for r in four)} s", ""],
        ["every round, 1 host (wall)", f"{', '.join(f'{r.wall:.1f}' for r in single)} s", ""],
    ]  # fmt: skip
    return [
        report.Table(
            ["figure", "value", "goal"],
            rows,
            "4 hosts / 1 host <= 0.6 on 2+ cores",
            report.Headline(
                "ShardedByS3Key processing step, 4 hosts / 1 host (wall time, measured)",
                round(ratio, 2),
                "<= 0.6",
            ),
        )
    ]
