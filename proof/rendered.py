"""What Terraform rendered, read from `terraform show -json` of bootstrap and each environment:
roles with their identity policies and boundaries, resource policies (bucket, key), bucket
encryption, key aliases and every resource's tags. Nothing here is written by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


def resources(state: dict) -> Iterator[dict]:
    """Every resource of a `terraform show -json` document, child modules included."""

    def walk(module: dict) -> Iterator[dict]:
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from walk(child)

    yield from walk(state.get("values", {}).get("root_module", {}))


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None


@dataclass
class Role:
    name: str
    arn: str
    trust: dict
    boundary_arn: str | None
    inline: dict[str, dict] = field(default_factory=dict)
    attached: list[str] = field(default_factory=list)


@dataclass
class Bucket:
    name: str
    policy: dict | None = None
    sse_algorithm: str | None = None
    kms_key: str | None = None  # key id, ARN or alias, as configured
    bucket_key: bool = False


@dataclass
class Account:
    """The rendered account: every state applied to it, merged."""

    account_id: str
    region: str
    roles: dict[str, Role] = field(default_factory=dict)
    managed_policies: dict[str, dict] = field(default_factory=dict)  # arn -> document
    managed_names: dict[str, str] = field(default_factory=dict)  # arn -> name
    buckets: dict[str, Bucket] = field(default_factory=dict)
    keys: dict[str, dict] = field(default_factory=dict)  # key arn -> {"policy", "tags", "id"}
    aliases: dict[str, str] = field(default_factory=dict)  # alias name -> key arn
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # arn -> tags

    @classmethod
    def from_states(cls, account_id: str, region: str, states: list[dict]) -> Account:
        account = cls(account_id, region)
        for state in states:
            account._add(state)
        return account

    def _add(self, state: dict) -> None:
        pending_inline, pending_attach = [], []
        for resource in resources(state):
            kind, values = resource["type"], resource.get("values") or {}
            if values.get("arn") and values.get("tags_all"):
                self.tags[values["arn"]] = dict(values["tags_all"])
            if kind == "aws_iam_role":
                self.roles[values["name"]] = Role(
                    values["name"],
                    values["arn"],
                    _json(values["assume_role_policy"]),
                    values.get("permissions_boundary") or None,
                )
            elif kind == "aws_iam_role_policy":
                pending_inline.append(values)
            elif kind == "aws_iam_policy":
                self.managed_policies[values["arn"]] = _json(values["policy"])
                self.managed_names[values["arn"]] = values["name"]
            elif kind == "aws_iam_role_policy_attachment":
                pending_attach.append(values)
            elif kind == "aws_s3_bucket":
                self.buckets.setdefault(values["bucket"], Bucket(values["bucket"]))
            elif kind == "aws_s3_bucket_policy":
                self.buckets.setdefault(values["bucket"], Bucket(values["bucket"])).policy = _json(
                    values["policy"]
                )
            elif kind == "aws_s3_bucket_server_side_encryption_configuration":
                bucket = self.buckets.setdefault(values["bucket"], Bucket(values["bucket"]))
                rule = values["rule"][0]
                default = rule["apply_server_side_encryption_by_default"][0]
                bucket.sse_algorithm = default["sse_algorithm"]
                bucket.kms_key = default.get("kms_master_key_id") or None
                bucket.bucket_key = bool(rule.get("bucket_key_enabled"))
            elif kind == "aws_kms_key":
                self.keys[values["arn"]] = {
                    "policy": _json(values["policy"]),
                    "tags": dict(values.get("tags_all") or {}),
                    "id": values["key_id"],
                }
            elif kind == "aws_kms_alias":
                self.aliases[values["name"]] = values["target_key_arn"]
        for values in pending_inline:
            self.roles[values["role"]].inline[values["name"]] = _json(values["policy"])
        for values in pending_attach:
            self.roles[values["role"]].attached.append(values["policy_arn"])

    # -- lookups ---------------------------------------------------------------------------------
    def key_arn(self, key: str) -> str | None:
        """A key named by ARN, id, alias name or alias ARN -> the key's ARN (None if not ours)."""
        if key in self.keys:
            return key
        if ":alias/" in key:
            key = "alias/" + key.split(":alias/", 1)[1]
        if key.startswith("alias/"):
            return self.aliases.get(key)
        for arn, entry in self.keys.items():
            if entry["id"] == key:
                return arn
        return None

    def key_aliases(self, key_arn: str) -> list[str]:
        return sorted(name for name, target in self.aliases.items() if target == key_arn)

    def bucket_key_arn(self, bucket: str) -> str | None:
        entry = self.buckets.get(bucket)
        if entry is None or entry.sse_algorithm != "aws:kms" or not entry.kms_key:
            return None
        return self.key_arn(entry.kms_key)

    def role_policies(
        self, role_name: str
    ) -> tuple[list[tuple[str, dict]], list[tuple[str, dict]]]:
        """(identity policies, permissions boundary) of a role, each as (name, document)."""
        role = self.roles[role_name]
        identity = [(f"{role_name}/{name}", doc) for name, doc in sorted(role.inline.items())]
        identity += [
            (self.managed_names[arn], self.managed_policies[arn]) for arn in sorted(role.attached)
        ]
        boundary = []
        if role.boundary_arn:
            boundary = [
                (self.managed_names[role.boundary_arn], self.managed_policies[role.boundary_arn])
            ]
        return identity, boundary
