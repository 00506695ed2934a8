"""Job kinds: which local command stands in for an image (the runtime table of
environments/local.yaml), framework script mode, FrameworkProcessor's runproc.sh, the built-in
XGBoost algorithm, and the problems check_runnable reports before anything runs."""

from __future__ import annotations

import io
import json
import random
import tarfile
import textwrap

import pytest
from job_requests import (
    SKLEARN_IMAGE,
    XGBOOST_IMAGE,
    job_spec,
    processing,
    s3_input,
    s3_output,
    stage_script,
    training,
    uri,
)

import env_config
from local_runner import jobs, objectstore, runtimes


def test_images_match_runtimes_of_local_yaml_by_repository_name():
    table = runtimes.table_from_config(env_config.load("local"))
    names = {
        image: (runtimes.match(image, table) or runtimes.DEFAULT_RUNTIME).name
        for image in (
            SKLEARN_IMAGE,
            XGBOOST_IMAGE,
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training@sha256:ab",
            "111111111111.dkr.ecr.us-east-1.amazonaws.com/sagemaker-gitops-jobs:1",
        )
    }
    assert list(names.values()) == ["sklearn", "xgboost", "pytorch", "huggingface", "project"]
    assert runtimes.match(XGBOOST_IMAGE, table).algorithm == "xgboost"


def sourcedir(files: dict[str, str]) -> str:
    """sourcedir.tar.gz as the SDK uploads source_dir; returns its S3 URI."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = textwrap.dedent(text).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    location = uri("source/sourcedir.tar.gz")
    objectstore.put_bytes(location, buffer.getvalue())
    return location


SCRIPT_MODE_TRAIN = """
    import argparse, json, os, sys
    import helper  # a sibling module of source_dir: /opt/ml/code is on the path, as in the image

    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--name")
    parser.add_argument("--model-dir", default=os.environ["SM_MODEL_DIR"])
    args = parser.parse_args()
    report = {
        "argv": sys.argv[1:],
        "cwd": os.getcwd(),
        "hps": json.loads(os.environ["SM_HPS"]),
        "hp_epochs": os.environ["SM_HP_EPOCHS"],
        "train": sorted(os.listdir(os.environ["SM_CHANNEL_TRAIN"])),
        "entry": os.environ["SM_USER_ENTRY_POINT"],
        "helper": helper.VALUE,
    }
    with open(os.path.join(args.model_dir, "report.json"), "w") as handle:
        json.dump(report, handle)
"""


def test_framework_script_mode_runs_the_program_with_sagemakers_contract(home):
    objectstore.put_bytes(uri("train/data.csv"), b"1,2\n")
    submit = sourcedir({"train.py": SCRIPT_MODE_TRAIN, "helper.py": "VALUE = 'from source_dir'\n"})
    # the hyperparameters as SDK v2 estimators write them: every value JSON-encoded
    request = training(
        SKLEARN_IMAGE,
        {"train": uri("train/")},
        {
            "sagemaker_program": json.dumps("train.py"),
            "sagemaker_submit_directory": json.dumps(submit),
            "sagemaker_container_log_level": "20",
            "epochs": "3",
            "learning-rate": "0.1",
            "name": json.dumps("run a"),
        },
    )
    assert jobs.check_runnable("Training", request, None, step="Fit") == []
    result = jobs.run_training(request, job_spec(home, "Fit"))
    with tarfile.open(objectstore.path_for(result["ModelArtifacts"]["S3ModelArtifacts"])) as tar:
        report = json.load(tar.extractfile("report.json"))
    assert report["argv"] == ["--epochs", "3", "--learning-rate", "0.1", "--name", "run a"]
    assert report["hps"] == {"epochs": 3, "learning-rate": 0.1, "name": "run a"}
    assert report["hp_epochs"] == "3"
    assert report["cwd"] == "/opt/ml/code"
    assert report["train"] == ["data.csv"]
    assert report["entry"] == "train.py"
    assert report["helper"] == "from source_dir"


# runproc.sh as sagemaker's FrameworkProcessor generates it (_generate_framework_script)
RUNPROC = """\
    #!/bin/bash

    # Exit on any error. SageMaker uses error code to mark failed job.
    set -e

    cd /opt/ml/processing/input/code/

    if [ -f sourcedir.tar.gz ]; then
        tar -xzf sourcedir.tar.gz
    else
        echo "ERROR: sourcedir.tar.gz not found!"
        exit 1
    fi

    python3 process.py "$@"
"""

PROCESS = """
    import sys
    rows = open("/opt/ml/processing/input/data/rows.csv").read().splitlines()
    with open("/opt/ml/processing/output/count.txt", "w") as handle:
        handle.write(f"{len(rows)} rows, args {sys.argv[1:]}")
"""


def test_framework_processor_runs_runproc_sh_from_the_code_location(home):
    objectstore.put_bytes(uri("raw/rows.csv"), b"a\nb\nc\n")
    source = sourcedir({"process.py": PROCESS})
    code_prefix = source.rsplit("/", 1)[0] + "/"
    stage_script("runproc.sh", RUNPROC, prefix="entrypoint")
    request = processing(
        "unused",
        inputs=[
            s3_input("data", uri("raw/"), "/opt/ml/processing/input/data"),
            s3_input("entrypoint", uri("entrypoint/"), "/opt/ml/processing/input/entrypoint"),
        ],
        outputs=[s3_output("count", uri("out/count"), "/opt/ml/processing/output")],
        entrypoint=["/bin/bash", "/opt/ml/processing/input/entrypoint/runproc.sh"],
    )
    request["ProcessingInputs"][0]["S3Input"]["S3Uri"] = code_prefix  # the code: sourcedir
    request["AppSpecification"]["ContainerArguments"] = ["--split", "0.2"]
    assert jobs.check_runnable("Processing", request, None, step="Prep") == []
    jobs.run_processing(request, job_spec(home, "Prep"))
    assert objectstore.read_bytes(uri("out/count/count.txt")) == (
        b"3 rows, args ['--split', '0.2']"
    )


def classification_rows(count: int, seed: int) -> str:
    generator = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    rows = []
    for _ in range(count):
        x1, x2 = generator.random(), generator.random()
        rows.append(f"{int(x1 + x2 > 1)},{x1:.4f},{x2:.4f}")
    return "\n".join(rows) + "\n"


def xgboost_request(content_type: str = "text/csv", **overrides: str) -> dict:
    hyperparameters = {
        "num_round": "30",
        "objective": "binary:logistic",
        "eta": "0.3",
        "max_depth": "3",
        "eval_metric": "auc",
        "seed": "1",
        **overrides,
    }
    return training(
        XGBOOST_IMAGE,
        {"train": uri("xgb/train/"), "validation": uri("xgb/validation/")},
        hyperparameters,
        content_type=content_type,
    )


@pytest.mark.slow  # xgboost training in a job
def test_builtin_xgboost_trains_an_artifact_sagemakers_container_would_load(home):
    import numpy as np
    import xgboost

    objectstore.put_bytes(uri("xgb/train/train.csv"), classification_rows(400, 1).encode())
    objectstore.put_bytes(uri("xgb/validation/v.csv"), classification_rows(100, 2).encode())
    request = xgboost_request()
    assert jobs.check_runnable("Training", request, None, step="Xgb") == []
    spec = job_spec(home, "Xgb")
    result = jobs.run_training(request, spec)
    with tarfile.open(objectstore.path_for(result["ModelArtifacts"]["S3ModelArtifacts"])) as tar:
        assert tar.getnames() == ["xgboost-model"]
        tar.extract("xgboost-model", home, filter="data")
    booster = xgboost.Booster()
    booster.load_model(str(home / "xgboost-model"))  # as the XGBoost serving container loads it
    assert booster.num_boosted_rounds() == 30
    predictions = booster.predict(xgboost.DMatrix(np.array([[0.9, 0.9], [0.05, 0.05]])))
    assert predictions[0] > 0.5 > predictions[1]
    metrics = {m["MetricName"]: m["Value"] for m in result["FinalMetricDataList"]}
    assert set(metrics) == {"train:auc", "validation:auc"}
    assert metrics["validation:auc"] > 0.9
    assert "#011train-auc:" in spec.stdout_log.read_text()


@pytest.mark.slow  # xgboost training in a job
def test_builtin_xgboost_reads_libsvm(home):
    def libsvm(seed: int, count: int) -> bytes:
        lines = []
        for row in classification_rows(count, seed).splitlines():
            label, x1, x2 = row.split(",")
            lines.append(f"{label} 1:{x1} 2:{x2}")
        return ("\n".join(lines) + "\n").encode()

    objectstore.put_bytes(uri("xgb/train/train.libsvm"), libsvm(1, 300))
    objectstore.put_bytes(uri("xgb/validation/v.libsvm"), libsvm(2, 100))
    result = jobs.run_training(xgboost_request("text/libsvm"), job_spec(home, "Xgb"))
    metrics = {m["MetricName"]: m["Value"] for m in result["FinalMetricDataList"]}
    assert metrics["validation:auc"] > 0.9


def test_builtin_xgboost_without_num_round_fails_with_the_algorithms_message(home):
    objectstore.put_bytes(uri("xgb/train/train.csv"), classification_rows(50, 1).encode())
    objectstore.put_bytes(uri("xgb/validation/v.csv"), classification_rows(20, 2).encode())
    request = xgboost_request()
    del request["HyperParameters"]["num_round"]
    with pytest.raises(jobs.JobFailed, match="Missing required hyperparameter: num_round"):
        jobs.run_training(request, job_spec(home, "Xgb"))


def test_check_runnable_names_the_step_the_image_and_the_fix(home):
    unknown = "111111111111.dkr.ecr.us-east-1.amazonaws.com/my-algorithm:3"
    problems = jobs.check_runnable("Training", training(unknown, {}, {}), None, step="Fit")
    assert len(problems) == 1
    assert problems[0].startswith(f"step Fit: image {unknown} has no entry point")
    assert "local_runner.runtimes in environments/local.yaml" in problems[0]

    request = processing("prep.py")
    request["AppSpecification"]["ContainerEntrypoint"] = ["python3", "/opt/ml/code/prep.py"]
    (problem,) = jobs.check_runnable("Processing", request, None, step="Prep")
    assert "the entry point /opt/ml/code/prep.py is not under any input's local path" in problem
    assert problem.startswith(f"step Prep: image {SKLEARN_IMAGE}")

    request["AppSpecification"]["ContainerEntrypoint"] = ["java", "-jar", "/opt/ml/app.jar"]
    (problem,) = jobs.check_runnable("Processing", request, None, step="Prep")
    assert "'java' is neither a Python interpreter nor a shell script" in problem

    del request["AppSpecification"]["ContainerEntrypoint"]
    (problem,) = jobs.check_runnable("Processing", request, None, step="Prep")
    assert "no ContainerEntrypoint" in problem and "code=" in problem

    request = xgboost_request()
    request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataType"] = "ManifestFile"
    (problem,) = jobs.check_runnable("Training", request, None, step="Xgb")
    assert "input 'train' has S3DataType 'ManifestFile'" in problem

    request = processing("prep.py", outputs=[s3_output("out", uri("out/"), "/data/out")])
    (problem,) = jobs.check_runnable("Processing", request, None, step="Prep")
    assert "'out' has LocalPath '/data/out', outside /opt/ml" in problem

    assert jobs.check_runnable("Condition", {}, None, step="Gate") == []


def test_a_runtime_whose_modules_are_missing_is_reported_up_front(tmp_path):
    config = env_config.load("local")
    raw = json.loads(json.dumps(config.raw))
    raw["local_runner"]["runtimes"]["pytorch"]["modules"] = ["surely_not_installed_module"]
    patched = env_config.EnvConfig(config.name, config.path, raw)
    image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310"
    request = training(
        image,
        {},
        {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": '"s3://b/s.tar.gz"'},
    )
    (problem,) = jobs.check_runnable("Training", request, patched, step="Fit")
    assert problem.startswith(f"step Fit: image {image} (runtime pytorch) needs ")
    assert "surely_not_installed_module" in problem and "pip install" in problem


def test_a_bad_runtime_table_names_the_key_and_the_fix():
    config = env_config.load("local")
    raw = json.loads(json.dumps(config.raw))
    raw["local_runner"]["runtimes"]["sklearn"] = {"repository": "sagemaker-scikit-learn"}
    patched = env_config.EnvConfig(config.name, config.path, raw)
    with pytest.raises(env_config.EnvConfigError, match=r"runtimes\.sklearn\.repositories"):
        patched.local_runtimes()
