"""XGBoost's collective across the training hosts: the tracker on the first host, every host a
worker. One host needs none of it (the plain single-machine path).

The tracker listens on the first host's address (its SageMaker host name, resolved like any
peer) and on a port every host can work out without asking: XGBOOST_TRACKER_PORT when set, else one
derived from TRAINING_JOB_NAME (which SageMaker sets in every training container) in 20000-31999,
below Linux's ephemeral range, else 9099. On SageMaker each host is its own instance, so any port
is free; simulated hosts share one machine, where two jobs' trackers get different ports because
their job names differ (the tests' harness passes a free port explicitly). Ranks follow the order of the hosts list (sortby task with a zero-padded index), so rank 0
is always the first host, which alone writes the model and the checkpoints.
"""

from __future__ import annotations

import contextlib
import os
import socket
import zlib
from collections.abc import Iterator

from contract import StepInputError
from hosts import Cluster

DEFAULT_TRACKER_PORT = 9099
DERIVED_PORT_BASE, DERIVED_PORT_SPAN = 20000, 12000  # ends below 32768, the ephemeral ports
# How long the hosts may take to reach the tracker: covers one host loading a bigger shard than
# another before joining. Collective operations themselves have XGBoost's own timeout.
BOOTSTRAP_TIMEOUT_SECONDS = 1800
CONNECT_RETRIES = 60


def tracker_port() -> int:
    job = os.environ.get("TRAINING_JOB_NAME")
    derived = DERIVED_PORT_BASE + zlib.crc32(job.encode()) % DERIVED_PORT_SPAN if job else None
    text = os.environ.get("XGBOOST_TRACKER_PORT", str(derived or DEFAULT_TRACKER_PORT))
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise StepInputError(
            f"XGBOOST_TRACKER_PORT must be a TCP port number (1-65535), got '{text}'. Unset it to "
            f"use {DEFAULT_TRACKER_PORT}."
        )
    return port


def address_of(host: str) -> str:
    try:
        return socket.gethostbyname(host)
    except OSError as error:
        raise StepInputError(
            f"host '{host}' (the first of SM_HOSTS, where the tracker runs) does not resolve to an "
            f"address ({error}). SageMaker resolves algo-N itself; a local harness must map the "
            "names to loopback or use loopback addresses as host names."
        ) from error


@contextlib.contextmanager
def communicator(cluster: Cluster) -> Iterator[None]:
    """Inside: XGBoost trains and evaluates across every host. One host: does nothing."""
    if not cluster.is_distributed:
        yield
        return
    from xgboost import collective
    from xgboost.tracker import RabitTracker

    address = address_of(cluster.hosts[0])
    port = tracker_port()
    tracker = None
    if cluster.is_first:
        tracker = RabitTracker(
            n_workers=cluster.size,
            host_ip=address,
            port=port,
            sortby="task",
            timeout=BOOTSTRAP_TIMEOUT_SECONDS,
        )
        tracker.start()
    worker = {
        "dmlc_communicator": "rabit",
        "dmlc_tracker_uri": address,
        "dmlc_tracker_port": port,
        "dmlc_task_id": f"{cluster.rank:05d}-{cluster.current}",
        "dmlc_retry": CONNECT_RETRIES,
    }
    with collective.CommunicatorContext(**worker):
        if collective.get_rank() != cluster.rank:
            raise StepInputError(
                f"host {cluster.current} got rank {collective.get_rank()} instead of "
                f"{cluster.rank}: two jobs share the tracker port {port}. Give each its own "
                "XGBOOST_TRACKER_PORT."
            )
        yield
    if tracker is not None:
        tracker.wait_for(BOOTSTRAP_TIMEOUT_SECONDS)
        tracker.free()


def _reduce(value: int, operation: str) -> int:
    import numpy as np
    from xgboost import collective

    if not collective.is_distributed():
        return value
    result = collective.allreduce(np.array([value], dtype=np.int64), collective.Op[operation])
    return int(result[0])


def all_equal(value: int) -> bool:
    """True on every host when every host holds the same value (False on all otherwise)."""
    return _reduce(value, "MIN") == _reduce(value, "MAX")


def max_over_hosts(value: int) -> int:
    return _reduce(value, "MAX")
