"""Batch transform rules, one by one (SageMaker's documented behaviour for CSV and JSON records:
InputFilter, JoinSource, OutputFilter, SplitType, BatchStrategy, AssembleWith), and the model
server a Transform step starts for the model's own inference code."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import sdk_pipelines as sdk

from local_runner import endpoint, objectstore, serving, transform
from local_runner.expressions import UnsupportedError


@pytest.mark.parametrize(
    ("record", "expression", "expected"),
    [
        ("1,0.2,a", "$", "1,0.2,a"),
        ("1,0.2,a", "$[1:]", "0.2,a"),
        ("1,0.2,a", "$[0,2]", "1,a"),
        ("1,0.2,a", "$[-1]", "a"),
        ("1,0.2,a", "$[:2]", "1,0.2"),
    ],
)
def test_csv_filters_select_columns(record, expression, expected):
    assert transform.apply_filter(record, expression, "csv") == expected


def test_json_filters_select_fields_and_items():
    document = '{"id": 7, "features": [1, 2], "meta": {"source": "x"}}'
    assert json.loads(transform.apply_filter(document, "$.features", "json")) == [1, 2]
    assert json.loads(transform.apply_filter(document, "$.meta.source", "json")) == "x"
    assert json.loads(transform.apply_filter(document, "$['id','features']", "json")) == {
        "id": 7,
        "features": [1, 2],
    }
    assert json.loads(transform.apply_filter("[5, 6, 7]", "$[1:]", "json")) == [6, 7]


def test_join_source_input_appends_the_answer():
    assert transform.join("1,0.2", "0", "csv") == "1,0.2,0"
    assert json.loads(transform.join('{"id": 1}', "[0.9]", "json")) == {
        "id": 1,
        "SageMakerOutput": [0.9],
    }


def test_a_filter_the_runner_cannot_apply_is_refused_up_front():
    with pytest.raises(UnsupportedError, match=r"step Score: DataProcessing.InputFilter '\$\.\.x'"):
        transform.check_filter("$..x", "Score", "InputFilter")


def test_multi_record_batches_respect_the_payload_limit():
    records = ["x" * 400_000] * 6  # 0.4 MB each
    assert transform._batches(records, "MultiRecord", 1) == [[0, 1], [2, 3], [4, 5]]
    assert transform._batches(records, "SingleRecord", 6) == [[i] for i in range(6)]


def test_answers_must_be_one_per_record():
    assert transform.answers(b"1\n0\n", 2, "csv") == ["1", "0"]
    assert transform.answers(b'{"predictions": [1, 0]}', 2, "json") == ["1", "0"]
    with pytest.raises(transform.TransformFailed, match=r"3 records were sent .* 2 answers"):
        transform.answers(b"1\n0\n", 3, "csv")


@pytest.fixture
def server(home: Path):
    """The fixture model's own inference code, served as a Transform step serves it."""
    objectstore.upload_dir(sdk.CODE, sdk.CODE_URI)
    model = home / "model"
    model.mkdir()
    (model / "model.json").write_text('{"threshold": 0.5}')
    container = {
        "Image": sdk.IMAGE,
        "Environment": {
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": sdk.CODE_URI,
        },
    }
    backend = serving.start(container, model, endpoint.free_port(), home / "server.log")
    yield backend
    serving.stop(backend.process)


def _arguments(**overrides) -> dict:
    arguments = {
        "TransformInput": {"ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"Accept": "text/csv", "AssembleWith": "Line"},
        "DataProcessing": {
            "InputFilter": "$[1:]",
            "JoinSource": "Input",
            "OutputFilter": "$[0,-1]",
        },
    }
    arguments.update(overrides)
    return arguments


def test_line_records_are_filtered_joined_and_assembled(server):
    data = b"1,0.9\n0,0.1\n1,0.7\n"
    assert transform.transform_object(data, _arguments(), server.port) == b"1,1\n0,0\n1,1\n"
    single = _arguments(BatchStrategy="SingleRecord")
    assert transform.transform_object(data, single, server.port) == b"1,1\n0,0\n1,1\n"


def test_without_join_or_filters_the_answers_are_written_as_they_are(server):
    arguments = _arguments(DataProcessing={}, TransformOutput={"Accept": "text/csv"})
    data = b"0.9\n0.1\n"
    # AssembleWith None: each batch's answer as the model gave it, concatenated
    assert transform.transform_object(data, arguments, server.port) == b"1\n0\n"
    single = {**arguments, "BatchStrategy": "SingleRecord"}
    assert transform.transform_object(data, single, server.port) == b"1\n0\n"


def test_the_models_error_fails_the_transform_with_its_message(server):
    arguments = _arguments(TransformInput={"ContentType": "application/json", "SplitType": "Line"})
    with pytest.raises(
        transform.TransformFailed, match="unsupported content type application/json"
    ):
        transform.transform_object(b"[1, 0.9]\n", arguments, server.port)


def test_an_artifact_without_inference_code_is_served_by_the_templates_server(home, tmp_path):
    argv, marker = serving.server_command({"Image": "x"}, tmp_path, 8123)
    assert marker == serving.serve_script().name and "--model-dir" in argv


def test_a_missing_inference_program_is_named(home, tmp_path):
    container = {"Environment": {"SAGEMAKER_PROGRAM": "serve_me.py"}}
    with pytest.raises(serving.ServingError, match=r"inference code serve_me\.py is not in"):
        serving.server_command(container, tmp_path, 8123)


XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


@pytest.fixture
def xgboost_model(home: Path) -> Path:
    """An artifact as the built-in XGBoost algorithm leaves it: xgboost-model (save_model)."""
    import numpy as np
    import xgboost

    x = np.linspace(0, 1, 40).reshape(-1, 1)
    y = (x[:, 0] > 0.5).astype(float)
    booster = xgboost.train(
        {"objective": "binary:logistic", "max_depth": 2, "eta": 1.0},
        xgboost.DMatrix(x, label=y),
        num_boost_round=5,
    )
    model = home / "xgb-model"
    model.mkdir(parents=True)
    with warnings.catch_warnings():  # the default (UBJSON) format, as the container writes it
        warnings.simplefilter("ignore")
        booster.save_model(str(model / "xgboost-model"))
    return model


def test_a_builtin_xgboost_artifact_is_served_with_that_algorithms_handlers(xgboost_model, home):
    container = {"Image": XGBOOST_IMAGE}
    argv, marker = serving.server_command(container, xgboost_model, 1)
    assert marker == serving.HANDLER_MARKER and "xgboost_serving.py" in argv
    backend = serving.start(container, xgboost_model, endpoint.free_port(), home / "xgb.log")
    try:
        arguments = _arguments(DataProcessing={"JoinSource": "Input"})
        out = transform.transform_object(b"0.9\n0.1\n", arguments, backend.port).decode()
        rows = [line.split(",") for line in out.splitlines()]
        assert [r[0] for r in rows] == ["0.9", "0.1"]  # joined to the input record
        assert float(rows[0][1]) > 0.5 > float(rows[1][1])  # the model's probabilities
        status, payload, _ = endpoint.request(
            backend.port, "POST", "/invocations", b"0:0.8\n", "text/libsvm"
        )
        # libsvm rows too; no Accept: the toolkit's default, JSON in the container's shape
        assert status == 200 and json.loads(payload)["predictions"][0]["score"] > 0.5
    finally:
        serving.stop(backend.process)


def test_the_repository_of_an_image_uri():
    assert serving.repository(XGBOOST_IMAGE) == "sagemaker-xgboost"
    assert serving.repository("xgboost@sha256:abc") == "xgboost"
    assert serving.repository("reg.example/team/sklearn-inference:1.2-1") == "sklearn-inference"
