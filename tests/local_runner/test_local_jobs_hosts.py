"""InstanceCount > 1: one process per simulated host, all at once, each with SageMaker's view of
the cluster (resourceconfig.json, SM_HOSTS, SM_CURRENT_HOST), its shard of a ShardedByS3Key input,
all of a FullyReplicated one, a host name that resolves, and one job outcome."""

from __future__ import annotations

import json
import tarfile

import pytest
from job_requests import (
    BUCKET,
    job_spec,
    processing,
    s3_input,
    s3_output,
    stage_script,
    training,
    uri,
)

from local_runner import jobs, objectstore

REPORT_HOST = """
    import json, os, socket
    config = json.load(open("/opt/ml/config/resourceconfig.json"))
    me = config["current_host"]
    def listing(folder):
        return sorted(os.listdir(folder))
    report = {
        "config": config,
        "hostname": socket.gethostname(),
        "resolves": {h: socket.gethostbyname(h) for h in config["hosts"]},
        "sharded": listing("/opt/ml/processing/input/sharded"),
        "replicated": listing("/opt/ml/processing/input/replicated"),
    }
    os.makedirs("/opt/ml/processing/output", exist_ok=True)
    with open(f"/opt/ml/processing/output/{me}.json", "w") as handle:
        json.dump(report, handle)
"""


def test_sharded_input_gives_each_host_its_shard_and_outputs_merge(home):
    for index in range(7):
        objectstore.put_bytes(uri(f"data/part-{index}.csv"), b"1\n")
    for name in ("lookup.csv", "schema.json"):
        objectstore.put_bytes(uri(f"ref/{name}"), b"{}")
    stage_script("report.py", REPORT_HOST)
    request = processing(
        "report.py",
        inputs=[
            s3_input("sharded", uri("data/"), "/opt/ml/processing/input/sharded", sharded=True),
            s3_input("replicated", uri("ref/"), "/opt/ml/processing/input/replicated"),
        ],
        outputs=[s3_output("reports", uri("reports"), "/opt/ml/processing/output")],
        instances=3,
    )
    jobs.run_processing(request, job_spec(home))
    reports = {
        key.rsplit("/", 1)[1]: json.loads(path.read_text())
        for key, path in objectstore.list_objects(uri("reports/"))
    }
    assert sorted(reports) == ["algo-1.json", "algo-2.json", "algo-3.json"]  # merged prefix
    shards = []
    addresses = set()
    for name in ("algo-1", "algo-2", "algo-3"):
        report = reports[f"{name}.json"]
        assert report["config"]["current_host"] == name
        assert report["config"]["hosts"] == ["algo-1", "algo-2", "algo-3"]
        assert report["hostname"] == name
        assert report["replicated"] == ["lookup.csv", "schema.json"]  # FullyReplicated: all
        shards.append(report["sharded"])
        addresses.add(report["resolves"][name])
        assert report["resolves"][name].startswith("127.")
    assert len(addresses) == 3  # one loopback address per host: the same port works on each
    flat = sorted(name for shard in shards for name in shard)
    assert flat == sorted(f"part-{i}.csv" for i in range(7))  # disjoint, together complete
    assert [len(shard) for shard in shards] == [3, 2, 2]


# algo-1 listens on its own address (port 0) and publishes the port through S3; every other
# host connects to "algo-1" by name: what an XGBoost/Dask/torch tracker on algo-1 needs.
RENDEZVOUS = """
    import json, os, socket, time
    import boto3

    s3 = boto3.client("s3")
    hosts = json.loads(os.environ["SM_HOSTS"])
    me = os.environ["SM_CURRENT_HOST"]
    assert json.load(open("/opt/ml/input/config/resourceconfig.json"))["current_host"] == me
    port_key = os.environ["RENDEZVOUS_KEY"]
    if me == "algo-1":
        server = socket.create_server((socket.gethostbyname("algo-1"), 0))
        s3.put_object(Bucket="{bucket}", Key=port_key, Body=str(server.getsockname()[1]).encode())
        heard = []
        while len(heard) < len(hosts) - 1:
            connection, _ = server.accept()
            heard.append(connection.recv(64).decode())
        with open("/opt/ml/model/heard.json", "w") as handle:
            json.dump(sorted(heard), handle)
    else:
        for _ in range(600):
            try:
                port = int(s3.get_object(Bucket="{bucket}", Key=port_key)["Body"].read())
                break
            except s3.exceptions.NoSuchKey:
                time.sleep(0.05)
        with socket.create_connection(("algo-1", port)) as connection:
            connection.sendall(me.encode())
        with open("/opt/ml/model/heard.json", "w") as handle:
            json.dump(["a worker's model: never uploaded"], handle)
"""


def test_training_hosts_talk_on_loopback_and_algo_1_gives_the_model(home):
    code = stage_script("rendezvous.py", RENDEZVOUS.format(bucket=BUCKET), prefix="train-code")
    request = training(
        "111111111111.dkr.ecr.us-east-1.amazonaws.com/sagemaker-gitops-jobs:1",
        {"code": code},
        {},
        instances=3,
        entrypoint=["python3", "/opt/ml/input/data/code/rendezvous.py"],
    )
    request["Environment"] = {"RENDEZVOUS_KEY": "rendezvous/port"}
    spec = job_spec(home, "Train")
    result = jobs.run_training(request, spec)
    artifact = objectstore.path_for(result["ModelArtifacts"]["S3ModelArtifacts"])
    with tarfile.open(artifact) as archive:
        assert json.load(archive.extractfile("heard.json")) == ["algo-2", "algo-3"]
    assert (spec.step_dir / "algo-3" / "opt_ml" / "model" / "heard.json").is_file()


FAIL_ON_ALGO_2 = """
    import json, os, sys, time
    if os.environ["SM_CURRENT_HOST"] == "algo-2":
        os.makedirs("/opt/ml/output", exist_ok=True)
        open("/opt/ml/output/failure", "w").write("algo-2 could not read its shard")
        sys.exit(3)
    time.sleep(600)  # the other hosts would run on: the job must stop them
"""


@pytest.mark.timeout(120)
def test_one_failing_host_fails_the_job_and_stops_the_others(home):
    code = stage_script("fail.py", FAIL_ON_ALGO_2, prefix="train-code")
    request = training(
        "111111111111.dkr.ecr.us-east-1.amazonaws.com/sagemaker-gitops-jobs:1",
        {"code": code},
        {},
        instances=3,
        entrypoint=["python3", "/opt/ml/input/data/code/fail.py"],
    )
    spec = job_spec(home, "Train")
    with pytest.raises(jobs.JobFailed) as failure:
        jobs.run_training(request, spec)
    assert failure.value.reason == "algo-2 could not read its shard"
    assert failure.value.exit_code == 3
    assert failure.value.log == spec.step_dir / "algo-2" / "stderr.log"
