"""SDK v3's ModelTrainer with SourceCode: the definition's entry point is the SDK's own driver
(`/bin/bash -c ... sm_drivers/sm_train.sh`, channels `code` and `sm_drivers`); locally it runs
in the sandbox with the project's Python, exactly as the definition says."""

from __future__ import annotations

import json
import tarfile

import pytest
from sdk_session import pipeline_session

from definition_check import validate
from local_runner import jobs, objectstore

TRAIN = """\
import argparse, json, os, sys

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int)
args = parser.parse_args()
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as handle:
    json.dump(
        {
            "epochs": args.epochs,
            "train": sorted(os.listdir(os.environ["SM_CHANNEL_TRAIN"])),
            "host": os.environ["SM_CURRENT_HOST"],
        },
        handle,
    )
"""

pytestmark = pytest.mark.slow  # the real SDK builds the definition (tens of seconds)


def test_a_model_trainer_with_source_code_runs_the_sdks_driver(home, monkeypatch, tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(TRAIN)
    objectstore.put_bytes("s3://trainer-bucket/data/train.csv", b"1,2\n")
    with pipeline_session(monkeypatch, "trainer-bucket") as session:
        from sagemaker.mlops.workflow.pipeline import Pipeline
        from sagemaker.mlops.workflow.steps import TrainingStep
        from sagemaker.train import ModelTrainer
        from sagemaker.train.configs import Compute, InputData, SourceCode

        trainer = ModelTrainer(
            training_image="683313688378.dkr.ecr.us-east-1.amazonaws.com/"
            "sagemaker-scikit-learn:1.2-1-cpu-py3",
            role="arn:aws:iam::111111111111:role/r",
            sagemaker_session=session,
            source_code=SourceCode(source_dir=str(source), entry_script="train.py"),
            compute=Compute(instance_type="ml.m5.large", instance_count=1),
            hyperparameters={"epochs": 3},
            base_job_name="fit",
        )
        step_args = trainer.train(
            input_data_config=[
                InputData(channel_name="train", data_source="s3://trainer-bucket/data/")
            ]
        )
        pipeline = Pipeline(
            name="trainer",
            steps=[TrainingStep(name="Fit", step_args=step_args)],
            sagemaker_session=session,
        )
        definition = json.loads(pipeline.definition())
    assert validate(definition) == []  # botocore's model of SageMaker accepts it
    arguments = definition["Steps"][0]["Arguments"]
    assert arguments["AlgorithmSpecification"]["ContainerEntrypoint"] == ["/bin/bash"]
    assert jobs.check_runnable("Training", arguments, None, step="Fit") == []
    spec = jobs.JobSpec("Fit", "job-fit", home / "runs" / "r" / "Fit", "us-east-1", "1" * 12)
    properties = jobs.run_training(arguments, spec)
    artifact = objectstore.path_for(properties["ModelArtifacts"]["S3ModelArtifacts"])
    with tarfile.open(artifact) as archive:
        model = json.load(archive.extractfile("model.json"))
    assert model == {"epochs": 3, "train": ["train.csv"], "host": "algo-1"}
