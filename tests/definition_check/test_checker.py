"""validate(definition): the definition checked against SageMaker's API model (botocore's service
model stands behind every assertion on fields, types, enums and property paths)."""

from __future__ import annotations

import json

import pytest

from definition_check import check, validate


def lines(definition: dict) -> list[str]:
    return [str(problem) for problem in validate(definition)]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_template_definitions_are_valid(template_definitions, env):
    report = check(template_definitions[env])
    assert report.problems == []
    assert report.notes == []  # every step of ours has a request shape or a structure check


def test_a_definition_the_template_did_not_write_is_valid(foreign_definition):
    report = check(foreign_definition)
    assert report.problems == []
    assert any("PickModel (Lambda)" in note for note in report.notes)


def test_an_unknown_field_names_step_field_and_the_close_match(dev, step_of):
    step_of(dev)["Preprocess"]["Arguments"]["AppSpecification"]["ImageUrl"] = "x"
    assert lines(dev) == [
        "step Preprocess: Arguments.AppSpecification.ImageUrl: unknown field: did you mean 'ImageUri'?"
    ]


def test_a_wrong_type_names_step_field_and_shape(dev, step_of):
    step_of(dev)["Train"]["Arguments"]["StoppingCondition"]["MaxRuntimeInSeconds"] = "3600"
    [problem] = lines(dev)
    assert problem.startswith(
        "step Train: Arguments.StoppingCondition.MaxRuntimeInSeconds: expects an integer"
    )


def test_a_missing_required_member_is_reported(dev, step_of):
    del step_of(dev)["Evaluate"]["Arguments"]["RoleArn"]
    assert lines(dev) == [
        "step Evaluate: Arguments.RoleArn: required by CreateProcessingJobRequest but missing"
    ]


def test_the_job_name_is_not_required_because_the_pipeline_fills_it_in(dev, step_of):
    assert "ProcessingJobName" not in step_of(dev)["Preprocess"]["Arguments"]
    assert validate(dev) == []


def test_an_enum_value_sagemaker_does_not_know(dev, step_of):
    config = step_of(dev)["Train"]["Arguments"]["ResourceConfig"]
    config["InstanceType"] = "ml.m5.larg"
    [problem] = lines(dev)
    assert "step Train: Arguments.ResourceConfig.InstanceType:" in problem
    assert "(closest: ml.m5.large," in problem


def test_a_parameter_default_outside_the_fields_enum_is_reported_where_it_is_used(dev):
    instance_type = next(p for p in dev["Parameters"] if p["Name"] == "ProcessingInstanceType")
    instance_type["DefaultValue"] = "ml.m5.huge"
    users = [
        s["Name"] for s in dev["Steps"] if "Parameters.ProcessingInstanceType" in json.dumps(s)
    ]
    problems = lines(dev)
    assert len(users) >= 2 and len(problems) == len(users)  # once per step that uses it
    assert all(
        "ClusterConfig.InstanceType: Parameters.ProcessingInstanceType's default" in p
        for p in problems
    )


def test_minimum_and_pattern_from_the_model(dev, step_of):
    arguments = step_of(dev)["Preprocess"]["Arguments"]
    arguments["StoppingCondition"]["MaxRuntimeInSeconds"] = 0
    arguments["RoleArn"] = "sagemaker-gitops-dev-execution"
    problems = lines(dev)
    assert any("MaxRuntimeInSeconds: value 0 is below" in p for p in problems)
    assert any(
        "RoleArn: value string 'sagemaker-gitops-dev-execution' does not match" in p
        for p in problems
    )


def test_a_property_path_that_does_not_exist(dev, step_of):
    source = step_of(dev)["Evaluate"]["Arguments"]["ProcessingInputs"][1]["S3Input"]
    source["S3Uri"] = {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifact"}
    assert lines(dev) == [
        "step Evaluate: Arguments.ProcessingInputs[1].S3Input.S3Uri.Get: "
        "'Steps.Train.ModelArtifacts.S3ModelArtifact' does not resolve: "
        "ModelArtifacts has no 'S3ModelArtifact': did you mean 'S3ModelArtifacts'?"
    ]


def test_a_named_output_the_step_does_not_define(dev, step_of):
    channel = step_of(dev)["Train"]["Arguments"]["InputDataConfig"][1]["DataSource"]
    channel["S3DataSource"]["S3Uri"] = {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['trian'].S3Output.S3Uri"
    }
    [problem] = lines(dev)
    assert problem.startswith(
        "step Train: Arguments.InputDataConfig[1].DataSource.S3DataSource.S3Uri.Get:"
    )
    assert "no item named 'trian'" in problem and "train, validation" in problem


def test_a_reference_to_a_step_that_does_not_exist(dev, step_of):
    step_of(dev)["RegisterModel"]["Arguments"]["InferenceSpecification"]["Containers"][0][
        "ModelDataUrl"
    ] = {"Get": "Steps.Training.ModelArtifacts.S3ModelArtifacts"}
    [problem] = lines(dev)
    assert (
        "step RegisterModel: Arguments.InferenceSpecification.Containers[0].ModelDataUrl.Get"
        in problem
    )
    assert "step 'Training', which the definition does not have" in problem


def test_an_unknown_parameter(dev, step_of):
    step_of(dev)["Preprocess"]["Arguments"]["ProcessingInputs"][1]["S3Input"]["S3Uri"] = {
        "Get": "Parameters.InputUri"
    }
    [problem] = lines(dev)
    assert problem.startswith(
        "step Preprocess: Arguments.ProcessingInputs[1].S3Input.S3Uri.Get: "
        "Parameters.InputUri is not declared in Parameters"
    )


def test_an_unknown_execution_variable(dev, step_of):
    output = step_of(dev)["Preprocess"]["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]
    output["S3Output"]["S3Uri"]["Std:Join"]["Values"][1] = {"Get": "Execution.ExecutionId"}
    [problem] = lines(dev)
    assert (
        "S3Uri['Std:Join'].Values[1].Get: 'Execution.ExecutionId' is not an execution variable"
        in problem
    )


def test_an_expression_where_a_structure_is_required(dev, step_of):
    step_of(dev)["Train"]["Arguments"]["ResourceConfig"] = {
        "Get": "Parameters.TrainingInstanceType"
    }
    [problem] = lines(dev)
    assert problem.startswith(
        "step Train: Arguments.ResourceConfig: expects a structure (ResourceConfig)"
    )


def test_an_expression_in_a_string_field_is_fine_but_a_parameter_of_another_type_is_not(
    dev, step_of
):
    hyperparameters = step_of(dev)["Train"]["Arguments"]["HyperParameters"]
    hyperparameters["max_iter"] = {"Get": "Execution.PipelineExecutionId"}
    assert validate(dev) == []
    hyperparameters["max_iter"] = {"Get": "Parameters.MaxIter"}
    [problem] = lines(dev)
    assert "Parameters.MaxIter is an integer, the field expects a string" in problem
    assert "Std:Join" in problem


def test_a_property_file_that_is_not_declared(dev, step_of):
    condition = step_of(dev)["QualityGate"]["Arguments"]["Conditions"][0]
    condition["LeftValue"]["Std:JsonGet"]["PropertyFile"][
        "Get"
    ] = "Steps.Evaluate.PropertyFiles.Report"
    [problem] = lines(dev)
    assert problem.startswith(
        "step QualityGate: Arguments.Conditions[0].LeftValue['Std:JsonGet'].PropertyFile:"
    )
    assert "declares no property file 'Report' (it declares: EvaluationReport)" in problem


def test_a_property_file_must_read_one_of_the_steps_outputs(dev, step_of):
    step_of(dev)["Evaluate"]["PropertyFiles"][0]["OutputName"] = "report"
    assert lines(dev) == [
        "step Evaluate: PropertyFiles[0].OutputName: 'report' is not one of this step's outputs (evaluation)"
    ]


def test_depends_on_names_must_exist_and_not_form_a_cycle(dev, step_of):
    step_of(dev)["Train"]["DependsOn"] = ["Prepare"]
    assert lines(dev) == [
        "step Train: DependsOn[0]: string 'Prepare' is not a step of this pipeline"
    ]
    step_of(dev)["Train"]["DependsOn"] = []
    step_of(dev)["Preprocess"]["DependsOn"] = ["Evaluate"]
    [problem] = lines(dev)
    assert "steps wait for each other in a cycle" in problem


def test_step_names_are_unique_across_condition_branches(dev, step_of):
    step_of(dev)["RejectModel"]["Name"] = "Train"
    assert "step Train: Name: two steps have this name" in lines(dev)[0]


def test_an_unknown_condition_type_and_step_key(dev, step_of):
    gate = step_of(dev)["QualityGate"]
    gate["Arguments"]["Conditions"][1]["Type"] = "AtMost"
    gate["Retries"] = 3
    problems = lines(dev)
    assert "step QualityGate: Retries: unknown field for a Condition step" in problems
    assert any(
        p.startswith("step QualityGate: Arguments.Conditions[1].Type: must be one of")
        for p in problems
    )


def test_lambda_output_parameters_are_checked_by_name(foreign, step_of):
    message = step_of(foreign)["Stop"]["Arguments"]["ErrorMessage"]["Std:Join"]["Values"]
    message[1] = {"Get": "Steps.PickModel.OutputParameters['model']"}
    [problem] = lines(foreign)
    assert problem.startswith("step Stop: Arguments.ErrorMessage['Std:Join'].Values[1].Get:")
    assert "output parameter 'model' is not declared" in problem


def test_a_transform_property_path_is_checked_against_describe_transform_job(foreign, step_of):
    step_of(foreign)["Notify"]["Arguments"]["output"] = {
        "Get": "Steps.Score.TransformOutput.S3Path"
    }
    [problem] = lines(foreign)
    assert "TransformOutput has no 'S3Path': did you mean 'S3OutputPath'?" in problem


def test_an_unknown_step_type_is_passed_with_a_note_and_its_references_checked(foreign):
    foreign["Steps"].append(
        {"Name": "Custom", "Type": "SomethingNew", "Arguments": {"X": {"Get": "Parameters.Nope"}}}
    )
    report = check(foreign)
    assert [str(p) for p in report.problems] == [
        "step Custom: Arguments.X.Get: Parameters.Nope is not declared in Parameters "
        "(declared: BatchInput, Instances, Mode)"
    ]
    assert any("'SomethingNew' is not known to the checker" in note for note in report.notes)


def test_top_level_problems_name_the_pipeline():
    assert [str(p) for p in validate({"Version": "2020-12-01", "Steps": [], "Extra": 1})] == [
        "pipeline: Extra: unknown top-level field (known: Metadata, MlflowConfig, Parameters, PipelineExperimentConfig, Steps, Version)",
        "pipeline: Steps: must be a non-empty list of steps, got a list of 0",
    ]
    assert [str(p) for p in validate([])] == [
        "pipeline: (root): a pipeline definition is a JSON object, got a list of 0"
    ]


def test_parameter_declarations_are_checked(dev):
    dev["Parameters"][2]["DefaultValue"] = "0.9"
    dev["Parameters"].append({"Name": "Flag", "Type": "Bool"})
    problems = lines(dev)
    assert (
        "pipeline: Parameters[2].DefaultValue: a Float parameter needs a float value, got string '0.9'"
        in problems
    )
    assert any(
        p.startswith("pipeline: Parameters[13].Type: must be one of String, Integer")
        for p in problems
    )


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@pytest.mark.slow
def test_any_json_in_any_place_gives_problems_never_an_exception(template_definitions):
    """Every other node of dev's definition replaced by a value of another JSON kind (or a broken
    expression): the checker reports or accepts it, it never raises (the CLI prints no traceback).
    """
    base = template_definitions["dev"]
    for path in list(_paths(base))[1::2]:
        for value in (None, [], {"Get": 5}):
            mutated = json.loads(json.dumps(base))
            node = mutated
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            validate(mutated)  # must not raise
