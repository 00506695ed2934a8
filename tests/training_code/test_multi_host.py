"""Several hosts, as SageMaker runs them: the split does not depend on the host count, no output
key is written by two hosts, statistics add up over shards, and a model trained across two hosts
matches the single-host one.

The hosts are real processes with SageMaker's contract (resourceconfig.json, SM_HOSTS,
SM_CURRENT_HOST, ShardedByS3Key shards), run at once by simulated_hosts and joined by XGBoost's
own tracker and collective on loopback: nothing in the code under test is faked."""

from __future__ import annotations

import itertools
import json

import pandas as pd
import pytest
import xgboost as xgb

from env_config import REPO_ROOT
from local_runner.jobs import pack_model
from simulated_hosts import Input, run_job

pytestmark = pytest.mark.slow

CODE = REPO_ROOT / "training_code"
OUTPUTS = ("train", "validation", "test", "statistics")


@pytest.fixture(scope="module")
def raw_files(tmp_path_factory, sample_frame):
    """The sample dataset as 8 raw objects (so that 4 hosts each get a shard), uneven in size."""
    folder = tmp_path_factory.mktemp("raw")
    bounds = [0, 40, 120, 150, 260, 300, 420, 500, len(sample_frame)]
    for index, (start, stop) in enumerate(itertools.pairwise(bounds)):
        sample_frame.iloc[start:stop].to_csv(folder / f"raw-{index}.csv", index=False)
    return folder


def preprocess_on(hosts, raw, workdir, parts=1):
    s3 = workdir / "s3"
    job = run_job(
        CODE / "preprocess.py",
        hosts,
        workdir / "jobs",
        [Input(raw, "processing/input/data", sharded=True)],
        {f"processing/{name}": s3 / name for name in OUTPUTS},
        args=["--parts", str(parts)],
    )
    assert job.ok, job.describe_failure()
    return job, s3


def train_on(hosts, processed, workdir, checkpoints=None, **hyperparameters):
    job = run_job(
        CODE / "train.py",
        hosts,
        workdir / "jobs",
        [
            Input(processed / "train", "input/data/train", sharded=True),
            Input(processed / "validation", "input/data/validation", sharded=True),
            Input(processed / "statistics", "input/data/statistics"),
        ],
        {"model": workdir / "model"},
        training=True,
        hyperparameters={key: str(value) for key, value in hyperparameters.items()},
        checkpoints=checkpoints or workdir / "checkpoints",
        threads_per_host=1,
    )
    assert job.ok, job.describe_failure()
    return job


def rows_of(folder):
    """A split's rows as a sorted frame: the content, whatever files and order hold it."""
    frame = pd.concat([pd.read_csv(path) for path in sorted(folder.glob("*.csv"))])
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.fixture(scope="module")
def preprocessed(raw_files, tmp_path_factory):
    """Preprocess on 1, 2 and 4 hosts (parts for 1, 2 and 2 training hosts)."""
    runs = {}
    for hosts, parts in ((1, 1), (2, 2), (4, 2)):
        runs[hosts] = preprocess_on(hosts, raw_files, tmp_path_factory.mktemp(f"pre{hosts}"), parts)
    return runs


def test_the_split_is_identical_for_1_2_and_4_hosts(preprocessed):
    for split in ("train", "validation", "test"):
        single = rows_of(preprocessed[1][1] / split)
        for hosts in (2, 4):
            pd.testing.assert_frame_equal(rows_of(preprocessed[hosts][1] / split), single)
    sizes = [len(rows_of(preprocessed[1][1] / s)) for s in ("train", "validation", "test")]
    assert sum(sizes) == 569


def test_no_output_key_is_written_by_two_hosts(preprocessed):
    for hosts in (2, 4):
        job, s3 = preprocessed[hosts]
        assert job.collisions == {}
        writers = {host for owners in job.writers.values() for host in owners}
        assert writers == {h.host for h in job.hosts if any(h.opt_ml.rglob("raw-*.csv"))}
        for key, (host,) in job.writers.items():
            assert f"-{host}" in key  # the key names the host that wrote it
        statistics = sorted(p.name for p in (s3 / "statistics").iterdir())
        assert statistics == sorted(f"part-{h.host}.json" for h in job.hosts)


def test_a_host_without_raw_objects_reports_it_and_contributes_nothing(raw_files, tmp_path):
    one_object = tmp_path / "one"
    one_object.mkdir()
    (one_object / "all.csv").write_bytes((raw_files / "raw-0.csv").read_bytes())
    job, s3 = preprocess_on(2, one_object, tmp_path)
    idle = [h for h in job.hosts if "received no raw file" in h.stdout]
    assert len(idle) == 1 and "ProcessingInstanceCount" in idle[0].stdout
    assert (s3 / "statistics" / f"part-{idle[0].host}.json").exists()
    assert not [
        key for key, owners in job.writers.items() if idle[0].host in owners and ".csv" in key
    ]


def test_statistics_combine_to_the_single_host_ones(preprocessed):
    import data_statistics

    single = data_statistics.combine(preprocessed[1][1] / "statistics")
    for hosts in (2, 4):
        combined = data_statistics.combine(preprocessed[hosts][1] / "statistics")
        assert len(combined.hosts) == hosts
        for name in ("train", "validation", "test"):
            a, b = single.split(name), combined.split(name)
            assert (a.rows, a.positives) == (b.rows, b.positives)
            for feature, moments in a.features.items():
                other = b.features[feature]
                assert other.count == moments.count
                assert other.mean == pytest.approx(moments.mean, rel=1e-12)
                assert other.std == pytest.approx(moments.std, rel=1e-9)
                assert (other.minimum, other.maximum) == (moments.minimum, moments.maximum)


def accuracy_on_test(model_dir, test_folder):
    import evaluate

    pack_model(model_dir, model_dir.parent / "model.tar.gz")
    model = evaluate.load_model_archive(model_dir.parent / "model.tar.gz")
    test = rows_of(test_folder)
    features = test.drop(columns=["malignant"]).to_numpy(dtype="float32")
    predictions = model.predict_proba(features)[:, 1] >= 0.5
    return float((predictions == test["malignant"].to_numpy().astype(bool)).mean())


def test_two_hosts_train_one_model_as_good_as_one_host(preprocessed, tmp_path):
    """Within 0.5 accuracy points of the single-host model on the sample's test split."""
    one = train_on(1, preprocessed[1][1], tmp_path / "one", max_iter=100)
    two = train_on(2, preprocessed[2][1], tmp_path / "two", max_iter=100)
    shards = [h.stdout.split("training rows")[0].rsplit(":", 1)[1] for h in two.hosts]
    assert all(" of " in s and not s.strip().startswith("0 ") for s in shards), shards
    test = preprocessed[1][1] / "test"
    single, double = accuracy_on_test(tmp_path / "one" / "model", test), accuracy_on_test(
        tmp_path / "two" / "model", test
    )
    assert single > 0.9
    assert abs(single - double) <= 0.005, (single, double)
    metric = [line for line in one.hosts[0].stdout.splitlines() if "validation:accuracy" in line]
    assert metric and all(
        metric == [line for line in h.stdout.splitlines() if "validation:accuracy" in line]
        for h in two.hosts
    )  # validation accuracy is reduced over both shards: same on each host
    metadata = json.loads((tmp_path / "two" / "model" / "model_metadata.json").read_text())
    assert metadata["training_hosts"] == 2


def test_only_the_first_host_writes_the_model_and_checkpoints(preprocessed, tmp_path):
    job = train_on(2, preprocessed[2][1], tmp_path, max_iter=20, checkpoint_every=10)
    assert job.collisions == {}
    first = job.hosts[0].host
    assert {owners[0] for owners in job.writers.values()} == {first}
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "model.joblib",
        "model.ubj",
        "model_metadata.json",
    ]


def test_a_spot_restart_of_two_hosts_resumes_and_equals_an_uninterrupted_run(
    preprocessed, tmp_path
):
    """SageMaker restores the checkpoint folder on every host of the restarted job."""
    straight = train_on(
        2, preprocessed[2][1], tmp_path / "straight", max_iter=20, checkpoint_every=10
    )
    assert straight.ok
    # The checkpoint the interrupted job left after 10 rounds: the same booster cut at round 10.
    saved = xgb.Booster()
    saved.load_model(tmp_path / "straight" / "checkpoints" / "checkpoint.ubj")
    half = saved[:10]
    half.set_attr(fingerprint=saved.attr("fingerprint"))
    restored = tmp_path / "restarted" / "checkpoints"
    restored.mkdir(parents=True)
    half.save_model(restored / "checkpoint.ubj")
    resumed = train_on(
        2,
        preprocessed[2][1],
        tmp_path / "restarted",
        checkpoints=restored,
        max_iter=20,
        checkpoint_every=10,
    )
    for host in resumed.hosts:
        assert "resuming from checkpoint at iteration 10" in host.stdout, host.stdout
    assert resumed.collisions == {}  # the second host's restored copy is not synced back
    assert (tmp_path / "straight" / "model" / "model.ubj").read_bytes() == (
        tmp_path / "restarted" / "model" / "model.ubj"
    ).read_bytes()
