"""The processes of one job: one per simulated host, started together inside the sandbox, stopped
together (the first failure or MaxRuntimeInSeconds ends them all, SIGTERM then SIGKILL after
10 s, as SageMaker stops a job)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from local_runner import hosts, sandbox


class JobFailed(RuntimeError):
    """A job whose process failed: everything a person needs to act on it."""

    def __init__(self, reason: str, exit_code: int | None, stderr_tail: str, log: Path):
        super().__init__(reason)
        self.reason = reason
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail
        self.log = log


@dataclass
class Worker:
    host: hosts.Host
    argv: list[str]  # as the container runs it
    env: dict[str, str]
    cwd: str  # a container path (/opt/ml/...) or a host path
    interpreter: str = sys.executable
    process: subprocess.Popen[bytes] | None = None


def tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def failure_reason(opt_ml: Path) -> str | None:
    for name in ("failure", "message"):
        path = opt_ml / "output" / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace").strip()
            if text:
                return text
    return None


def _start(worker: Worker) -> None:
    host = worker.host
    mounts = sandbox.Mounts(
        host.opt_ml,
        host.hosts_file,
        host.name,
        host.scratch,
        sandbox.protected_prefixes(worker.interpreter),
    )
    argv = sandbox.wrap(["/bin/sh", "-c", 'cd "$0" && exec "$@"', worker.cwd, *worker.argv], mounts)
    host.folder.mkdir(parents=True, exist_ok=True)
    with host.stdout_log.open("wb") as out, host.stderr_log.open("wb") as err:
        out.write(f"$ {' '.join(worker.argv)}\n".encode())
        out.flush()
        worker.process = subprocess.Popen(argv, stdout=out, stderr=err, env=worker.env)


def _stop(workers: list[Worker]) -> None:
    """SIGTERM, then SIGKILL after 10 s, as SageMaker stops a job."""
    running = [w.process for w in workers if w.process and w.process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in running:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_workers(workers: list[Worker], max_runtime: float, log: Path) -> None:
    """Run every host at once; the first failure stops the others (as SageMaker fails the whole
    job); raise JobFailed with that host's reason, exit code and stderr tail."""
    finished: list[tuple[Worker, int]] = []
    done = threading.Condition()
    timed_out = threading.Event()

    def watch(worker: Worker) -> None:
        assert worker.process is not None
        code = worker.process.wait()
        with done:
            finished.append((worker, code))
            done.notify_all()

    try:
        for worker in workers:
            _start(worker)
        for worker in workers:
            threading.Thread(target=watch, args=(worker,), daemon=True).start()
        deadline = time.monotonic() + max_runtime
        with done:
            while len(finished) < len(workers):
                if any(code != 0 for _, code in finished):
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out.set()
                    break
                done.wait(timeout=remaining)
    except BaseException:
        for worker in workers:
            if worker.process and worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()
        raise
    _stop(workers)
    if timed_out.is_set():
        raise JobFailed(
            f"MaxRuntimeExceeded: the job ran longer than {max_runtime:.0f} s "
            "(StoppingCondition.MaxRuntimeInSeconds).",
            None,
            tail(log),
            log,
        )
    failed = [(worker, code) for worker, code in finished if code != 0]
    if failed:
        worker, code = failed[0]
        host = worker.host
        where = f" (host {host.name} of {host.count})" if host.count > 1 else ""
        reason = failure_reason(host.opt_ml) or (
            f"AlgorithmError: the entry point exited with code {code}{where}."
        )
        raise JobFailed(reason, code, tail(host.stderr_log), host.stderr_log)
