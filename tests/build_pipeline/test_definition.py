"""The generated definition, per environment: the steps, their wiring, the gate and the defaults."""

from __future__ import annotations

import json
import socket

import pytest

import code_bundle
from build_pipeline.__main__ import generate, main
from env_config import load

ENVIRONMENTS = ("local", "dev", "staging", "prod")


def steps_by_name(definition: dict) -> dict[str, dict]:
    found = {}
    for step in definition["Steps"]:
        found[step["Name"]] = step
        if step["Type"] == "Condition":
            for branch in ("IfSteps", "ElseSteps"):
                for inner in step["Arguments"][branch]:
                    found[inner["Name"]] = inner
    return found


def get(name: str) -> dict:
    return {"Get": name}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_steps_types_and_order(definitions, env):
    definition = definitions[env]
    assert [(s["Name"], s["Type"]) for s in definition["Steps"]] == [
        ("Preprocess", "Processing"), ("Train", "Training"), ("Evaluate", "Processing"),
        ("QualityGate", "Condition"), ("Baseline", "Processing"),
    ]
    gate = definition["Steps"][3]["Arguments"]
    assert [(s["Name"], s["Type"]) for s in gate["IfSteps"]] == [("RegisterModel", "RegisterModel")]
    assert [(s["Name"], s["Type"]) for s in gate["ElseSteps"]] == [("RejectModel", "Fail")]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_preprocess_outputs_feed_train_channels_and_evaluate_inputs(definitions, env):
    steps = steps_by_name(definitions[env])
    outputs = {o["OutputName"]: o for o in steps["Preprocess"]["Arguments"]["ProcessingOutputConfig"]["Outputs"]}
    assert set(outputs) == {"train", "validation", "test", "statistics"}
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"]
                for c in steps["Train"]["Arguments"]["InputDataConfig"]}
    for split in ("train", "validation", "statistics"):
        assert channels[split] == get(f"Steps.Preprocess.ProcessingOutputConfig.Outputs['{split}'].S3Output.S3Uri")
    inputs = {i["InputName"]: i["S3Input"] for i in steps["Evaluate"]["Arguments"]["ProcessingInputs"]}
    for split in ("test", "statistics"):
        assert inputs[split]["S3Uri"] == get(f"Steps.Preprocess.ProcessingOutputConfig.Outputs['{split}'].S3Output.S3Uri")
    assert inputs["model"]["S3Uri"] == get("Steps.Train.ModelArtifacts.S3ModelArtifacts")
    assert inputs["champion"]["S3Uri"] == get("Parameters.ChampionModelUri")
    assert inputs["champion"]["LocalPath"] == "/opt/ml/processing/champion"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_job_runs_an_explicit_script_from_the_content_addressed_code(definitions, env):
    steps = steps_by_name(definitions[env])
    code_uri = code_bundle.code_uri(load(env))
    assert code_uri.startswith(f"s3://{load(env).bucket}/{env}/code/")
    for name, script in (("Preprocess", "preprocess.py"), ("Evaluate", "evaluate.py")):
        arguments = steps[name]["Arguments"]
        assert arguments["AppSpecification"]["ContainerEntrypoint"] == [
            "python3", f"/opt/ml/processing/input/code/{script}"]
        code = next(i for i in arguments["ProcessingInputs"] if i["InputName"] == "code")
        assert code["S3Input"]["S3Uri"] == code_uri
    train = steps["Train"]["Arguments"]
    assert train["AlgorithmSpecification"]["ContainerEntrypoint"] == [
        "python3", "/opt/ml/input/data/code/train.py"]
    code = next(c for c in train["InputDataConfig"] if c["ChannelName"] == "code")
    assert code["DataSource"]["S3DataSource"]["S3Uri"] == code_uri


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_job_step_is_cached(definitions, env):
    config = load(env)
    for step in definitions[env]["Steps"]:
        if step["Type"] in ("Processing", "Training"):
            assert step["CacheConfig"] == {
                "Enabled": True, "ExpireAfter": config.get("pipeline.cache_expire_after")}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_parameter_defaults_come_from_the_environment_file(definitions, env):
    config = load(env)
    defaults = {p["Name"]: p["DefaultValue"] for p in definitions[env]["Parameters"]}
    pipeline = config.get("pipeline")
    assert defaults["InputDataUri"] == pipeline["input_data_uri"]
    assert defaults["AccuracyThreshold"] == pipeline["accuracy_threshold"]
    assert defaults["ChampionMargin"] == pipeline["champion_margin"]
    assert defaults["ModelApprovalStatus"] == pipeline["model_approval_status"]
    assert defaults["TrainingInstanceType"] == pipeline["training_instance_type"]
    assert defaults["ProcessingInstanceCount"] == pipeline["processing_instance_count"]
    assert defaults["MaxIter"] == pipeline["hyperparameters"]["max_iter"]
    assert defaults["ChampionModelUri"] == f"s3://{config.bucket}/{env}/champion/current/"


def test_environments_differ_where_their_files_differ(definitions):
    thresholds = {env: {p["Name"]: p["DefaultValue"] for p in definitions[env]["Parameters"]}["AccuracyThreshold"]
                  for env in ENVIRONMENTS}
    assert thresholds["prod"] > thresholds["staging"] > thresholds["dev"]
    approval = {env: {p["Name"]: p["DefaultValue"] for p in definitions[env]["Parameters"]}["ModelApprovalStatus"]
                for env in ENVIRONMENTS}
    assert approval == {"local": "Approved", "dev": "PendingManualApproval",
                        "staging": "PendingManualApproval", "prod": "PendingManualApproval"}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_spot_and_its_max_wait_follow_the_environment(definitions, env):
    train = steps_by_name(definitions[env])["Train"]["Arguments"]
    spot = load(env).get("pipeline.use_spot")
    assert train["EnableManagedSpotTraining"] is spot
    assert ("MaxWaitTimeInSeconds" in train["StoppingCondition"]) is spot
    assert train["CheckpointConfig"]["LocalPath"] == "/opt/ml/checkpoints"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_jobs_are_encrypted_and_isolated(definitions, env):
    steps = steps_by_name(definitions[env])
    alias = load(env).get("resources.kms_key_alias")
    train = steps["Train"]["Arguments"]
    assert train["OutputDataConfig"]["KmsKeyId"].endswith(alias)
    assert train["ResourceConfig"]["VolumeKmsKeyId"].endswith(alias)
    assert train["EnableNetworkIsolation"] is True
    for name in ("Preprocess", "Evaluate"):
        arguments = steps[name]["Arguments"]
        assert arguments["ProcessingOutputConfig"]["KmsKeyId"].endswith(alias)
        assert arguments["NetworkConfig"]["EnableNetworkIsolation"] is True


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_gate_compares_accuracy_and_champion_drop_with_parameters(definitions, env):
    conditions = definitions[env]["Steps"][3]["Arguments"]["Conditions"]
    assert [(c["Type"], c["LeftValue"]["Std:JsonGet"]["Path"], c["RightValue"]) for c in conditions] == [
        ("GreaterThanOrEqualTo", "binary_classification_metrics.accuracy.value", get("Parameters.AccuracyThreshold")),
        ("LessThanOrEqualTo", "champion_comparison.accuracy_drop", get("Parameters.ChampionMargin")),
    ]
    for condition in conditions:
        assert condition["LeftValue"]["Std:JsonGet"]["PropertyFile"] == get("Steps.Evaluate.PropertyFiles.EvaluationReport")
    evaluate = steps_by_name(definitions[env])["Evaluate"]
    assert evaluate["PropertyFiles"] == [
        {"FilePath": "evaluation.json", "OutputName": "evaluation", "PropertyFileName": "EvaluationReport"}]


def test_fail_step_message_states_the_metric_and_the_threshold(definitions):
    message = steps_by_name(definitions["dev"])["RejectModel"]["Arguments"]["ErrorMessage"]["Std:Join"]
    values = message["Values"]
    assert {"Std:JsonGet": {"Path": "binary_classification_metrics.accuracy.value",
                            "PropertyFile": get("Steps.Evaluate.PropertyFiles.EvaluationReport")}} in values
    assert get("Parameters.AccuracyThreshold") in values
    assert get("Parameters.ChampionMargin") in values
    assert any("Nothing was registered" in v for v in values if isinstance(v, str))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_registration_carries_metrics_lineage_and_the_approval_parameter(definitions, env):
    register = steps_by_name(definitions[env])["RegisterModel"]["Arguments"]
    assert register["ModelPackageGroupName"] == load(env).model_package_group
    assert register["ModelApprovalStatus"] == get("Parameters.ModelApprovalStatus")
    container = register["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"] == get("Steps.Train.ModelArtifacts.S3ModelArtifacts")
    assert "-inference:" in container["Image"]
    statistics = register["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]["Std:Join"]
    assert statistics["Values"][-1] == "evaluation.json"
    lineage = register["CustomerMetadataProperties"]
    assert set(lineage) == {"GitSha", "JobImage", "InferenceImage", "InputDataUri", "TestDataUri",
                            "CodeUri", "Hyperparameters"}
    assert lineage["GitSha"] == "0123456789abcdef0123456789abcdef01234567"
    assert lineage["InputDataUri"] == get("Parameters.InputDataUri")


def test_hyperparameters_are_strings_or_parameters(definitions):
    hyper = steps_by_name(definitions["dev"])["Train"]["Arguments"]["HyperParameters"]
    assert hyper["random_state"] == "42"
    assert hyper["max_iter"] == {"Std:Join": {"On": "", "Values": [get("Parameters.MaxIter")]}}


def test_same_inputs_give_byte_identical_json(generated_definition):
    # The run's shared copy may come from another worker process: byte-identical across processes.
    sha = "0123456789abcdef0123456789abcdef01234567"  # tests/conftest.py's FIXED_SHA
    assert generate("dev", git_sha=sha) == generated_definition("dev")


def test_digests_pin_the_images():
    digest = "sha256:" + "a" * 64
    definition = json.loads(generate("dev", git_sha="abc", job_digest=digest))
    train = steps_by_name(definition)["Train"]["Arguments"]["AlgorithmSpecification"]
    repository = load("dev").get("resources.job_image_repository")
    assert train["TrainingImage"].endswith(f"/{repository}@{digest}")
    register = steps_by_name(definition)["RegisterModel"]["Arguments"]
    assert register["InferenceSpecification"]["Containers"][0]["Image"].endswith("-inference:abc")


def test_generation_makes_no_network_attempt(monkeypatch):
    def refuse(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"network attempt to {address}")
        return original(self, address)

    original = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    assert json.loads(generate("prod", git_sha="abc"))["Steps"]


def test_cli_refuses_an_unknown_environment(capsys):
    assert main(["--env", "qa"]) == 2
    error = capsys.readouterr().err
    assert "ENV='qa' is not an environment" in error and "dev, local, prod, staging" in error


def test_cli_refuses_a_malformed_digest(capsys, tmp_path):
    assert main(["--env", "dev", "--out", str(tmp_path / "d.json"), "--job-image-digest", "latest"]) == 2
    assert "sha256:<64 hex>" in capsys.readouterr().err
    assert not (tmp_path / "d.json").exists()


def test_tuning_flag_replaces_train_with_a_tuning_job_whose_best_model_is_evaluated(tmp_path):
    import shutil

    from env_config import ENVIRONMENTS_DIR

    shutil.copytree(ENVIRONMENTS_DIR, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "staging.yaml"
    path.write_text(path.read_text().replace("    enabled: false\n    max_jobs", "    enabled: true\n    max_jobs", 1))
    definition = json.loads(generate("staging", git_sha="abc", environments_dir=tmp_path))
    assert [s["Name"] for s in definition["Steps"]] == ["Preprocess", "Tune", "Evaluate", "QualityGate", "Baseline"]
    tune = definition["Steps"][1]
    assert tune["Type"] == "Tuning" and tune["CacheConfig"]["Enabled"] is True
    config = tune["Arguments"]["HyperParameterTuningJobConfig"]
    assert config["HyperParameterTuningJobObjective"] == {"MetricName": "validation:accuracy", "Type": "Maximize"}
    job = tune["Arguments"]["TrainingJobDefinition"]
    assert job["EnableNetworkIsolation"] is True and job["EnableInterContainerTrafficEncryption"] is True
    assert [m["Name"] for m in job["AlgorithmSpecification"]["MetricDefinitions"]] == [
        "validation:accuracy", "validation:auc"]
    ranges = config["ParameterRanges"]
    assert [r["Name"] for r in ranges["ContinuousParameterRanges"]] == ["learning_rate"]
    assert [r["Name"] for r in ranges["IntegerParameterRanges"]] == ["max_leaf_nodes"]
    model = next(i for i in steps_by_name(definition)["Evaluate"]["Arguments"]["ProcessingInputs"]
                 if i["InputName"] == "model")["S3Input"]["S3Uri"]["Std:Join"]["Values"]
    assert {"Get": "Steps.Tune.TrainingJobSummaries[0].TrainingJobName"} in model
    assert model[-1] == "output/model.tar.gz"
