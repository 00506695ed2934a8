"""What sits next to the champion's model.tar.gz in <prefix>/champion/current/ besides the model.

champion.json names the model package (ARN, group, version, model URL): batch scoring writes that
ARN into its output's metadata. baseline/statistics.json and baseline/constraints.json are the
champion's data-quality baseline (its DriftCheckBaselines.ModelDataQuality), at a fixed place so
the monitor (the Model Monitor schedule on AWS, `make monitor` here) always compares traffic
with the model that is serving it. deploy/ writes the same files on AWS.
"""

from __future__ import annotations

import json
from typing import Any

from local_runner import objectstore

IDENTITY = "champion.json"
BASELINE = {"statistics": "baseline/statistics.json", "constraints": "baseline/constraints.json"}


def baseline_uris(record: dict[str, Any]) -> dict[str, str]:
    """{"statistics": uri, "constraints": uri} the package registered, or {} when it has none."""
    quality = ((record.get("Request") or {}).get("DriftCheckBaselines") or {}).get(
        "ModelDataQuality"
    ) or {}
    uris = {
        "statistics": (quality.get("Statistics") or {}).get("S3Uri"),
        "constraints": (quality.get("Constraints") or {}).get("S3Uri"),
    }
    return {name: uri for name, uri in uris.items() if isinstance(uri, str) and uri}


def publish(champion_uri: str, record: dict[str, Any]) -> None:
    """Write champion.json and copy the baseline (or remove a stale one) for this champion."""
    baselines = baseline_uris(record)
    for name, relative in BASELINE.items():
        target = champion_uri + relative
        if name in baselines and objectstore.exists(baselines[name]):
            objectstore.put_bytes(target, objectstore.read_bytes(baselines[name]))
        else:
            objectstore.delete(target)
    identity = {
        "ModelPackageArn": record["ModelPackageArn"],
        "ModelPackageGroupName": record["ModelPackageGroupName"],
        "ModelPackageVersion": record["ModelPackageVersion"],
        "ModelDataUrl": record["ModelDataUrl"],
        "DriftCheckBaselines": baselines,
    }
    objectstore.put_bytes(
        champion_uri + IDENTITY, json.dumps(identity, indent=2, sort_keys=True).encode()
    )


def clear(champion_uri: str) -> None:
    """No champion: no identity and no baseline either."""
    for relative in (IDENTITY, *BASELINE.values()):
        objectstore.delete(champion_uri + relative)
