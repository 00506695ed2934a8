"""complete_job_definitions: each Training step gets its own entry point, wherever it is nested.

The bug this guards against: every top-level Training step got train.py (a second trainer silently
ran the wrong script) and Training steps nested in a Condition were skipped."""

from __future__ import annotations

import pytest

from build_pipeline.definition import TRAINING_CODE, complete_job_definitions

NETWORK = {"enable_network_isolation": True, "encrypt_inter_container_traffic": True}


def training(name: str, entrypoint: list[str] | None = None) -> dict:
    spec = {"TrainingImage": "image", "TrainingInputMode": "File"}
    if entrypoint:
        spec["ContainerEntrypoint"] = entrypoint
    return {"Name": name, "Type": "Training", "Arguments": {"AlgorithmSpecification": spec}}


def entrypoint(definition: dict, name: str) -> list[str]:
    steps = list(definition["Steps"])
    while steps:
        step = steps.pop()
        if step["Name"] == name:
            return step["Arguments"]["AlgorithmSpecification"]["ContainerEntrypoint"]
        arguments = step.get("Arguments") or {}
        steps += [*(arguments.get("IfSteps") or []), *(arguments.get("ElseSteps") or [])]
    raise KeyError(name)


def test_two_trainers_each_get_their_own_script() -> None:
    definition = {"Steps": [training("Train"), training("TrainBaseline")]}
    complete_job_definitions(
        definition, NETWORK, {"Train": "train.py", "TrainBaseline": "baseline.py"}
    )
    assert entrypoint(definition, "Train") == ["python3", f"{TRAINING_CODE}/train.py"]
    assert entrypoint(definition, "TrainBaseline") == ["python3", f"{TRAINING_CODE}/baseline.py"]


def test_a_training_step_nested_in_a_condition_is_completed() -> None:
    nested = training("Retrain")
    gate = {
        "Name": "Gate",
        "Type": "Condition",
        "Arguments": {"IfSteps": [nested], "ElseSteps": []},
    }
    definition = {"Steps": [training("Train"), gate]}
    complete_job_definitions(definition, NETWORK, {"Train": "train.py", "Retrain": "retrain.py"})
    assert entrypoint(definition, "Retrain") == ["python3", f"{TRAINING_CODE}/retrain.py"]


def test_a_step_that_already_names_its_entry_point_keeps_it() -> None:
    definition = {"Steps": [training("Own", ["python3", "/opt/ml/code/own.py"])]}
    complete_job_definitions(definition, NETWORK, {})
    assert entrypoint(definition, "Own") == ["python3", "/opt/ml/code/own.py"]


def test_a_training_step_without_an_entry_point_is_an_error_naming_it() -> None:
    definition = {"Steps": [training("Train"), training("Mystery")]}
    with pytest.raises(ValueError, match="Training step Mystery has no entry point"):
        complete_job_definitions(definition, NETWORK, {"Train": "train.py"})


def test_nested_tuning_steps_keep_the_trainers_isolation() -> None:
    tune = {"Name": "Tune", "Type": "Tuning", "Arguments": {"TrainingJobDefinition": {}}}
    gate = {"Name": "Gate", "Type": "Condition", "Arguments": {"IfSteps": [tune]}}
    definition = {"Steps": [gate]}
    complete_job_definitions(definition, NETWORK)
    job = tune["Arguments"]["TrainingJobDefinition"]
    assert job["EnableNetworkIsolation"] is True
    assert job["EnableInterContainerTrafficEncryption"] is True
