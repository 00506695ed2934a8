"""The executor on the hand-written definition (fixtures/code): every step type, the container
contract, property files, branches, failures and caching."""

from __future__ import annotations

import copy
import json
import tarfile
from pathlib import Path

import pytest
from runner_fixtures import (
    BUCKET,
    CHAMPION_URI,
    RAW_URI,
    execute,
    make_definition,
    registry,
    statuses,
)

from definition_check import validate
from local_runner import objectstore, paths
from local_runner.executor import (
    EXIT_FAIL_STEP,
    EXIT_STEP_FAILED,
    DefinitionError,
)
from local_runner.expressions import UnsupportedError


def test_the_hand_written_definition_of_these_tests_is_one_sagemaker_accepts():
    """botocore's model of SageMaker (definition_check) stands behind the fixture: the executor
    is tested on a definition AWS would take (ClusterConfig complete, hyperparameters strings)."""
    assert [str(problem) for problem in validate(make_definition())] == []


def test_a_run_executes_every_step_type_and_registers(staged):
    result, output = execute()
    assert result.status == "Succeeded", output
    assert statuses(result) == {
        "Prep": "Succeeded",
        "Fit": "Succeeded",
        "Score": "Succeeded",
        "Gate": "Succeeded",
        "Register": "Succeeded",
        "Reject": "NotRun",
    }
    # progress: a line as each step starts and ends
    assert "Prep" in output and "started" in output and "succeeded" in output
    assert "Gate evaluated True" in output
    # the Training contract: string hyperparameters, SM_* variables, packed model
    fit = result.steps["Fit"].properties
    uri = fit["ModelArtifacts"]["S3ModelArtifacts"]
    assert uri == f"s3://{BUCKET}/models/{fit['TrainingJobName']}/output/model.tar.gz"
    with tarfile.open(objectstore.path_for(uri)) as archive:
        assert archive.getnames() == ["model.json"]
        model = json.load(archive.extractfile("model.json"))
    assert model["hyperparameters"] == {
        "accuracy": "0.8",
        "epochs": "3",
        "fail": "false",
        "broken_server": "false",
    }
    # container paths: the sandbox mounts the step's opt_ml folder on /opt/ml
    assert model["env"]["SM_MODEL_DIR"] == "/opt/ml/model"
    assert model["env"]["SM_CHANNEL_TRAIN"] == "/opt/ml/input/data/train"
    run_folder = paths.runs_dir() / result.execution_id / "Fit" / "opt_ml"
    assert (run_folder / "input" / "data" / "train").is_dir()
    assert fit["FinalMetricDataList"][0]["MetricName"] == "validation:accuracy"
    assert fit["FinalMetricDataList"][0]["Value"] == 0.8
    # checkpoints were synced to CheckpointConfig.S3Uri
    assert objectstore.exists(f"s3://{BUCKET}/checkpoints/fit/step-1")
    # Processing: ContainerArguments as the container sees them, Environment resolved, outputs
    prep_stdout = (paths.runs_dir() / result.execution_id / "Prep" / "stdout.log").read_text()
    assert "MODE=fast" in prep_stdout
    assert "'--input', '/opt/ml/processing/input/data'" in prep_stdout
    train_split = f"s3://{BUCKET}/processed/{result.execution_id}/train"
    assert objectstore.read_bytes(train_split + "/train.csv").startswith(b"0.9,1")
    # the registry: version, approval, metrics, lineage, and the champion published
    record = registry().get("test-group", 1)
    assert record["ModelApprovalStatus"] == "Approved"
    assert record["ModelDataUrl"] == uri
    assert record["Metrics"]["binary_classification_metrics"]["accuracy"]["value"] == 0.8
    assert record["CustomerMetadataProperties"]["TestDataUri"].endswith("/test")
    assert record["Lineage"]["Data"]["InputDataUri"]["uri"] == RAW_URI
    assert len(record["Lineage"]["Data"]["InputDataUri"]["sha256"]) == 64
    assert record["Lineage"]["Parameters"]["Accuracy"] == 0.8
    assert record["Lineage"]["GitSha"]
    assert objectstore.exists(CHAMPION_URI + "model.tar.gz")
    assert not objectstore.exists(CHAMPION_URI + "NO_CHAMPION")
    assert result.registered == [
        {"group": "test-group", "version": 1, "status": "Approved", "duplicate": False}
    ]


def test_the_gate_takes_the_else_branch_and_the_fail_step_says_why(staged):
    result, output = execute(overrides={"AccuracyThreshold": "0.95"})
    assert result.status == "Failed"
    assert result.exit_code == EXIT_FAIL_STEP
    assert statuses(result)["Register"] == "NotRun"
    assert result.steps["Reject"].status == "Failed"
    message = "Model rejected: accuracy 0.8 is below 0.95 or drop 0.0 exceeds 0.01"
    assert result.steps["Reject"].detail == message
    assert message in output
    assert "GreaterThanOrEqualTo(0.8, 0.95) is False" in output
    assert registry().versions("test-group") == []
    assert objectstore.exists(CHAMPION_URI + "NO_CHAMPION")


def test_a_challenger_worse_than_the_champion_registers_nothing(staged):
    first, _ = execute(overrides={"Accuracy": "0.9"})
    assert first.status == "Succeeded"
    result, output = execute(overrides={"Accuracy": "0.85"})
    assert result.exit_code == EXIT_FAIL_STEP
    assert "drop 0.05 exceeds 0.01" in result.failure
    assert "LessThanOrEqualTo(0.05, 0.01) is False" in output
    assert [r["ModelPackageVersion"] for r in registry().versions("test-group")] == [1]


def test_a_failed_job_reports_exit_code_stderr_and_log_and_stops(staged):
    result, output = execute(overrides={"FailTraining": "true"})
    assert result.status == "Failed"
    assert result.exit_code == EXIT_STEP_FAILED
    assert result.failed_step == "Fit"
    assert "exit code: 3" in output
    assert "training diverged" in output
    log = paths.runs_dir() / result.execution_id / "Fit" / "stderr.log"
    assert f"full log: {log}" in output
    assert statuses(result)["Score"] == "NotRun"
    assert registry().versions("test-group") == []


def test_a_bad_dataset_fails_at_the_first_step_with_its_message(staged):
    objectstore.put_bytes(RAW_URI + "data.csv", b"0.9,1\nBAD,0\n")
    result, output = execute()
    assert result.failed_step == "Prep"
    assert "row 2 holds 'BAD'. Fix the dataset." in result.failure
    assert "exit code: 2" in output
    assert all(s.status == "NotRun" for n, s in result.steps.items() if n != "Prep")
    assert registry().versions("test-group") == []


def test_a_missing_input_is_a_clear_failure(staged):
    result, _ = execute(overrides={"InputDataUri": f"s3://{BUCKET}/nothing-here/"})
    assert result.failed_step == "Prep"
    assert "no object under s3://test-bucket/nothing-here/" in result.failure


def test_unchanged_steps_are_cached_and_changed_inputs_rerun(staged):
    first, _ = execute()
    second, output = execute()
    assert statuses(second)["Prep"] == statuses(second)["Fit"] == "Cached"
    # Score reads the champion, which the first run's approval changed: it runs again
    assert statuses(second)["Score"] == "Succeeded"
    assert f"reused from execution {first.execution_id}" in output
    assert second.steps["Fit"].properties == first.steps["Fit"].properties
    assert second.registered[0]["duplicate"] is True
    assert len(registry().versions("test-group")) == 1
    third, _ = execute()
    assert [statuses(third)[n] for n in ("Prep", "Fit", "Score")] == ["Cached"] * 3
    # another dataset: every step runs again
    objectstore.put_bytes(RAW_URI + "data.csv", b"0.7,1\n0.2,0\n")
    third, _ = execute()
    assert statuses(third)["Prep"] == "Succeeded"
    assert statuses(third)["Fit"] == "Succeeded"
    # a changed hyperparameter reruns Fit but reuses Prep
    fourth, _ = execute(overrides={"Epochs": "4"})
    assert statuses(fourth)["Prep"] == "Cached"
    assert statuses(fourth)["Fit"] == "Succeeded"


def test_cache_honours_enabled_expiry_and_missing_outputs(staged):
    definition = make_definition()
    definition["Steps"][0]["CacheConfig"] = {"Enabled": True, "ExpireAfter": "PT0S"}
    definition["Steps"][1]["CacheConfig"] = {"Enabled": False}
    execute(definition)
    again, _ = execute(definition)
    assert statuses(again)["Prep"] == "Succeeded"  # expired at once
    assert statuses(again)["Fit"] == "Succeeded"  # caching off
    plain = make_definition()
    first, _ = execute(plain)
    objectstore.delete(first.steps["Fit"].properties["ModelArtifacts"]["S3ModelArtifacts"])
    after_loss, _ = execute(plain)
    assert statuses(after_loss)["Fit"] == "Succeeded"  # its output is gone: run it again
    assert statuses(execute(plain, use_cache=False)[0])["Prep"] == "Succeeded"


def test_unknown_parameter_override_and_bad_values_are_refused(staged):
    with pytest.raises(DefinitionError, match="unknown parameter Nope"):
        execute(overrides={"Nope": "1"})
    with pytest.raises(DefinitionError, match=r"PARAMS Epochs=many: not a whole number"):
        execute(overrides={"Epochs": "many"})


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (
            lambda d: d["Steps"].append({"Name": "AutoPilot", "Type": "AutoML", "Arguments": {}}),
            UnsupportedError,
            "type 'AutoML' is not supported .*local_runner: stubs: AutoPilot",
        ),
        (
            lambda d: d["Steps"].append({"Name": "Wait", "Type": "Callback", "Arguments": {}}),
            UnsupportedError,
            "type 'Callback' runs only on AWS.*local_runner: stubs: Wait: {OutputParameters",
        ),
        (
            lambda d: d["Steps"].append(
                {
                    "Name": "Notify",
                    "Type": "Lambda",
                    "FunctionArn": "arn:aws:lambda:us-east-1:" "000000000000:function:notify",
                    "Arguments": {},
                }
            ),
            UnsupportedError,
            "Lambda function .* has no local handler; map it in .*lambdas: notify:",
        ),
        (
            lambda d: d["Steps"][0]["Arguments"]["Environment"].update(
                {"X": {"Std:Concat": {"Values": []}}}
            ),
            UnsupportedError,
            "function 'Std:Concat'",
        ),
        (
            lambda d: d["Steps"][3]["Arguments"]["Conditions"].append({"Type": "And"}),
            UnsupportedError,
            "condition type 'And'",
        ),
        (
            lambda d: d["Steps"][0]["Arguments"]["Environment"].update(
                {"X": {"Get": "Execution.TrainingJobName"}}
            ),
            UnsupportedError,
            "TrainingJobName",
        ),
        (
            lambda d: d["Steps"][1].update({"DependsOn": ["Ghost"]}),
            DefinitionError,
            "unknown step 'Ghost'",
        ),
        (lambda d: d["Steps"][0].update({"DependsOn": ["Score"]}), DefinitionError, "cycle"),
        (
            lambda d: d["Steps"][0]["Arguments"]["Environment"].update(
                {"X": {"Get": "Parameters.Ghost"}}
            ),
            DefinitionError,
            "Parameters.Ghost",
        ),
    ],
)
def test_the_definition_is_checked_before_anything_runs(staged, mutate, error, message):
    definition = make_definition()
    mutate(definition)
    with pytest.raises(error, match=message):
        execute(definition)
    assert not paths.runs_dir().exists()  # nothing ran


def test_a_wrong_property_path_fails_the_step_that_uses_it(staged):
    definition = make_definition()
    channel = definition["Steps"][1]["Arguments"]["InputDataConfig"][1]["DataSource"]
    channel["S3DataSource"]["S3Uri"] = {
        "Get": "Steps.Prep.ProcessingOutputConfig.Outputs['training'].S3Output.S3Uri"
    }
    result, output = execute(definition)
    assert result.failed_step == "Fit"
    assert "Outputs['training'] does not exist (there are: ['train', 'test'])" in output


def test_non_python_entry_point_and_paths_outside_opt_ml_are_unsupported(staged):
    definition = make_definition()
    definition["Steps"][0]["Arguments"]["AppSpecification"]["ContainerEntrypoint"] = [
        "java",
        "-jar",
        "app.jar",
    ]
    # refused before any step runs (jobs.check_runnable, asked by the executor up front)
    with pytest.raises(UnsupportedError, match=r"nothing has run\):\n  step Prep: .*neither a"):
        execute(definition)
    assert not paths.runs_dir().exists()
    definition = make_definition()
    definition["Steps"][0]["Arguments"]["ProcessingInputs"][1]["S3Input"]["LocalPath"] = "/data"
    with pytest.raises(UnsupportedError, match="outside /opt/ml"):
        execute(definition)


def test_depends_on_orders_steps_and_model_step_and_string_branches(staged):
    definition = make_definition()
    gate = definition["Steps"][3]
    register = gate["Arguments"]["IfSteps"][0]
    gate["Arguments"]["IfSteps"] = ["Register"]  # a branch may name a top-level step
    definition["Steps"].append(register)
    definition["Steps"].append(
        {
            "Name": "CreateModel",
            "Type": "Model",
            "DependsOn": ["Register"],
            "Arguments": {
                "ExecutionRoleArn": "arn:aws:iam::000000000000:role/r",
                "PrimaryContainer": {
                    "Image": "img",
                    "ModelDataUrl": {"Get": "Steps.Fit.ModelArtifacts.S3ModelArtifacts"},
                },
            },
        }
    )
    result, output = execute(definition)
    assert result.status == "Succeeded", output
    order = list(result.steps)
    assert order.index("Register") < order.index("CreateModel")
    assert result.steps["CreateModel"].properties["ModelName"].startswith("test-pipeline-")
    assert (
        result.steps["CreateModel"]
        .properties["PrimaryContainer"]["ModelDataUrl"]
        .startswith("s3://")
    )
    # and when the gate says no, the step that depends on the branch does not run either
    rejected, _ = execute(copy.deepcopy(definition), overrides={"AccuracyThreshold": "0.99"})
    assert statuses(rejected)["CreateModel"] == "NotRun"


def test_execution_record_is_written(staged):
    result, _ = execute()
    record = json.loads((paths.runs_dir() / result.execution_id / "execution.json").read_text())
    assert record["Status"] == "Succeeded"
    assert record["Steps"]["Fit"]["Status"] == "Succeeded"
    assert record["Parameters"]["AccuracyThreshold"] == 0.5
    assert Path(record["Steps"]["Fit"]["Properties"]["TrainingJobArn"].split("/")[-1])


def test_max_runtime_stops_the_job(staged, tmp_path):
    block = tmp_path / "block"
    block.write_text("never released: the stopping condition must end the job")
    definition = make_definition()
    definition["Steps"][1]["Arguments"]["Environment"] = {"FIXTURE_BLOCK": str(block)}
    definition["Steps"][1]["Arguments"]["StoppingCondition"]["MaxRuntimeInSeconds"] = 1
    result, _ = execute(definition)
    assert result.failed_step == "Fit"
    assert "MaxRuntimeExceeded" in result.failure
    assert (
        "training: waiting"
        in (paths.runs_dir() / result.execution_id / "Fit" / "stdout.log").read_text()
    )
    assert registry().versions("test-group") == []
