"""The harness gives each host SageMaker's contract and catches what S3 would hide: a key that two
hosts upload (the second silently replaces the first)."""

from __future__ import annotations

import json

from simulated_hosts import Input, run_job

REPORTER = """
import json, os, pathlib
root = pathlib.Path(os.environ["SM_OPT_ML"])
config = json.loads((root / "config" / "resourceconfig.json").read_text())
out = root / "processing" / "out"
seen = sorted(p.name for p in (root / "processing" / "in").iterdir())
name = "shared.json" if os.environ.get("SAME_KEY") else f"{config['current_host']}.json"
(out / name).write_text(json.dumps({"config": config, "env": os.environ["SM_CURRENT_HOST"],
                                    "hosts": os.environ["SM_HOSTS"], "seen": seen}))
"""


def make_job(tmp_path, sharded, monkeypatch=None, same_key=False):
    script = tmp_path / "reporter.py"
    script.write_text(REPORTER)
    source = tmp_path / "objects"
    source.mkdir(exist_ok=True)
    for index in range(5):
        (source / f"object-{index}.csv").write_text(str(index))
    if monkeypatch is not None and same_key:
        monkeypatch.setenv("SAME_KEY", "1")
    return run_job(
        script,
        2,
        tmp_path / "work",
        [Input(source, "processing/in", sharded=sharded)],
        {"processing/out": tmp_path / "s3" / "out"},
    )


def test_each_host_gets_the_contract_and_a_disjoint_shard(tmp_path):
    job = make_job(tmp_path, sharded=True)
    assert job.ok, job.describe_failure()
    reports = [
        json.loads((tmp_path / "s3" / "out" / f"{h.host}.json").read_text()) for h in job.hosts
    ]
    hosts = [h.host for h in job.hosts]
    for host, report in zip(hosts, reports, strict=True):
        assert report["config"] == {"current_host": host, "hosts": hosts}
        assert report["env"] == host and json.loads(report["hosts"]) == hosts
    shards = [set(r["seen"]) for r in reports]
    assert not shards[0] & shards[1]
    assert shards[0] | shards[1] == {f"object-{i}.csv" for i in range(5)}
    assert job.collisions == {} and all(h.max_rss_bytes > 0 for h in job.hosts)


def test_fully_replicated_gives_every_host_every_object(tmp_path):
    job = make_job(tmp_path, sharded=False)
    for host in job.hosts:
        report = json.loads((tmp_path / "s3" / "out" / f"{host.host}.json").read_text())
        assert len(report["seen"]) == 5


def test_a_key_uploaded_by_two_hosts_is_reported(tmp_path, monkeypatch):
    job = make_job(tmp_path, sharded=True, monkeypatch=monkeypatch, same_key=True)
    assert job.ok
    assert job.collisions == {"out/shared.json": [h.host for h in job.hosts]}


def test_a_failing_host_fails_the_job_and_stops_the_others(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text(
        "import os, sys, time\n"
        "if os.environ['SM_CURRENT_HOST'].endswith('.2'): sys.exit(3)\n"
        "time.sleep(60)\n"
    )
    job = run_job(script, 2, tmp_path / "work", [], {}, timeout=120)
    assert not job.ok and job.wall_seconds < 30
    assert sorted(h.returncode for h in job.hosts) != [0, 0]
