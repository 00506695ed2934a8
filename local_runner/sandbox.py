"""The sandbox every local job runs in: a clean environment and a private mount namespace.

Why: a job started with the runner's own environment inherited the host's AWS credentials (its
boto3 calls reached real AWS) and wrote hard-coded /opt/ml/... paths to the host's real /opt/ml.
Here a job gets
- an environment built from scratch: PATH (this Python's folder first), locale, thread limits
  (OMP_NUM_THREADS, ...), HOME in the run folder, fake credentials, AWS_ENDPOINT_URL(_S3) at
  the runner's local S3 endpoint, no AWS config or credentials file, no instance metadata;
  nothing else of the host's environment;
- the project's Python environment read-only (a job's pip cannot change the venv);
- its own mount and UTS namespaces (`unshare --user --map-root-user --mount --uts`, unprivileged):
  the host's folder <run>/<step>/opt_ml is bind-mounted on /opt/ml (when the host has no /opt/ml,
  /opt becomes a tmpfs holding the host's /opt entries, bind-mounted back, plus ml/), /etc/hosts
  names every simulated host (algo-1, algo-2, ...) and the hostname is the job's host name.
Where the OS offers no such namespace, `problem()` says why and jobs are refused up front.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

FAKE_ACCESS_KEY = "LOCALRUNNERFAKEKEY00"
FAKE_SECRET_KEY = "local-runner-fake-secret-not-valid-on-aws"  # noqa: S105 - fake on purpose
KEPT_HOST_VARIABLES = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TERM",
    # thread limits are the machine's resource settings, not configuration a job could abuse:
    # without them an OpenMP job on a busy machine spins on every core
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
AWS_REQUEST_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")

# Runs inside the new namespaces (as the namespace's root), then execs the job: its pid is the
# job's, so the runner's SIGTERM/SIGKILL reach the job itself.
_SETUP = r"""
set -e
opt_ml=$1; hosts=$2; name=$3; stage=$4; readonly_dirs=$5; shift 5
if [ -d /opt/ml ]; then
  mount --bind "$opt_ml" /opt/ml
else
  mount --rbind /opt "$stage"
  mount -t tmpfs -o mode=755 local-runner-opt /opt
  for entry in "$stage"/* "$stage"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    base=${entry##*/}
    if [ -L "$entry" ]; then cp -P "$entry" "/opt/$base"
    elif [ -d "$entry" ]; then mkdir "/opt/$base"; mount --rbind "$entry" "/opt/$base"
    else : > "/opt/$base"; mount --bind "$entry" "/opt/$base"; fi
  done
  mkdir /opt/ml
  mount --bind "$opt_ml" /opt/ml
fi
mount --bind "$hosts" /etc/hosts
IFS=:
for folder in $readonly_dirs; do
  mount --bind "$folder" "$folder"
  mount -o remount,bind,ro "$folder"
done
unset IFS
hostname "$name"
exec "$@"
"""
_UNSHARE = ("unshare", "--user", "--map-root-user", "--mount", "--uts")


class SandboxUnavailable(RuntimeError):
    """This machine cannot give a job its private /opt/ml (no unprivileged mount namespace)."""


@functools.cache
def problem() -> str | None:
    """Why jobs cannot be sandboxed on this machine, or None when they can (probed once)."""
    if not sys.platform.startswith("linux"):
        return (
            f"local jobs need a private mount namespace (Linux) so that /opt/ml lands in the run "
            f"folder; this OS ({sys.platform}) has none. Run `make run ENV=local` on Linux (a VM "
            "or CI runner)."
        )
    if shutil.which("unshare") is None:
        return (
            "local jobs need `unshare` (util-linux) for a private /opt/ml; it is not on PATH. "
            "Install util-linux (apt-get install util-linux)."
        )
    if not Path("/opt/ml").is_dir() and not Path("/opt").is_dir():
        return "local jobs mount their folder on /opt/ml, but this machine has no /opt to hold it."
    probe = subprocess.run(
        [*_UNSHARE, "sh", "-c", "mount -t tmpfs probe /mnt 2>/dev/null || true; true"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0 and _apparmor_restricts_user_namespaces():
        return (
            "local jobs run in an unprivileged user + mount namespace (a private /opt/ml), and "
            "AppArmor refuses one here (kernel.apparmor_restrict_unprivileged_userns = 1, the "
            "Ubuntu 24.04 default, GitHub's ubuntu-24.04 runners included). Fix: sudo sysctl -w "
            "kernel.apparmor_restrict_unprivileged_userns=0 (in CI: a step before the tests)."
        )
    if probe.returncode != 0:
        return (
            "local jobs run in an unprivileged user + mount namespace (a private /opt/ml), and "
            f"this machine refused one ({probe.stderr.strip() or 'exit ' + str(probe.returncode)}"
            "). Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, "
            "user.max_user_namespaces > 0; in a container: --security-opt seccomp=unconfined)."
        )
    return None


def _apparmor_restricts_user_namespaces() -> bool:
    switch = Path("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
    try:
        return switch.read_text().strip() == "1"
    except OSError:
        return False


def require() -> None:
    reason = problem()
    if reason:
        raise SandboxUnavailable(reason)


@dataclass(frozen=True)
class Mounts:
    """What one simulated host sees: its /opt/ml, its /etc/hosts, its name."""

    opt_ml: Path
    hosts_file: Path
    hostname: str
    scratch: Path  # an empty folder where the host's /opt is staged (see _SETUP)
    readonly: tuple[Path, ...] = ()  # read-only inside: the interpreter's environment


def wrap(argv: list[str], mounts: Mounts) -> list[str]:
    """The command that runs argv inside the sandbox's namespaces."""
    mounts.scratch.mkdir(parents=True, exist_ok=True)
    return [
        *_UNSHARE,
        "sh",
        "-c",
        _SETUP,
        "local-runner-sandbox",
        str(mounts.opt_ml),
        str(mounts.hosts_file),
        mounts.hostname,
        str(mounts.scratch),
        ":".join(str(p) for p in mounts.readonly if p.is_dir()),
        *argv,
    ]


def protected_prefixes(interpreter: str = sys.executable) -> tuple[Path, ...]:
    """The Python environment a job runs with, mounted read-only inside the sandbox: a job's
    `pip install` (runproc.sh installs requirements.txt) cannot change the project's venv."""
    if Path(interpreter).resolve() != Path(sys.executable).resolve():
        return ()  # another runtime's interpreter: its owner decides
    return tuple(dict.fromkeys(Path(p).resolve() for p in (sys.prefix, sys.base_prefix)))


def environment(
    requested: Mapping[str, str],
    home: Path,
    region: str,
    s3_endpoint: str,
    interpreter: str = sys.executable,
) -> dict[str, str]:
    """The job's whole environment: the request's Environment, then the sandbox's own values
    (which win). AWS_* variables of the request other than the region are dropped: a definition
    cannot hand a local job real credentials, a profile or another endpoint."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in KEPT_HOST_VARIABLES or key.startswith("LC_")
    }
    interpreter_dir = str(Path(interpreter).parent)
    env["PATH"] = os.pathsep.join([interpreter_dir, env.get("PATH") or os.defpath])
    for key, value in requested.items():
        if not key.startswith("AWS_") or key in AWS_REQUEST_VARIABLES:
            env[key] = value
    aws_dir = home / ".aws"  # never created: no config, no credentials, no profile
    env.update(
        {
            "HOME": str(home),
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
            "AWS_REGION": env.get("AWS_REGION", region),
            "AWS_DEFAULT_REGION": env.get("AWS_DEFAULT_REGION", region),
            "AWS_ENDPOINT_URL": s3_endpoint,
            "AWS_ENDPOINT_URL_S3": s3_endpoint,
            "AWS_CONFIG_FILE": str(aws_dir / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(aws_dir / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PIP_NO_INDEX": "1",  # a job's `pip install` never changes the project's venv
        }
    )
    home.mkdir(parents=True, exist_ok=True)
    return env
