"""What goes beside the champion's model.tar.gz in <prefix>/champion/current/ on AWS.

champion.json names the model package (batch scoring writes its ARN into the output's metadata);
baseline/{statistics,constraints}.json is the package's DriftCheckBaselines.ModelDataQuality, at
the fixed place the Model Monitor schedule reads (terraform/modules/monitoring). The same files
the local registry publishes (local_runner/champion.py). Builders are pure; publish() sends.
"""

from __future__ import annotations

import json
from typing import Any

from deploy.builders import split_s3_uri

IDENTITY = ("champion", "current", "champion.json")
BASELINE = {
    "Statistics": ("champion", "current", "baseline", "statistics.json"),
    "Constraints": ("champion", "current", "baseline", "constraints.json"),
}


def baseline_sources(description: dict[str, Any]) -> dict[str, str]:
    """{"Statistics": s3 uri, "Constraints": s3 uri} the package registered ({} when none)."""
    quality = (description.get("DriftCheckBaselines") or {}).get("ModelDataQuality") or {}
    found = {name: (quality.get(name) or {}).get("S3Uri") for name in BASELINE}
    return {name: uri for name, uri in found.items() if isinstance(uri, str) and uri}


def build_identity(description: dict[str, Any]) -> dict[str, Any]:
    containers = (description.get("InferenceSpecification") or {}).get("Containers") or [{}]
    sources = baseline_sources(description)
    return {
        "ModelPackageArn": description["ModelPackageArn"],
        "ModelPackageGroupName": description.get("ModelPackageGroupName", ""),
        "ModelPackageVersion": description.get("ModelPackageVersion"),
        "ModelDataUrl": containers[0].get("ModelDataUrl", ""),
        "DriftCheckBaselines": {name.lower(): uri for name, uri in sources.items()},
    }


def publish(s3: Any, settings: Any, description: dict[str, Any]) -> None:
    """Copy the baseline (or delete a stale one), then write champion.json."""
    sources = baseline_sources(description)
    for name, parts in BASELINE.items():
        key = settings.key(*parts)
        if name in sources:
            bucket, source_key = split_s3_uri(sources[name])
            s3.copy_object(
                Bucket=settings.bucket, Key=key, CopySource={"Bucket": bucket, "Key": source_key}
            )
        else:
            s3.delete_object(Bucket=settings.bucket, Key=key)
    s3.put_object(
        Bucket=settings.bucket,
        Key=settings.key(*IDENTITY),
        Body=json.dumps(build_identity(description), indent=2, sort_keys=True).encode(),
        ContentType="application/json",
    )
