"""The local model registry: model package groups, versions, approval, metrics and lineage.

Layout under <home>/registry/<group>/: versions/<n>.json (one file per version, written once by
an atomic rename and then only replaced whole), champion.json (the approved version being served
and the history of champions, for reject and rollback), .lock (flock). Every change takes the
group's lock, so concurrent runs get distinct version numbers and no torn file, and a process killed
while holding it releases it (the kernel drops flocks of dead processes).

The champion is also published where the pipeline's Evaluate step reads it: the champion URI
(s3://<bucket>/<prefix>/champion/current/) holds model.tar.gz of the approved champion, or only
NO_CHAMPION when there is none.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from local_runner import fsutil, objectstore, paths

APPROVED, PENDING, REJECTED = "Approved", "PendingManualApproval", "Rejected"
STATUSES = (APPROVED, PENDING, REJECTED)
NO_CHAMPION = "NO_CHAMPION"
REPAIR_COMMAND = "make repair ENV=local"


class RegistryError(ValueError):
    """An unknown group or version, or a request the registry refuses."""


def read_record(path: Path, required: tuple[str, ...]) -> dict[str, Any]:
    """A registry file, or a RegistryError that names it and the repair command: a file edited
    by hand or damaged by a disk must not surface as a JSONDecodeError naming no file."""
    try:
        record = fsutil.read_json(path)
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError is a ValueError
        reason = (
            f"not valid JSON: {error.msg} at line {error.lineno}"
            if isinstance(error, json.JSONDecodeError)
            else "not UTF-8 text"
        )
        raise RegistryError(
            f"{path}: corrupt registry file ({reason}). {_repair_hint(path)}"
        ) from None
    missing = [key for key in required if not isinstance(record, dict) or key not in record]
    if missing:
        raise RegistryError(
            f"{path}: corrupt registry file (no {', '.join(missing)}). {_repair_hint(path)}"
        )
    return record


def _repair_hint(path: Path) -> str:
    return (
        f"Repair: `{REPAIR_COMMAND}` (moves unreadable files to <group>/corrupt/ and rebuilds "
        "champion.json from the versions' approval history), or restore the file from a backup."
    )


VERSION_KEYS = ("ModelPackageVersion", "ModelApprovalStatus", "ModelDataUrl", "ModelDataSha256")
CHAMPION_KEYS = ("version", "history")


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def sha256_of(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


class Registry:
    def __init__(
        self,
        champion_uri: str | None = None,
        root: Path | None = None,
        region: str = "us-east-1",
        account: str = "000000000000",
    ):
        self.root = root or paths.registry_dir()
        self.champion_uri = champion_uri.rstrip("/") + "/" if champion_uri else None
        self.region = region
        self.account = account

    # ---- reading -------------------------------------------------------------------------
    def group_dir(self, group: str) -> Path:
        if not group or "/" in group or group.startswith("."):
            raise RegistryError(f"'{group}' is not a valid model package group name.")
        return self.root / group

    def groups(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "versions").is_dir())

    def versions(self, group: str) -> list[dict[str, Any]]:
        directory = self.group_dir(group) / "versions"
        if not directory.is_dir():
            return []
        records = [
            read_record(p, VERSION_KEYS)
            for p in directory.glob("*.json")
            if not fsutil.is_partial(p)
        ]
        return sorted(records, key=lambda r: r["ModelPackageVersion"])

    def get(self, group: str, version: int) -> dict[str, Any]:
        path = self.group_dir(group) / "versions" / f"{int(version)}.json"
        if not path.is_file():
            known = [r["ModelPackageVersion"] for r in self.versions(group)]
            raise RegistryError(
                f"model package group '{group}' has no version {version} (versions: "
                f"{known or 'none yet; run `make run ENV=local`'})."
            )
        return read_record(path, VERSION_KEYS)

    def champion(self, group: str) -> dict[str, Any]:
        path = self.group_dir(group) / "champion.json"
        if not path.is_file():
            return {"version": None, "history": []}
        return read_record(path, CHAMPION_KEYS)

    # ---- writing (always under the group's lock) -----------------------------------------
    def _lock(self, group: str):
        return fsutil.locked(self.group_dir(group) / ".lock")

    def _write(self, group: str, record: dict[str, Any]) -> None:
        version = record["ModelPackageVersion"]
        path = self.group_dir(group) / "versions" / f"{version}.json"
        fsutil.write_json(path, record, durable=True)

    def register(
        self,
        group: str,
        *,
        model_data_url: str,
        status: str = PENDING,
        image: str = "",
        metrics: dict[str, Any] | None = None,
        metrics_uri: str | None = None,
        lineage: dict[str, Any] | None = None,
        customer_metadata: dict[str, str] | None = None,
        description: str = "",
        request: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Add a version (the next number in the group); approve it at once if status says so."""
        if status not in STATUSES:
            raise RegistryError(f"ModelApprovalStatus '{status}' is not one of {STATUSES}.")
        artifact = objectstore.path_for(model_data_url)
        if not artifact.is_file():
            raise RegistryError(f"ModelDataUrl {model_data_url}: no such object ({artifact}).")
        digest = sha256_of(artifact)
        with self._lock(group):
            existing = self.versions(group)
            same = [r for r in existing if r["ModelDataSha256"] == digest]
            if same:
                # The same artifact again (a rerun whose Train step was cached): no duplicate
                # version. A Rejected one stays rejected; a pending one is approved if asked.
                record = same[-1]
                if status == APPROVED and record["ModelApprovalStatus"] == PENDING:
                    record = self._set_status(group, record, APPROVED, "set at registration")
                return {**record, "Duplicate": True}
            version = max((r["ModelPackageVersion"] for r in existing), default=0) + 1
            stamp = now()
            record = {
                "ModelPackageGroupName": group,
                "ModelPackageVersion": version,
                "ModelPackageArn": (
                    f"arn:aws:sagemaker:{self.region}:{self.account}:model-package/"
                    f"{group.lower()}/{version}"
                ),
                "ModelApprovalStatus": PENDING,
                "CreationTime": stamp,
                "LastModifiedTime": stamp,
                "ModelPackageDescription": description,
                "Image": image,
                "ModelDataUrl": model_data_url,
                "ModelDataSha256": digest,
                "MetricsUri": metrics_uri,
                "Metrics": metrics or {},
                "CustomerMetadataProperties": customer_metadata or {},
                "Lineage": lineage or {},
                "Request": request or {},
                "ApprovalHistory": [{"status": PENDING, "time": stamp, "reason": "registered"}],
            }
            if status != PENDING:
                record = self._set_status(group, record, status, "set at registration")
            else:
                self._write(group, record)
        return record

    def _set_status(
        self, group: str, record: dict[str, Any], status: str, reason: str
    ) -> dict[str, Any]:
        stamp = now()
        record = {
            **record,
            "ModelApprovalStatus": status,
            "LastModifiedTime": stamp,
            "ApprovalHistory": [
                *record.get("ApprovalHistory", []),
                {"status": status, "time": stamp, "reason": reason},
            ],
        }
        champion = self.champion(group)
        version = record["ModelPackageVersion"]
        if status == APPROVED:
            # Publish the model first, then record it: a kill in between leaves the old record,
            # which the next approval simply rewrites.
            self._publish(record)
            self._write(group, record)
            history = [v for v in champion["history"] if v != version] + [version]
            fsutil.write_json(
                self.group_dir(group) / "champion.json",
                {"version": version, "history": history},
                durable=True,
            )
        else:
            self._write(group, record)
            if champion["version"] == version or version in champion["history"]:
                history = [v for v in champion["history"] if v != version]
                previous = history[-1] if history else None
                if champion["version"] == version:
                    self._publish(self.get(group, previous) if previous else None)
                    champion_version = previous
                else:
                    champion_version = champion["version"]
                fsutil.write_json(
                    self.group_dir(group) / "champion.json",
                    {"version": champion_version, "history": history},
                    durable=True,
                )
        return record

    def _publish(self, record: dict[str, Any] | None) -> None:
        """Put the champion where Evaluate reads it: model.tar.gz, or NO_CHAMPION."""
        if not self.champion_uri:
            return
        model_uri = self.champion_uri + "model.tar.gz"
        marker_uri = self.champion_uri + NO_CHAMPION
        if record is None:
            objectstore.put_bytes(marker_uri, b"")
            objectstore.delete(model_uri)
            return
        source = objectstore.path_for(record["ModelDataUrl"])
        if sha256_of(source) != record["ModelDataSha256"]:
            raise RegistryError(
                f"version {record['ModelPackageVersion']}: {record['ModelDataUrl']} no longer "
                "matches the SHA-256 recorded at registration; refusing to publish it."
            )
        objectstore.put_file(source, model_uri)
        objectstore.delete(marker_uri)

    def ensure_champion_marker(self) -> None:
        """The state Terraform creates on AWS: NO_CHAMPION when the champion prefix is empty."""
        if self.champion_uri and not objectstore.list_objects(self.champion_uri):
            objectstore.put_bytes(self.champion_uri + NO_CHAMPION, b"")

    def approve(self, group: str, version: int, reason: str = "approved") -> dict[str, Any]:
        with self._lock(group):
            record = self.get(group, version)
            return self._set_status(group, record, APPROVED, reason)

    def reject(self, group: str, version: int, reason: str = "rejected") -> dict[str, Any]:
        with self._lock(group):
            record = self.get(group, version)
            return self._set_status(group, record, REJECTED, reason)

    def rollback(self, group: str) -> tuple[dict[str, Any], int | None]:
        """Reject the current champion; the previous champion (if any) takes its place."""
        with self._lock(group):
            champion = self.champion(group)
            if champion["version"] is None:
                raise RegistryError(f"group '{group}' has no champion to roll back.")
            record = self._set_status(
                group, self.get(group, champion["version"]), REJECTED, "rolled back"
            )
            return record, self.champion(group)["version"]


def repair(registry: Registry, out=print) -> int:
    """Move every unreadable file of every group to <group>/corrupt/ and rebuild champion.json
    from the approval history of the versions left. Returns how many files were moved."""
    moved = 0
    for group in registry.groups():
        folder = registry.group_dir(group)
        with registry._lock(group):
            candidates = [*sorted((folder / "versions").glob("*.json")), folder / "champion.json"]
            for path in candidates:
                if not path.is_file() or fsutil.is_partial(path):
                    continue
                keys = CHAMPION_KEYS if path.name == "champion.json" else VERSION_KEYS
                try:
                    read_record(path, keys)
                except RegistryError:
                    target = (
                        folder / "corrupt" / f"{path.parent.name}-{path.name}.{int(time.time())}"
                    )
                    target.parent.mkdir(exist_ok=True)
                    path.replace(target)
                    out(f"Moved {path} to {target}.")
                    moved += 1
            if moved or not (folder / "champion.json").is_file():
                _rebuild_champion(registry, group, out)
    out(
        f"Registry repaired: {moved} unreadable file(s) set aside."
        if moved
        else "Registry is sound."
    )
    return moved


def _rebuild_champion(registry: Registry, group: str, out=print) -> None:
    """The champion is the last version approved (and still Approved); history in that order."""
    approvals = []
    for record in registry.versions(group):
        times = [
            h["time"] for h in record.get("ApprovalHistory", []) if h.get("status") == APPROVED
        ]
        if record["ModelApprovalStatus"] == APPROVED and times:
            approvals.append((times[-1], record["ModelPackageVersion"]))
    history = [version for _, version in sorted(approvals)]
    champion = {"version": history[-1] if history else None, "history": history}
    fsutil.write_json(registry.group_dir(group) / "champion.json", champion, durable=True)
    registry._publish(registry.get(group, history[-1]) if history else None)
    out(f"Rebuilt champion.json of {group}: champion {champion['version'] or 'none'}.")
