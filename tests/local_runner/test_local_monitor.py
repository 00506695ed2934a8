"""Local data capture and `make monitor ENV=local`: requests sent to the real local endpoint
(serve.py behind the proxy) are captured in SageMaker's format; a dataset shifted in some features
is a violation for exactly those features, an unshifted one passes; --retrain runs training."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from champion_fixtures import SERVE_SCRIPT, make_champion

from env_config import load
from local_runner import capture, endpoint, lifecycle, monitor, objectstore

pytestmark = pytest.mark.slow  # a real endpoint or the local runner per test

SHIFTED = ("mean_radius", "worst_texture")


@pytest.fixture
def champion(home, tmp_path, monkeypatch, sample_frame):
    monkeypatch.setenv("LOCAL_RUNNER_SERVE_SCRIPT", str(SERVE_SCRIPT))
    return make_champion(sample_frame, tmp_path / "champion")


@pytest.fixture
def serving(champion, monkeypatch):
    """The champion behind the local endpoint, capturing every request."""
    monkeypatch.setenv(capture.OVERRIDE, "100")
    port = endpoint.free_port()
    endpoint.deploy(champion.record, port, out=lambda line: None)
    yield port
    endpoint.undeploy(out=lambda line: None)


def send(port: int, frame, rows_per_request: int = 10) -> None:
    for start in range(0, len(frame), rows_per_request):
        body = frame.iloc[start : start + rows_per_request].to_csv(header=False, index=False)
        status, payload, _ = endpoint.request(
            port, "POST", "/invocations", body.encode(), "text/csv"
        )
        assert status == 200, payload


def latest_report() -> dict:
    uri = load("local").s3_uri("monitoring") + "/"
    reports = [f for key, f in objectstore.list_objects(uri) if key.endswith("drift_report.json")]
    return json.loads(max(reports).read_text())


def test_a_shifted_dataset_violates_for_exactly_the_shifted_features(serving, champion, capsys):
    traffic = champion.unseen[champion.features].copy()
    traffic["mean_radius"] *= 1.5
    traffic["worst_texture"] += 12.0
    send(serving, traffic)
    assert monitor.main([]) == monitor.EXIT_VIOLATION
    report = latest_report()
    assert report["rows"] == len(traffic)
    assert {v["feature"] for v in report["violations"]} == set(SHIFTED)
    assert {v["constraint_check_type"] for v in report["violations"]} == {"baseline_drift_check"}
    assert {f["feature"] for f in report["features"] if f["drift"]} == set(SHIFTED)
    out = capsys.readouterr().out
    assert "Verdict: violation (2 feature(s): mean_radius, worst_texture)" in out


def test_an_unshifted_dataset_passes(serving, champion, capsys):
    send(serving, champion.unseen[champion.features])
    assert monitor.main([]) == monitor.EXIT_PASS
    report = latest_report()
    assert report["violations"] == [] and report["rows"] == len(champion.unseen)
    assert "Verdict: pass" in capsys.readouterr().out


def test_capture_follows_sagemakers_format_and_is_off_unless_opted_in(serving, champion):
    send(serving, champion.unseen[champion.features].head(3), rows_per_request=3)
    files = [f for _key, f in objectstore.list_objects(capture.capture_uri(load("local")) + "/")]
    assert len(files) == 1 and "/AllTraffic/" in str(files[0])
    record = json.loads(files[0].read_text().splitlines()[0])
    assert record["captureData"]["endpointInput"]["encoding"] == "CSV"
    assert record["captureData"]["endpointInput"]["data"].count("\n") == 3
    assert json.loads(record["captureData"]["endpointOutput"]["data"])["predictions"]


def test_capture_is_opt_in_and_its_settings_come_from_the_environment_file(monkeypatch):
    monkeypatch.delenv(capture.OVERRIDE, raising=False)
    config = load("local")
    assert config.get("endpoint.data_capture.enabled") is False  # as committed: opt-in
    expected = config.get("endpoint.data_capture")
    assert capture.settings(config) == (
        float(expected["sampling_percentage"]) if expected["enabled"] else 0.0
    )
    monkeypatch.setenv(capture.OVERRIDE, "150")
    with pytest.raises(ValueError, match="from 0 to 100"):
        capture.settings(config)


def test_no_captured_traffic_is_a_clear_error(champion, capsys):
    assert monitor.main([]) == monitor.EXIT_ERROR
    assert "no captured request since" in capsys.readouterr().err


def test_retrain_on_violation_runs_the_training_pipeline(serving, champion, monkeypatch):
    traffic = champion.unseen[champion.features].copy()
    traffic["mean_radius"] *= 1.5
    send(serving, traffic)
    runs = []

    def run(local, overrides, **kwargs):
        runs.append(overrides)
        return SimpleNamespace(registered=[{"group": "g", "version": 2, "status": "Pending"}])

    monkeypatch.setattr(lifecycle, "run", run)
    assert monitor.main(["--retrain"]) == monitor.EXIT_PASS
    assert runs == [{}]  # the default InputDataUri: pipeline.input_data_uri, the latest data


def test_make_models_shows_each_versions_baseline(champion):
    text = lifecycle.describe_versions(lifecycle.Local.load())
    assert (
        "data-quality baseline s3://" in text and "/models/baseline/fixture/statistics.json" in text
    )
