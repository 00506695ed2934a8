"""Reliability: a killed run restarted, concurrent runs and writers, atomic registry writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from runner_fixtures import CHAMPION_URI, FIXTURES, make_definition, registry, write_definition

from local_runner import fsutil, objectstore, paths
from local_runner.registry import RegistryError, sha256_of

DRIVE = FIXTURES / "drive.py"
REPO = Path(__file__).resolve().parents[2]


def drive(definition: Path, *overrides: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(DRIVE), str(definition), *overrides],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # runner_fixtures sits beside this file: drive.py imports it through PYTHONPATH.
        env={**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{FIXTURES.parent}", **(env or {})},
        start_new_session=True,
    )


def wait_for(predicate, what: str, limit: float = 120.0) -> None:
    """Poll until predicate() holds (a bound against hanging, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def all_json_files_parse(root: Path) -> int:
    count = 0
    for path in root.rglob("*.json"):
        json.loads(path.read_text())
        count += 1
    return count


def partial_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if fsutil.is_partial(p)]


def test_a_run_killed_mid_step_and_started_again_completes(staged, tmp_path):
    block = tmp_path / "block"
    block.write_text("hold the training step")
    blocking = make_definition()  # jobs see only their request's Environment (the sandbox)
    blocking["Steps"][1]["Arguments"]["Environment"] = {"FIXTURE_BLOCK": str(block)}
    definition = write_definition(tmp_path, blocking)
    process = drive(definition)
    logs = lambda: list(paths.runs_dir().glob("*/Fit/stdout.log"))  # noqa: E731
    wait_for(lambda: logs() and "waiting" in logs()[0].read_text(), "the Fit step to start")
    os.killpg(process.pid, signal.SIGKILL)  # the runner and its job, like a closed laptop lid
    process.wait()
    block.unlink()
    killed = json.loads((logs()[0].parent.parent / "execution.json").read_text())
    assert killed["Status"] == "Executing"
    assert killed["Steps"]["Prep"]["Status"] == "Succeeded"
    assert registry().versions("test-group") == []
    rerun = drive(definition)
    output = rerun.communicate(timeout=300)[0]
    assert rerun.returncode == 0, output
    assert "Prep" in output and "cached" in output
    versions = registry().versions("test-group")
    assert [v["ModelPackageVersion"] for v in versions] == [1]
    artifact = objectstore.path_for(versions[0]["ModelDataUrl"])
    assert sha256_of(artifact) == versions[0]["ModelDataSha256"]
    assert sha256_of(objectstore.path_for(CHAMPION_URI + "model.tar.gz")) == sha256_of(artifact)
    assert all_json_files_parse(paths.home()) > 0
    assert partial_files(paths.home()) == []


def test_two_runs_at_once_do_not_corrupt_the_registry(staged, tmp_path):
    definition = write_definition(tmp_path)
    margin = "ChampionMargin=0.99"  # both pass the gate (the schema keeps a margin below 1)
    runs = [drive(definition, f"Accuracy={a}", margin) for a in ("0.8", "0.81")]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    versions = registry().versions("test-group")
    assert sorted(v["ModelPackageVersion"] for v in versions) == [1, 2]
    assert len({v["ModelDataSha256"] for v in versions}) == 2
    champion = registry().champion("test-group")
    assert champion["version"] in (1, 2) and sorted(champion["history"]) == [1, 2]
    assert all_json_files_parse(paths.registry_dir()) == 3
    assert partial_files(paths.home()) == []


def _register_many(arguments: tuple[str, int, int]) -> list[int]:
    home, worker, count = arguments
    os.environ["LOCAL_RUNNER_HOME"] = home
    numbers = []
    for index in range(count):
        uri = f"s3://test-bucket/models/w{worker}-{index}/model.tar.gz"
        objectstore.put_bytes(uri, f"model {worker} {index}".encode())
        record = registry().register("busy-group", model_data_url=uri, status="Approved")
        numbers.append(record["ModelPackageVersion"])
    return numbers


def test_concurrent_writers_get_distinct_versions_and_whole_files(staged):
    with ProcessPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_register_many, [(str(staged), w, 6) for w in range(4)]))
    numbers = sorted(n for result in results for n in result)
    assert numbers == list(range(1, 25))
    versions = registry().versions("busy-group")
    assert [v["ModelPackageVersion"] for v in versions] == numbers
    champion = registry().champion("busy-group")
    assert len(champion["history"]) == 24
    published = sha256_of(objectstore.path_for(CHAMPION_URI + "model.tar.gz"))
    assert published == registry().get("busy-group", champion["version"])["ModelDataSha256"]


def test_an_interrupted_registry_write_leaves_no_entry(staged, monkeypatch):
    uri = "s3://test-bucket/models/one/model.tar.gz"
    objectstore.put_bytes(uri, b"model")
    real_replace = os.replace

    def crash(source, target):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(fsutil.os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        registry().register("g", model_data_url=uri, status="PendingManualApproval")
    monkeypatch.setattr(fsutil.os, "replace", real_replace)
    assert registry().versions("g") == []
    assert partial_files(paths.home()) == []
    assert registry().register("g", model_data_url=uri)["ModelPackageVersion"] == 1


def test_stale_partials_of_dead_processes_are_removed(staged):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    leftover = paths.s3_root() / f".x.json{fsutil.PARTIAL_MARK}{dead.stdout.strip()}-abcd"
    leftover.write_text("half")
    mine = paths.s3_root() / f".y.json{fsutil.PARTIAL_MARK}{os.getpid()}-abcd"
    mine.write_text("in progress")
    assert objectstore.list_objects("s3://x/") == []
    assert fsutil.remove_stale_partials(paths.home()) == 1
    assert not leftover.exists() and mine.exists()


def test_approve_reject_rollback_publish_the_champion(staged):
    reg = registry()
    uris = []
    for index in range(3):
        uri = f"s3://test-bucket/models/m{index}/model.tar.gz"
        objectstore.put_bytes(uri, f"model {index}".encode())
        uris.append(uri)
        reg.register("g", model_data_url=uri)
    champion_file = objectstore.path_for(CHAMPION_URI + "model.tar.gz")
    assert reg.champion("g")["version"] is None
    assert objectstore.exists(CHAMPION_URI + "NO_CHAMPION")
    reg.approve("g", 1)
    reg.approve("g", 2)
    assert reg.champion("g") == {"version": 2, "history": [1, 2]}
    assert champion_file.read_bytes() == b"model 1"
    assert not objectstore.exists(CHAMPION_URI + "NO_CHAMPION")
    record, champion = reg.rollback("g")
    assert (record["ModelApprovalStatus"], champion) == ("Rejected", 1)
    assert champion_file.read_bytes() == b"model 0"
    reg.reject("g", 3)  # not the champion: nothing else changes
    assert reg.champion("g")["version"] == 1
    reg.reject("g", 1)
    assert reg.champion("g")["version"] is None
    assert objectstore.exists(CHAMPION_URI + "NO_CHAMPION") and not champion_file.exists()
    history = [h["status"] for h in reg.get("g", 2)["ApprovalHistory"]]
    assert history == ["PendingManualApproval", "Approved", "Rejected"]
    with pytest.raises(RegistryError, match="no version 9"):
        reg.approve("g", 9)
    with pytest.raises(RegistryError, match="no champion"):
        reg.rollback("g")


def test_a_tampered_artifact_is_not_published(staged):
    uri = "s3://test-bucket/models/t/model.tar.gz"
    objectstore.put_bytes(uri, b"original")
    registry().register("g", model_data_url=uri)
    objectstore.put_bytes(uri, b"changed")
    with pytest.raises(RegistryError, match="no longer matches the SHA-256"):
        registry().approve("g", 1)
    assert registry().champion("g")["version"] is None


def test_registering_the_same_artifact_twice_keeps_one_version(staged):
    uri = "s3://test-bucket/models/same/model.tar.gz"
    objectstore.put_bytes(uri, b"model")
    first = registry().register("g", model_data_url=uri)
    again = registry().register("g", model_data_url=uri, status="Approved")
    assert again["ModelPackageVersion"] == first["ModelPackageVersion"] == 1
    assert again["Duplicate"] and again["ModelApprovalStatus"] == "Approved"
