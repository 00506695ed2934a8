"""The champion's identity and data-quality baseline, published beside its model.tar.gz where
batch scoring and the monitor read them, and kept in step by approve, reject and rollback."""

from __future__ import annotations

import json

from local_runner import objectstore
from local_runner.registry import APPROVED, Registry

CHAMPION = "s3://bucket/p/champion/current/"


def register(registry: Registry, tag: str, with_baseline: bool) -> dict:
    model = f"s3://bucket/p/models/{tag}/model.tar.gz"
    objectstore.put_bytes(model, f"model {tag}".encode())
    request = {}
    if with_baseline:
        quality = {}
        for name in ("Statistics", "Constraints"):
            uri = f"s3://bucket/p/models/baseline/{tag}/{name.lower()}.json"
            objectstore.put_bytes(uri, json.dumps({"of": tag}).encode())
            quality[name] = {"ContentType": "application/json", "S3Uri": uri}
        request = {"DriftCheckBaselines": {"ModelDataQuality": quality}}
    return registry.register("g", model_data_url=model, status=APPROVED, request=request)


def identity() -> dict:
    return json.loads(objectstore.read_bytes(CHAMPION + "champion.json"))


def test_approval_publishes_identity_and_baseline_and_rollback_restores_them(home):
    registry = Registry(CHAMPION)
    first = register(registry, "a", with_baseline=True)
    assert identity()["ModelPackageArn"] == first["ModelPackageArn"]
    assert json.loads(objectstore.read_bytes(CHAMPION + "baseline/statistics.json")) == {"of": "a"}

    second = register(registry, "b", with_baseline=False)  # a package from before Baseline
    assert identity()["ModelPackageArn"] == second["ModelPackageArn"]
    assert identity()["DriftCheckBaselines"] == {}
    assert not objectstore.exists(CHAMPION + "baseline/statistics.json")  # never a stale one

    registry.rollback("g")
    assert identity()["ModelPackageVersion"] == 1
    assert json.loads(objectstore.read_bytes(CHAMPION + "baseline/constraints.json")) == {"of": "a"}

    registry.rollback("g")  # no champion left: nothing beside NO_CHAMPION
    assert objectstore.exists(CHAMPION + "NO_CHAMPION")
    assert not objectstore.exists(CHAMPION + "champion.json")
    assert not objectstore.exists(CHAMPION + "baseline/constraints.json")
