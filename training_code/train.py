"""Train: one gradient-boosted tree model, on one host or across several, checkpointed for Spot.

XGBoost (hist) is the engine because it trains one model across hosts with its own collective: the
tracker runs on the first host, every host reads its ShardedByS3Key shard of the train and
validation channels, and the hosts allreduce quantile sketches and gradient histograms, so they
all grow the same trees. With one host there is no tracker and no network: the same xgboost.train
call on the whole data. Why XGBoost rather than LightGBM's distributed mode or Dask:
docs/training.md.

Boosting is checkpointed every `checkpoint_every` rounds by the first host (every host holds the
same model) into the folder that SageMaker syncs to S3 and restores on every host of a restarted
Spot job; training resumes only from a checkpoint of the same data, settings and host count, and
only when every host restored the same one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib

import data_statistics
from collective import all_equal, communicator, max_over_hosts
from contract import (
    StepInputError,
    channel_dir,
    checkpoint_dir,
    fail,
    model_dir,
    read_hyperparameters,
    write_json_atomically,
)
from data_statistics import Statistics
from dataset import Schema, load_schema
from hosts import Cluster, discover
from parts import load_shard

MODEL_FILE = "model.joblib"
BOOSTER_FILE = "model.ubj"
METADATA_FILE = "model_metadata.json"
CHECKPOINT_FILE = "checkpoint.ubj"
MAX_BIN = 256
# Below this many rows per host, threads cost more than they save (OpenMP's start-up and, on a
# busy machine, its spinning dominated: 10x slower on the sample data); above, all cores.
SINGLE_THREAD_ROWS_PER_HOST = 50_000


@dataclass(frozen=True)
class Hyperparameters:
    max_iter: int = 200
    learning_rate: float = 0.1
    max_leaf_nodes: int = 31
    l2_regularization: float = 0.0
    random_state: int = 42
    checkpoint_every: int = 50

    @classmethod
    def from_strings(cls, raw: dict[str, str]) -> Hyperparameters:
        """SageMaker passes every value as a string; unknown names are an error, not ignored."""
        fields = cls.__dataclass_fields__
        unknown = sorted(set(raw) - set(fields))
        if unknown:
            raise StepInputError(
                f"unknown hyperparameter '{unknown[0]}'. Known: {', '.join(fields)}. Fix the "
                "pipeline's HyperParameters (environments/<env>.yaml pipeline.hyperparameters)."
            )
        values = {}
        for name, text in raw.items():
            kind = fields[name].type
            try:
                values[name] = int(float(text)) if kind == "int" else float(text)
            except ValueError as error:
                raise StepInputError(
                    f"hyperparameter '{name}' must be a number, got '{text}'."
                ) from error
        params = cls(**values)
        if params.max_iter < 1 or params.checkpoint_every < 1 or params.learning_rate <= 0:
            raise StepInputError(
                "hyperparameters max_iter and checkpoint_every must be >= 1 and learning_rate > 0."
            )
        if params.max_leaf_nodes < 2 or params.l2_regularization < 0:
            raise StepInputError(
                "hyperparameters max_leaf_nodes must be >= 2 and l2_regularization >= 0."
            )
        return params

    def booster_params(self, positive_rate: float, rows_per_host: int = 0) -> dict:
        """The template's names mapped onto XGBoost's: leaf-wise growth bounded by leaves, as
        scikit-learn's HistGradientBoosting did, so the environments' values keep their meaning.
        base_score is the whole training split's positive rate (combined statistics), so every
        host count starts from the same intercept."""
        return {
            "objective": "binary:logistic",
            "eval_metric": ["error", "auc"],
            "tree_method": "hist",
            "max_bin": MAX_BIN,
            "grow_policy": "lossguide",
            "max_depth": 0,
            "max_leaves": self.max_leaf_nodes,
            "eta": self.learning_rate,
            "lambda": self.l2_regularization,
            "base_score": min(max(positive_rate, 1e-6), 1 - 1e-6),
            "seed": self.random_state,
            "nthread": 1 if rows_per_host < SINGLE_THREAD_ROWS_PER_HOST else 0,
        }

    def fingerprint(self, data_digest: str, hosts: int) -> str:
        """Identifies what a checkpoint was trained on and with: the checkpoint folder is shared
        by every run of an environment (an execution id in its S3 URI would defeat SageMaker's
        step cache), so only a checkpoint of the same data, settings and host count is resumed.
        The data is named by Preprocess's part-file digests: no host reads the others' shards."""
        digest = hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode())
        digest.update(f"{data_digest};hosts={hosts}".encode())
        return digest.hexdigest()[:16]


def resume(checkpoints: Path, fingerprint: str):
    """The checkpointed booster when it was made from the same data and settings, else None."""
    import xgboost as xgb

    path = checkpoints / CHECKPOINT_FILE
    if not path.exists():
        return None
    booster = xgb.Booster()
    try:
        booster.load_model(path)
    except xgb.core.XGBoostError:
        print("checkpoint is unreadable: starting over", flush=True)
        return None
    if booster.attr("fingerprint") != fingerprint:
        print("checkpoint was made from other data or settings: starting over", flush=True)
        return None
    return booster


def save_checkpoint(booster, fingerprint: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    booster.set_attr(fingerprint=fingerprint)
    temporary = folder / (CHECKPOINT_FILE + ".tmp.ubj")
    booster.save_model(temporary)
    os.replace(temporary, folder / CHECKPOINT_FILE)


def fit(
    dtrain,
    params: Hyperparameters,
    positive_rate: float,
    checkpoints: Path,
    fingerprint: str,
    cluster: Cluster,
    stop_after_iterations: int | None = None,
):
    """Boost to params.max_iter in checkpointed chunks (all hosts together when distributed).
    stop_after_iterations simulates an interruption (tests prove a resumed run equals an
    uninterrupted one)."""
    import xgboost as xgb

    booster = resume(checkpoints, fingerprint)
    done = booster.num_boosted_rounds() if booster is not None else 0
    if not all_equal(done):  # a host restored another checkpoint: nobody resumes
        print("hosts restored different checkpoints: starting over", flush=True)
        booster, done = None, 0
    if booster is not None:
        print(f"resuming from checkpoint at iteration {done}", flush=True)
    if not cluster.is_first:  # its restored copy goes stale: only the first host's may sync back
        (checkpoints / CHECKPOINT_FILE).unlink(missing_ok=True)
    rows_per_host = dtrain.num_row()
    if cluster.is_distributed:  # the same thread count on every host: the largest shard decides
        rows_per_host = max_over_hosts(rows_per_host)
    booster_params = params.booster_params(positive_rate, rows_per_host)
    target = params.max_iter if stop_after_iterations is None else stop_after_iterations
    while done < min(target, params.max_iter):
        rounds = min(params.checkpoint_every, params.max_iter - done)
        booster = xgb.train(
            booster_params, dtrain, num_boost_round=rounds, xgb_model=booster, verbose_eval=False
        )
        done = booster.num_boosted_rounds()
        if cluster.is_first:
            save_checkpoint(booster, fingerprint, checkpoints)
        print(f"iteration {done}/{params.max_iter} checkpointed", flush=True)
    return booster


def score(booster, dvalidation) -> dict[str, float]:
    """Validation accuracy and AUC; across hosts XGBoost reduces the metric over every shard."""
    text = booster.eval(dvalidation, name="validation")
    values = dict(item.split(":") for item in text.split("\t")[1:])
    return {
        "accuracy": 1.0 - float(values["validation-error"]),
        "auc": float(values["validation-auc"]),
    }


def save_model(
    booster,
    schema: Schema,
    params: Hyperparameters,
    statistics: Statistics,
    cluster: Cluster,
    target: Path,
) -> None:
    """model.joblib (an XGBClassifier: what serve.py and evaluate.py load), model.ubj (XGBoost's
    own format, readable by any later XGBoost) and metadata; SageMaker tars the folder."""
    import xgboost as xgb

    target.mkdir(parents=True, exist_ok=True)
    booster.set_attr(fingerprint=None)
    booster.save_model(target / BOOSTER_FILE)
    classifier = xgb.XGBClassifier()
    classifier.load_model(target / BOOSTER_FILE)
    joblib.dump(classifier, target / MODEL_FILE)
    train_split = statistics.split("train")
    metadata = {
        "features": list(schema.features),
        "label": schema.label,
        "hyperparameters": asdict(params),
        "framework": "xgboost",
        "framework_version": xgb.__version__,
        "estimator": type(classifier).__name__,
        "training_hosts": cluster.size,
        # The training data's baseline, combined over every Preprocess host's shard.
        "training_statistics": {
            "rows": train_split.rows,
            "positive_rate": train_split.positive_rate,
            "features": {
                name: {"mean": m.mean, "std": m.std, "min": m.minimum, "max": m.maximum}
                for name, m in train_split.features.items()
            },
        },
    }
    write_json_atomically(target / METADATA_FILE, metadata)


def train(
    train_dir: Path,
    validation_dir: Path,
    statistics_dir: Path,
    output_model_dir: Path,
    checkpoints: Path,
    params: Hyperparameters,
    schema: Schema,
    cluster: Cluster | None = None,
    stop_after_iterations: int | None = None,
) -> dict[str, float]:
    """Fit on this host's shard of train (with the others), report on validation, and (first host
    only) write the model. Returns the validation metrics, the same on every host."""
    import xgboost as xgb

    cluster = cluster or Cluster(("algo-1",), "algo-1")
    statistics = data_statistics.combine(statistics_dir)
    data_statistics.check_trainable(statistics, str(statistics_dir))
    train_x, train_y = load_shard(train_dir, "train", schema, statistics)
    validation_x, validation_y = load_shard(validation_dir, "validation", schema, statistics)
    print(
        f"host {cluster.current} ({cluster.rank + 1}/{cluster.size}): {len(train_y)} of "
        f"{statistics.split('train').rows} training rows",
        flush=True,
    )
    fingerprint = params.fingerprint(statistics.data_digest(("train", "validation")), cluster.size)
    with communicator(cluster):
        threads = 1 if len(train_y) < SINGLE_THREAD_ROWS_PER_HOST else None
        dtrain = xgb.QuantileDMatrix(train_x, train_y, max_bin=MAX_BIN, nthread=threads)
        del train_x
        dvalidation = xgb.QuantileDMatrix(validation_x, validation_y, ref=dtrain, nthread=threads)
        booster = fit(
            dtrain,
            params,
            statistics.split("train").positive_rate,
            checkpoints,
            fingerprint,
            cluster,
            stop_after_iterations,
        )
        metrics = score(booster, dvalidation)
    if cluster.is_first:
        save_model(booster, schema, params, statistics, cluster, output_model_dir)
    return metrics


def main() -> None:
    try:
        params = Hyperparameters.from_strings(read_hyperparameters())
        metrics = train(
            channel_dir("train"),
            channel_dir("validation"),
            channel_dir("statistics"),
            model_dir(),
            checkpoint_dir(),
            params,
            load_schema(),
            discover(),
        )
    except StepInputError as error:
        fail(str(error))
    # One line per metric, in the form the pipeline's MetricDefinitions regexes scrape.
    for name, value in metrics.items():
        print(f"validation:{name}={value:.6f};", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
