"""Simulated instances of one job (InstanceCount > 1): names, addresses, folders, shards.

SageMaker names a job's instances algo-1 .. algo-N and tells each one who it is through
resourceconfig.json (and SM_HOSTS / SM_CURRENT_HOST in framework containers). Locally each host
is a process of its own with its own /opt/ml; every name resolves (through the sandbox's
/etc/hosts) to an address of its own on loopback, 127.0.100.<n>, so a tracker or scheduler that
binds its host's address on a fixed port (XGBoost/LightGBM/Dask/torch on algo-1) works on every
host at once, and the others reach it by name.

Folders: algo-1 keeps the step's own folder (<step>/opt_ml, <step>/stdout.log, stderr.log, which
`make logs` shows); algo-N (N >= 2) gets <step>/algo-N/ with the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

GROUP_NAME = "homogeneousCluster"
LOOPBACK_NETWORK = "127.0.100"
MAX_HOSTS = 250


@dataclass(frozen=True)
class Host:
    index: int  # 0-based
    count: int
    folder: Path  # <step> for algo-1, <step>/algo-N otherwise

    @property
    def name(self) -> str:
        return f"algo-{self.index + 1}"

    @property
    def address(self) -> str:
        return f"{LOOPBACK_NETWORK}.{self.index + 1}"

    @property
    def opt_ml(self) -> Path:
        return self.folder / "opt_ml"

    @property
    def stdout_log(self) -> Path:
        return self.folder / "stdout.log"

    @property
    def stderr_log(self) -> Path:
        return self.folder / "stderr.log"

    @property
    def home(self) -> Path:
        return self.folder / "home"

    @property
    def hosts_file(self) -> Path:
        return self.folder / "sandbox" / "hosts"

    @property
    def scratch(self) -> Path:
        return self.folder / "sandbox" / "opt"


def cluster(step_dir: Path, count: int) -> list[Host]:
    return [
        Host(index, count, step_dir if index == 0 else step_dir / f"algo-{index + 1}")
        for index in range(count)
    ]


def names(hosts: list[Host]) -> list[str]:
    return [host.name for host in hosts]


def hosts_file_text(hosts: list[Host], host_file: Path = Path("/etc/hosts")) -> str:
    """The machine's /etc/hosts plus one line per simulated host."""
    try:
        base = host_file.read_text(encoding="utf-8")
    except OSError:
        base = "127.0.0.1 localhost\n"
    lines = [f"{host.address} {host.name}" for host in hosts]
    return (
        base.rstrip("\n")
        + "\n# simulated hosts of this job (local runner)\n"
        + "\n".join(lines)
        + "\n"
    )


def resource_config(host: Host, hosts: list[Host], instance_type: str) -> dict[str, Any]:
    """resourceconfig.json as SageMaker writes it on every instance (training and processing)."""
    return {
        "current_host": host.name,
        "current_instance_type": instance_type,
        "current_group_name": GROUP_NAME,
        "hosts": names(hosts),
        "instance_groups": [
            {
                "instance_group_name": GROUP_NAME,
                "instance_type": instance_type,
                "hosts": names(hosts),
            }
        ],
        "network_interface_name": "eth0",
    }


def shard(items: list[Any], host: Host, distribution: str) -> list[Any]:
    """ShardedByS3Key: host i of n gets items i, i+n, i+2n, ... of the key-sorted list;
    FullyReplicated (the default): every host gets all of them."""
    if distribution == "ShardedByS3Key":
        return items[host.index :: host.count]
    return list(items)
