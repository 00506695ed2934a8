"""`make run ENV=local PARAMS="ProcessingInstanceCount=4 TrainingInstanceCount=2"` through the
runner's Python API: the generated definition runs Preprocess on 4 simulated hosts and Train on 2
(XGBoost's collective on loopback), Evaluate on one, and the model is registered."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from local_runner import endpoint, lifecycle, objectstore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOCAL_RUNNER_HOME", str(tmp_path_factory.mktemp("scale") / "home"))
        patch.delenv("LOCAL_RUNNER_SERVE_SCRIPT", raising=False)
        yield lifecycle.Local.load()
        endpoint.undeploy(out=lambda line: None)


def output_uri(result, step, name):
    outputs = result.steps[step].properties["ProcessingOutputConfig"]["Outputs"]
    return next(o["S3Output"]["S3Uri"] for o in outputs if o["OutputName"] == name)


def test_four_preprocess_hosts_and_two_training_hosts_register_one_model(local):
    lines: list[str] = []
    params = {"ProcessingInstanceCount": "4", "TrainingInstanceCount": "2", "MaxIter": "30"}
    result = lifecycle.run(local, params, out=lines.append)
    assert result.status == "Succeeded", "\n".join(lines)
    statistics = [
        key for key, _ in objectstore.list_objects(output_uri(result, "Preprocess", "statistics"))
    ]
    assert sorted(k.rsplit("/", 1)[1] for k in statistics) == [
        f"part-algo-{k}.json" for k in range(1, 5)
    ]
    train_parts = [
        k for k, _ in objectstore.list_objects(output_uri(result, "Preprocess", "train"))
    ]
    assert (
        len(train_parts) == 2
    )  # the one host holding the sample's single file: one part per trainer
    artifact = result.steps["Train"].properties["ModelArtifacts"]["S3ModelArtifacts"]
    with tarfile.open(fileobj=io.BytesIO(objectstore.path_for(artifact).read_bytes())) as bundle:
        metadata = json.load(bundle.extractfile("model_metadata.json"))
    assert metadata["training_hosts"] == 2
    report = json.loads(
        objectstore.path_for(
            output_uri(result, "Evaluate", "evaluation") + "/evaluation.json"
        ).read_text()
    )
    assert report["test_rows"] > 0
    assert report["binary_classification_metrics"]["accuracy"]["value"] >= 0.9
    assert result.steps["RegisterModel"].status == "Succeeded"
