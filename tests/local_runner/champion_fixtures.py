"""A real champion in the local registry of environments/local.yaml, without a pipeline run: a
model trained by scikit-learn on 70% of the sample dataset (model.joblib + model_metadata.json,
what train.py writes and serve.py loads), its data-quality baseline written by data_quality (what
the Baseline step writes), registered and approved, so the registry publishes it with its
champion.json and baseline. The other 30% is unseen, unshifted traffic."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import joblib
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

import data_quality
from env_config import REPO_ROOT, load
from local_runner import objectstore
from local_runner.jobs import pack_model
from local_runner.registry import APPROVED, Registry

SERVE_SCRIPT = REPO_ROOT / "training_code" / "serve.py"


@dataclass
class Champion:
    record: dict
    features: list[str]
    model: HistGradientBoostingClassifier
    unseen: pd.DataFrame


def make_champion(frame: pd.DataFrame, scratch: Path) -> Champion:
    config = load("local")
    features = [c for c in frame.columns if c != "malignant"]
    train = frame.sample(frac=0.7, random_state=7)
    unseen = frame.drop(train.index)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0)
    model.fit(train[features].to_numpy(), train["malignant"].to_numpy())
    folder = scratch / "model"
    folder.mkdir(parents=True)
    joblib.dump(model, folder / "model.joblib")
    (folder / "model_metadata.json").write_text(json.dumps({"features": features}))
    archive = scratch / "model.tar.gz"
    pack_model(folder, archive)
    model_uri = config.s3_uri("models", "fixture", "output", "model.tar.gz")
    objectstore.put_file(archive, model_uri)
    stats = data_quality.statistics(train[features].to_numpy(dtype="float64"))
    baseline = config.s3_uri("models", "baseline", "fixture")
    objectstore.put_bytes(f"{baseline}/statistics.json", json.dumps(stats).encode())
    rules = data_quality.constraints(stats)
    objectstore.put_bytes(f"{baseline}/constraints.json", json.dumps(rules).encode())
    registry = Registry(
        config.s3_uri("champion", "current") + "/", region=config.region, account=config.account_id
    )
    registry.ensure_champion_marker()
    quality = {
        "Statistics": {"ContentType": "application/json", "S3Uri": f"{baseline}/statistics.json"},
        "Constraints": {"ContentType": "application/json", "S3Uri": f"{baseline}/constraints.json"},
    }
    record = registry.register(
        config.model_package_group,
        model_data_url=model_uri,
        status=APPROVED,
        request={"DriftCheckBaselines": {"ModelDataQuality": quality}},
    )
    return Champion(record, features, model, unseen)
