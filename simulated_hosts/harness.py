"""The harness: N processes with SageMaker's multi-host contract, run at once on loopback.

Host names are loopback addresses (127.0.0.1, 127.0.0.2, ...): they resolve on any OS without
touching /etc/hosts, and Linux routes the whole 127/8 to the loopback interface. SageMaker's own
names (algo-1, ...) resolve through its DNS; the step code only ever resolves a name.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PROCESSING_CONFIG = ("config", "resourceconfig.json")
TRAINING_CONFIG = ("input", "config", "resourceconfig.json")


@dataclass(frozen=True)
class Input:
    """A folder standing in for an S3 prefix, where it lands under /opt/ml, and how it is shared."""

    source: Path
    local_path: str  # relative to /opt/ml, e.g. "processing/input/data" or "input/data/train"
    sharded: bool = False  # ShardedByS3Key (True) or FullyReplicated (False)


@dataclass
class HostResult:
    host: str
    returncode: int
    stdout: str
    stderr: str
    max_rss_bytes: int
    opt_ml: Path
    cpu_seconds: float = 0.0  # user + system: the work done, whatever else ran on the machine


@dataclass
class JobResult:
    hosts: list[HostResult]
    wall_seconds: float
    # output key (relative to its destination) -> every host that uploaded it, in upload order
    writers: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(h.returncode == 0 for h in self.hosts)

    @property
    def collisions(self) -> dict[str, list[str]]:
        return {key: hosts for key, hosts in self.writers.items() if len(hosts) > 1}

    def describe_failure(self) -> str:
        return "\n".join(
            f"--- {h.host} exit {h.returncode}\n{h.stdout[-2000:]}\n{h.stderr[-4000:]}"
            for h in self.hosts
            if h.returncode != 0
        )


def host_names(count: int) -> list[str]:
    return [f"127.0.0.{index}" for index in range(1, count + 1)]


def free_port() -> int:
    """A port the OS just had free on loopback (the tracker binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def objects(folder: Path) -> list[Path]:
    """An S3 prefix's objects in key order (what ShardedByS3Key distributes)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def shard(items: list[Path], hosts: int, index: int) -> list[Path]:
    """Objects dealt out round-robin in key order. SageMaker documents only that each host gets a
    subset of about 1/N of the objects; the code under test must not depend on which."""
    return items[index::hosts]


def stage_inputs(inputs: list[Input], opt_ml: Path, hosts: int, index: int) -> None:
    for item in inputs:
        target = opt_ml / item.local_path
        target.mkdir(parents=True, exist_ok=True)
        everything = objects(item.source)
        chosen = shard(everything, hosts, index) if item.sharded else everything
        for path in chosen:
            destination = target / path.relative_to(item.source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)


def run_job(
    script: Path,
    hosts: int,
    workdir: Path,
    inputs: list[Input],
    outputs: dict[str, Path],
    *,
    training: bool = False,
    args: list[str] | None = None,
    hyperparameters: dict[str, str] | None = None,
    checkpoints: Path | None = None,
    threads_per_host: int | None = None,
    timeout: float = 600,
) -> JobResult:
    """Run script on `hosts` simulated hosts; upload each host's `outputs` (path under /opt/ml ->
    destination folder) after all succeeded. A training job also restores and syncs
    `checkpoints` (/opt/ml/checkpoints on every host) as SageMaker does."""
    names = host_names(hosts)
    port = free_port()
    processes = []
    for index, name in enumerate(names):
        opt_ml = workdir / f"host-{index + 1}" / "opt_ml"
        shutil.rmtree(opt_ml, ignore_errors=True)
        opt_ml.mkdir(parents=True)
        stage_inputs(inputs, opt_ml, hosts, index)
        config = opt_ml.joinpath(*(TRAINING_CONFIG if training else PROCESSING_CONFIG))
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps({"current_host": name, "hosts": names}), encoding="utf-8")
        if training:
            (opt_ml / "input" / "config" / "hyperparameters.json").write_text(
                json.dumps(hyperparameters or {}), encoding="utf-8"
            )
            if checkpoints is not None and checkpoints.is_dir():
                shutil.copytree(checkpoints, opt_ml / "checkpoints")
        for local in outputs:
            (opt_ml / local).mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith("SM_")}
        env.update(
            {
                "SM_OPT_ML": str(opt_ml),
                "SM_HOSTS": json.dumps(names),
                "SM_CURRENT_HOST": name,
                "XGBOOST_TRACKER_PORT": str(port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if threads_per_host:
            env["OMP_NUM_THREADS"] = str(threads_per_host)
        log = opt_ml.parent
        stdout = (log / "stdout.log").open("w", encoding="utf-8")
        stderr = (log / "stderr.log").open("w", encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, str(script), *(args or [])],
            env=env,
            stdout=stdout,
            stderr=stderr,
            cwd=script.parent,
        )
        processes.append((name, opt_ml, process, stdout, stderr))
    started = time.perf_counter()
    results = wait_all(processes, started, timeout)
    wall = time.perf_counter() - started
    job = JobResult(results, wall)
    if job.ok:
        for result in results:
            for local, destination in outputs.items():
                upload(result.opt_ml / local, destination, result.host, job.writers)
            if training and checkpoints is not None:
                upload(result.opt_ml / "checkpoints", checkpoints, result.host, job.writers)
    return job


def wait_all(processes: list, started: float, timeout: float) -> list[HostResult]:
    """Reap every host; when one fails or time runs out, stop the others (SageMaker fails the
    whole job when one host's container fails)."""
    usage: dict[int, tuple[int, int, float]] = {}
    pending = {process.pid: process for _n, _o, process, _s, _e in processes}
    while pending:
        reaped = False
        for pid in list(pending):
            done, status, rusage = os.wait4(pid, os.WNOHANG)  # only our own children
            if done == 0:
                continue
            reaped = True
            code = os.waitstatus_to_exitcode(status)
            cpu = rusage.ru_utime + rusage.ru_stime
            usage[pid] = (code, rusage.ru_maxrss * 1024, cpu)  # Linux reports KiB
            pending.pop(pid).returncode = code
            if code != 0:
                stop(pending.values())
        if not reaped:
            if time.perf_counter() - started > timeout:
                stop(pending.values())
            time.sleep(0.02)
    results = []
    for name, opt_ml, process, stdout, stderr in processes:
        stdout.close()
        stderr.close()
        code, rss, cpu = usage[process.pid]
        log = opt_ml.parent
        results.append(
            HostResult(
                name,
                code,
                (log / "stdout.log").read_text(encoding="utf-8", errors="replace"),
                (log / "stderr.log").read_text(encoding="utf-8", errors="replace"),
                rss,
                opt_ml,
                cpu,
            )
        )
    return results


def stop(processes) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)


def upload(folder: Path, destination: Path, host: str, writers: dict[str, list[str]]) -> None:
    for path in objects(folder):
        key = path.relative_to(folder).as_posix()
        record = f"{destination.name}/{key}"
        writers.setdefault(record, []).append(host)
        target = destination / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
