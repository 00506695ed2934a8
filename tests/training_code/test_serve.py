"""The inference server honours SageMaker's hosting contract and answers bad payloads with a 4xx."""

from __future__ import annotations

import http.client
import json
import threading

import pandas as pd
import pytest
import serve

from dataset import load_schema


@pytest.fixture
def server(trained_model):
    instance = serve.build_server(trained_model, "127.0.0.1", 0)
    thread = threading.Thread(target=instance.serve_forever, daemon=True)
    thread.start()
    yield instance.server_address[1]
    instance.shutdown()
    instance.server_close()


def request(port, method, path, body=b"", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, response.getheader("Content-Type"), payload


@pytest.fixture
def test_rows(splits):
    frame = pd.read_csv(next((splits / "test").glob("part-*.csv")))
    return frame[list(load_schema().features)].head(25), frame["malignant"].head(25)


def test_ping_is_healthy(server):
    assert request(server, "GET", "/ping")[0] == 200


def test_csv_batch_returns_one_prediction_per_row(server, test_rows):
    features, labels = test_rows
    body = features.to_csv(index=False, header=False).encode()
    status, content_type, payload = request(
        server, "POST", "/invocations", body, {"Content-Type": "text/csv"}
    )
    assert status == 200 and content_type == "application/json"
    predictions = json.loads(payload)["predictions"]
    assert len(predictions) == 25
    assert all(p["label"] in (0, 1) and 0 <= p["probability"] <= 1 for p in predictions)
    correct = sum(p["label"] == y for p, y in zip(predictions, labels, strict=True))
    assert correct >= 22


def test_json_rows_as_lists_or_named_features(server, test_rows):
    features, _ = test_rows
    as_lists = {"instances": features.head(3).values.tolist()}
    as_dicts = {"instances": features.head(3).to_dict(orient="records")}
    results = []
    for payload in (as_lists, as_dicts):
        status, _, body = request(
            server,
            "POST",
            "/invocations",
            json.dumps(payload).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 200
        results.append(json.loads(body)["predictions"])
    assert results[0] == results[1] and len(results[0]) == 3


def test_csv_response_when_accept_asks_for_it(server, test_rows):
    features, _ = test_rows
    body = features.head(2).to_csv(index=False, header=False).encode()
    status, content_type, payload = request(
        server, "POST", "/invocations", body, {"Content-Type": "text/csv", "Accept": "text/csv"}
    )
    assert status == 200 and content_type == "text/csv"
    assert len(payload.decode().strip().splitlines()) == 2


@pytest.mark.parametrize(
    ("body", "content_type", "status", "fragment"),
    [
        (b"1,2,3\n", "text/csv", 400, "row 1 has 3 values; the model expects 30"),
        (b"a,b\n", "text/csv", 400, "CSV line 1: every value must be a number"),
        (b"{not json", "application/json", 400, "malformed JSON"),
        (b'{"instances": "x"}', "application/json", 400, 'must be {\\"instances\\"'),
        (b'{"instances": [{"mean_radius": 1}]}', "application/json", 400, "missing feature"),
        (b"", "text/csv", 400, "empty request body"),
        (b"1", "application/x-npy", 415, "unsupported Content-Type"),
        (b"\xff\xfe", "text/csv", 400, "not UTF-8"),
    ],
)
def test_malformed_payloads_get_a_clear_4xx(server, body, content_type, status, fragment):
    got, _, payload = request(server, "POST", "/invocations", body, {"Content-Type": content_type})
    assert got == status
    assert fragment in payload.decode()


def test_unknown_path_is_404(server):
    assert request(server, "GET", "/nope")[0] == 404
    assert request(server, "POST", "/predict", b"1", {"Content-Type": "text/csv"})[0] == 404


def test_the_serve_argument_sagemaker_passes_is_accepted():
    args = serve.parse_args(["serve", "--port", "9999"])
    assert args.port == 9999
