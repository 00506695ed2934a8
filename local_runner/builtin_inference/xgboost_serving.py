"""Inference handlers of SageMaker's built-in XGBoost algorithm, for the local model server
(local_runner.handler_server): what AWS's sagemaker-xgboost container answers for a model it
trained, so a Transform step or the endpoint serves such an artifact without Docker.

- model: `xgboost-model` in the artifact (Booster.save_model, as the built-in algorithm and
  local_runner/algorithms write it);
- requests: text/csv (features only, no label, no header) or text/libsvm;
- answers: text/csv one prediction per line (a multi-class probability row comma-separated),
  or application/json {"predictions": [{"score": ...}, ...]} as the container's JSON encoder.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

MODEL_FILE = "xgboost-model"


def model_fn(model_dir: str) -> Any:
    import xgboost

    booster = xgboost.Booster()
    booster.load_model(os.path.join(model_dir, MODEL_FILE))
    return booster


def input_fn(body: bytes | str, content_type: str) -> Any:
    import numpy as np
    import xgboost

    text = body.decode("utf-8") if isinstance(body, bytes) else body
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/csv", "csv"):
        rows = np.genfromtxt(io.StringIO(text), delimiter=",", ndmin=2, dtype=float)
        return xgboost.DMatrix(rows)
    if kind in ("text/libsvm", "libsvm", "text/x-libsvm"):
        return _libsvm(text)
    raise ValueError(
        f"content type {content_type} is not supported by the built-in XGBoost algorithm "
        "(text/csv, text/libsvm)"
    )


def _libsvm(text: str) -> Any:
    import numpy as np
    import xgboost

    lines = [line.split() for line in text.splitlines() if line.strip()]
    pairs = [[item.split(":") for item in line if ":" in item] for line in lines]
    width = max((int(i) for row in pairs for i, _ in row), default=-1) + 1
    matrix = np.full((len(lines), width), np.nan)
    for index, row in enumerate(pairs):
        for column, value in row:
            matrix[index, int(column)] = float(value)
    return xgboost.DMatrix(matrix)


def predict_fn(data: Any, model: Any) -> Any:
    return model.predict(data)


def output_fn(prediction: Any, accept: str) -> tuple[str, str]:
    kind = (accept or "text/csv").split(";")[0].strip().lower()
    rows = prediction.tolist()
    if kind == "application/json":
        return json.dumps({"predictions": [{"score": row} for row in rows]}), "application/json"
    lines = [",".join(map(str, row)) if isinstance(row, list) else str(row) for row in rows]
    return "\n".join(lines) + "\n", "text/csv"
