"""Which host a step runs on, read where SageMaker puts it: SM_HOSTS/SM_CURRENT_HOST first, then
resourceconfig.json (training, then processing), else one host; bad values are one clear error."""

from __future__ import annotations

import json

import pytest

import collective
from contract import StepInputError
from hosts import Cluster, discover


@pytest.fixture
def clean(opt_ml, monkeypatch):
    monkeypatch.delenv("SM_HOSTS", raising=False)
    monkeypatch.delenv("SM_CURRENT_HOST", raising=False)
    return opt_ml


def write_config(root, *parts, hosts=("algo-1", "algo-2"), current="algo-2"):
    path = root.joinpath(*parts, "resourceconfig.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"current_host": current, "hosts": list(hosts)}))


def test_no_configuration_is_the_single_host_path(clean):
    cluster = discover()
    assert cluster == Cluster(("algo-1",), "algo-1")
    assert not cluster.is_distributed and cluster.is_first


def test_training_resource_config(clean):
    write_config(clean, "input", "config")
    cluster = discover()
    assert cluster.hosts == ("algo-1", "algo-2") and cluster.rank == 1 and not cluster.is_first


def test_processing_resource_config(clean):
    write_config(clean, "config", hosts=("algo-1", "algo-2", "algo-3"), current="algo-3")
    assert discover().rank == 2


def test_sm_variables_win_over_the_file(clean, monkeypatch):
    write_config(clean, "input", "config")
    monkeypatch.setenv("SM_HOSTS", '["algo-1", "algo-2", "algo-3", "algo-4"]')
    monkeypatch.setenv("SM_CURRENT_HOST", "algo-4")
    assert discover().size == 4 and discover().rank == 3


@pytest.mark.parametrize(
    ("hosts", "current", "message"),
    [
        ("algo-1", "algo-1", "not a JSON list"),
        ("[]", "algo-1", "non-empty list"),
        ('["algo-1", "algo-1"]', "algo-1", "must be distinct"),
        ('["algo-1", "a/b"]', "algo-1", "not usable in an output key"),
        ('["algo-1"]', "algo-9", "current host 'algo-9' is not one of"),
    ],
)
def test_bad_cluster_descriptions_are_refused(clean, monkeypatch, hosts, current, message):
    monkeypatch.setenv("SM_HOSTS", hosts)
    monkeypatch.setenv("SM_CURRENT_HOST", current)
    with pytest.raises(StepInputError, match=message):
        discover()


def test_a_broken_resource_config_names_the_file(clean):
    path = clean / "config" / "resourceconfig.json"
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    with pytest.raises(StepInputError, match=r"resourceconfig.json: not a SageMaker resource"):
        discover()


@pytest.mark.parametrize("value", ["http", "0", "70000"])
def test_a_bad_tracker_port_is_refused(monkeypatch, value):
    monkeypatch.setenv("XGBOOST_TRACKER_PORT", value)
    with pytest.raises(StepInputError, match="XGBOOST_TRACKER_PORT must be a TCP port"):
        collective.tracker_port()


def test_an_unresolvable_first_host_says_what_to_do():
    with pytest.raises(StepInputError, match="does not resolve"):
        collective.address_of("algo-1.invalid")


def test_the_tracker_port_follows_the_job_name_so_two_local_jobs_differ(monkeypatch):
    monkeypatch.delenv("XGBOOST_TRACKER_PORT", raising=False)
    monkeypatch.delenv("TRAINING_JOB_NAME", raising=False)
    assert collective.tracker_port() == collective.DEFAULT_TRACKER_PORT
    ports = set()
    for name in ("pipelines-abc-Train-1", "pipelines-def-Train-1"):
        monkeypatch.setenv("TRAINING_JOB_NAME", name)
        ports.add(collective.tracker_port())
        assert 20000 <= collective.tracker_port() < 32000
    assert len(ports) == 2
    monkeypatch.setenv("XGBOOST_TRACKER_PORT", "12345")
    assert collective.tracker_port() == 12345
