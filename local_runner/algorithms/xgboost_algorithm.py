"""SageMaker's built-in XGBoost algorithm (a TrainingImage of the xgboost repository with no entry
point), run with the `xgboost` library under the same contract as AWS's container:

- hyperparameters: /opt/ml/input/config/hyperparameters.json (every value a string); num_round
  is required, the others (objective, eta, max_depth, subsample, eval_metric, num_class, ...) go
  to xgboost.train as parameters, numbers converted; early_stopping_rounds needs validation;
- channels: train (required) and validation, every file of /opt/ml/input/data/<channel>; the
  content type from inputdataconfig.json (ContentType): text/csv = label in the first column, no
  header; text/libsvm (the default, as on AWS) = libsvm;
- output: /opt/ml/model/xgboost-model (Booster.save_model; `xgboost.Booster().load_model` reads
  it, as an inference step loading SageMaker's artifact does), evaluation lines
  `[i]#011train-<metric>:<v>#011validation-<metric>:<v>` on stdout, and a failure reason in
  /opt/ml/output/failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OPT_ML = Path("/opt/ml")
NOT_PARAMETERS = {
    "num_round",
    "early_stopping_rounds",
    "csv_weights",
    "_kfold",
    "_tuning_objective_metric",
}
CSV_TYPES = {"text/csv", "csv"}
LIBSVM_TYPES = {"text/libsvm", "libsvm", "text/x-libsvm"}


class AlgorithmError(ValueError):
    """A problem of the job's own configuration or data (written to /opt/ml/output/failure)."""


def parameter_value(text: str) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def training_parameters(
    hyperparameters: dict[str, str],
) -> tuple[dict[str, object], int, int | None]:
    if "num_round" not in hyperparameters:
        raise AlgorithmError(
            "Missing required hyperparameter: num_round (the number of boosting rounds)."
        )
    rounds = int(hyperparameters["num_round"])
    stopping = hyperparameters.get("early_stopping_rounds")
    params: dict[str, object] = {
        key: parameter_value(value)
        for key, value in hyperparameters.items()
        if key not in NOT_PARAMETERS
    }
    if "eval_metric" in params and isinstance(params["eval_metric"], str):
        params["eval_metric"] = params["eval_metric"].split(",")
    params.setdefault("objective", "reg:squarederror")
    return params, rounds, int(stopping) if stopping else None


def channel_files(channel: Path) -> list[Path]:
    return sorted(
        path
        for path in channel.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(channel).parts)
    )


def load_channel(name: str, content_type: str, weighted: bool):
    import numpy as np
    import xgboost

    channel = OPT_ML / "input" / "data" / name
    files = channel_files(channel)
    if not files:
        raise AlgorithmError(f"channel '{name}' has no files under {channel}.")
    kind = content_type.split(";")[0].strip().lower()
    if kind in CSV_TYPES:
        blocks = []
        for file in files:
            try:
                block = np.loadtxt(file, delimiter=",", ndmin=2, dtype=np.float32)
            except ValueError as error:
                raise AlgorithmError(
                    f"channel '{name}': {file.name} is not numeric CSV with the label in the "
                    f"first column and no header ({error})."
                ) from error
            if block.size:
                blocks.append(block)
        data = np.vstack(blocks)
        if weighted:
            return xgboost.DMatrix(data[:, 2:], label=data[:, 0], weight=data[:, 1])
        return xgboost.DMatrix(data[:, 1:], label=data[:, 0])
    if kind in LIBSVM_TYPES:
        if len(files) == 1:
            return xgboost.DMatrix(f"{files[0]}?format=libsvm")
        from sklearn.datasets import load_svmlight_files

        loaded = load_svmlight_files([str(f) for f in files])
        import scipy.sparse

        features = scipy.sparse.vstack(loaded[0::2])
        labels = np.concatenate(loaded[1::2])
        return xgboost.DMatrix(features, label=labels)
    raise AlgorithmError(
        f"channel '{name}': content type '{content_type}' is not supported by the local built-in "
        "XGBoost (text/csv, text/libsvm). Convert the data, or train with a script."
    )


def train() -> None:
    import xgboost

    config = OPT_ML / "input" / "config"
    hyperparameters = json.loads((config / "hyperparameters.json").read_text())
    channels = json.loads((config / "inputdataconfig.json").read_text())
    resources = json.loads((config / "resourceconfig.json").read_text())
    if len(resources.get("hosts", [])) > 1:
        raise AlgorithmError(
            "the local built-in XGBoost trains on one host; set InstanceCount to 1 (or train "
            "with a script that uses xgboost's collective on algo-1)."
        )
    if "train" not in channels:
        raise AlgorithmError(
            f"the 'train' channel is required (got: {', '.join(sorted(channels)) or 'none'})."
        )
    params, rounds, stopping = training_parameters(hyperparameters)
    weighted = hyperparameters.get("csv_weights", "0") == "1"
    evals = []
    data = {}
    for name in ("train", "validation"):
        if name in channels:
            content_type = channels[name].get("ContentType", "text/libsvm")
            data[name] = load_channel(name, content_type, weighted)
            evals.append((data[name], name))
    if stopping and "validation" not in data:
        raise AlgorithmError("early_stopping_rounds needs a 'validation' channel.")
    booster = xgboost.train(
        params,
        data["train"],
        num_boost_round=rounds,
        evals=evals,
        early_stopping_rounds=stopping,
        verbose_eval=False,
        callbacks=[evaluation_log()],
    )
    model_dir = OPT_ML / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(model_dir / "xgboost-model"))
    print(f"saved {model_dir / 'xgboost-model'} ({booster.num_boosted_rounds()} rounds)")


def _evaluation_log_class():
    import xgboost

    class Log(xgboost.callback.TrainingCallback):
        """One line per round, as the container logs them (#011 is a tab in CloudWatch)."""

        def after_iteration(self, model, epoch, evals_log):
            parts = [
                f"{channel}-{metric}:{values[-1]:.5f}"
                for channel, metrics in evals_log.items()
                for metric, values in metrics.items()
            ]
            print(f"[{epoch}]#011" + "#011".join(parts), flush=True)
            return False

    return Log


def evaluation_log():
    return _evaluation_log_class()()


def main() -> int:
    try:
        train()
    except AlgorithmError as error:
        failure = OPT_ML / "output" / "failure"
        failure.parent.mkdir(parents=True, exist_ok=True)
        failure.write_text(f"ClientError: {error}\n")
        print(f"ClientError: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
