"""Which host this is and who the others are, read where SageMaker puts it.

A multi-instance job runs the same script on every host. SageMaker tells each one the cluster in
resourceconfig.json: /opt/ml/input/config/ for training jobs, /opt/ml/config/ for processing jobs,
both {"current_host": "algo-2", "hosts": ["algo-1", "algo-2", ...]}. Framework containers also
export SM_HOSTS (a JSON list) and SM_CURRENT_HOST; when set they win, so the same code runs under
SageMaker, under the local runner's simulated hosts and in the tests' harness. No file and no
variable means one host: the plain single-machine path.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from contract import StepInputError, opt_ml

SINGLE_HOST = "algo-1"
# A host name becomes part of an output key (part-<host>-...), so it must be safe in one.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


@dataclass(frozen=True)
class Cluster:
    """The hosts of this job, in SageMaker's order, and the one this process runs on."""

    hosts: tuple[str, ...]
    current: str

    @property
    def rank(self) -> int:
        """0 for the first host: it runs the tracker and alone writes what must be written once."""
        return self.hosts.index(self.current)

    @property
    def size(self) -> int:
        return len(self.hosts)

    @property
    def is_first(self) -> bool:
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.size > 1


def resource_config_paths() -> tuple[Path, ...]:
    """Training jobs' file first, then processing jobs' (a job has only one of them)."""
    return (
        opt_ml("input", "config", "resourceconfig.json"),
        opt_ml("config", "resourceconfig.json"),
    )


def discover() -> Cluster:
    """The cluster from SM_HOSTS/SM_CURRENT_HOST, else resourceconfig.json, else one host."""
    hosts_text = os.environ.get("SM_HOSTS")
    current = os.environ.get("SM_CURRENT_HOST")
    source = "SM_HOSTS/SM_CURRENT_HOST"
    if hosts_text is None or current is None:
        for path in resource_config_paths():
            if path.exists():
                return _from_resource_config(path)
        return Cluster((SINGLE_HOST,), SINGLE_HOST)
    try:
        hosts = json.loads(hosts_text)
    except json.JSONDecodeError as error:
        raise StepInputError(
            f"SM_HOSTS is not a JSON list of host names ({error.msg}): got '{hosts_text[:80]}'. "
            'Export it as e.g. \'["algo-1", "algo-2"]\'.'
        ) from error
    return make_cluster(hosts, current, source)


def _from_resource_config(path: Path) -> Cluster:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        hosts, current = raw["hosts"], raw["current_host"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise StepInputError(
            f"{path}: not a SageMaker resource config (expected JSON with 'hosts' and "
            f"'current_host'): {error}."
        ) from error
    return make_cluster(hosts, current, str(path))


def make_cluster(hosts: object, current: object, source: str) -> Cluster:
    """Validate what the platform said: a non-empty list of distinct safe names holding current."""
    if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) for h in hosts):
        raise StepInputError(f"{source}: 'hosts' must be a non-empty list of host names.")
    bad = [name for name in hosts if not SAFE_NAME.match(name)]
    if bad:
        raise StepInputError(
            f"{source}: host name '{bad[0]}' is not usable in an output key (letters, digits, "
            "'.', '_' and '-' only)."
        )
    if len(set(hosts)) != len(hosts):
        raise StepInputError(f"{source}: host names must be distinct, got {hosts}.")
    if current not in hosts:
        raise StepInputError(f"{source}: current host '{current}' is not one of {hosts}.")
    return Cluster(tuple(hosts), str(current))
