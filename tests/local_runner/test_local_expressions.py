"""The expression language on its own: Get, Std:Join, Std:JsonGet, every condition type."""

from __future__ import annotations

import pytest

from local_runner.executor import DefinitionError, parse_duration
from local_runner.expressions import (
    Context,
    ExpressionError,
    PropertyFileRef,
    UnsupportedError,
    evaluate,
    resolve,
    split_path,
)

REPORT = {"metrics": {"accuracy": {"value": 0.93}}, "items": [{"v": 1}, {"v": 2}]}


def context() -> Context:
    ctx = Context(
        {"Threshold": 0.9, "Count": 3, "Flag": True, "Name": "abc"},
        {"PipelineExecutionId": "exec-1", "PipelineName": "p"},
        read_property_file=lambda ref: REPORT if ref == PropertyFileRef("Eval", "Report") else {},
        read_s3_json=lambda uri: {"from": uri},
    )
    ctx.steps["Prep"] = {
        "ProcessingOutputConfig": {
            "Outputs": [
                {"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}},
                {"OutputName": "test", "S3Output": {"S3Uri": "s3://b/test"}},
            ]
        }
    }
    ctx.steps["Fit"] = {"ModelArtifacts": {"S3ModelArtifacts": "s3://b/m.tar.gz"}}
    ctx.steps["Eval"] = {}
    return ctx


def jsonget(path: str) -> dict:
    return {
        "Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"}, "Path": path}
    }


def test_split_path_handles_dots_indexes_and_quoted_keys():
    assert split_path("A.B[0].C['k'].D") == ["A", "B", 0, "C", "k", "D"]
    with pytest.raises(ExpressionError, match="cannot parse"):
        split_path("A.B[x")


def test_get_parameters_execution_and_step_properties():
    ctx = context()
    assert resolve({"Get": "Parameters.Threshold"}, ctx) == 0.9
    assert resolve({"Get": "Execution.PipelineExecutionId"}, ctx) == "exec-1"
    uri = "Steps.Prep.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"
    assert resolve({"Get": uri}, ctx) == "s3://b/test"
    assert (
        resolve({"Get": "Steps.Prep.ProcessingOutputConfig.Outputs[0].OutputName"}, ctx) == "train"
    )
    assert resolve({"Get": "Steps.Fit.ModelArtifacts.S3ModelArtifacts"}, ctx) == "s3://b/m.tar.gz"
    nested = {"a": [{"Get": "Parameters.Name"}, 1], "b": {"c": {"Get": "Parameters.Count"}}}
    assert resolve(nested, ctx) == {"a": ["abc", 1], "b": {"c": 3}}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("Parameters.Nope", "no parameter 'Nope'"),
        ("Steps.Missing.X", "step 'Missing' has not run"),
        ("Steps.Prep.ProcessingOutputConfig.Outputs['validation'].S3Output.S3Uri", "validation"),
        ("Steps.Fit.ModelArtifacts.Wrong", "Wrong does not exist"),
    ],
)
def test_get_errors_name_the_wrong_path(path, message):
    with pytest.raises(ExpressionError, match=message):
        resolve({"Get": path}, context())


def test_unknown_execution_variable_and_function_are_unsupported():
    with pytest.raises(UnsupportedError, match="TrainingJobName"):
        resolve({"Get": "Execution.TrainingJobName"}, context())
    with pytest.raises(UnsupportedError, match="Std:Concat"):
        resolve({"Std:Concat": {"Values": ["a"]}}, context())


def test_join_renders_numbers_booleans_and_nested_expressions():
    value = {
        "Std:Join": {
            "On": "/",
            "Values": [
                "s3://b",
                {"Get": "Execution.PipelineExecutionId"},
                {"Get": "Parameters.Count"},
                {"Get": "Parameters.Flag"},
                {"Std:Join": {"On": "", "Values": [{"Get": "Parameters.Threshold"}]}},
            ],
        }
    }
    assert resolve(value, context()) == "s3://b/exec-1/3/true/0.9"


def test_json_get_reads_the_property_file_and_names_a_missing_path():
    ctx = context()
    assert resolve(jsonget("metrics.accuracy.value"), ctx) == 0.93
    assert resolve(jsonget("items[1].v"), ctx) == 2
    with pytest.raises(ExpressionError, match=r"metrics\.precision"):
        resolve(jsonget("metrics.precision.value"), ctx)
    s3 = {
        "Std:JsonGet": {
            "S3Uri": {"Std:Join": {"On": "/", "Values": ["s3://b", "x.json"]}},
            "Path": "from",
        }
    }
    assert resolve(s3, ctx) == "s3://b/x.json"


def test_a_property_file_reference_is_only_usable_in_json_get():
    with pytest.raises(ExpressionError, match="only be read through Std:JsonGet"):
        resolve(
            {"Std:Join": {"On": "", "Values": [{"Get": "Steps.Eval.PropertyFiles.Report"}]}},
            context(),
        )


def comparison(kind: str, left, right) -> dict:
    return {"Type": kind, "LeftValue": left, "RightValue": right}


@pytest.mark.parametrize(
    ("kind", "left", "right", "expected"),
    [
        ("Equals", 1, 1.0, True),
        ("Equals", "abc", {"Get": "Parameters.Name"}, True),
        ("Equals", "abc", "abd", False),
        ("GreaterThan", jsonget("metrics.accuracy.value"), {"Get": "Parameters.Threshold"}, True),
        ("GreaterThan", 0.9, 0.9, False),
        ("GreaterThanOrEqualTo", 0.9, {"Get": "Parameters.Threshold"}, True),
        ("GreaterThanOrEqualTo", 0.89, 0.9, False),
        ("LessThan", 2, {"Get": "Parameters.Count"}, True),
        ("LessThan", 3, 3, False),
        ("LessThanOrEqualTo", 3, {"Get": "Parameters.Count"}, True),
        ("LessThanOrEqualTo", 4, 3, False),
    ],
)
def test_comparisons(kind, left, right, expected):
    assert evaluate(comparison(kind, left, right), context()) is expected


def test_in_not_or():
    ctx = context()
    assert evaluate(
        {"Type": "In", "QueryValue": {"Get": "Parameters.Count"}, "Values": [1, 3]}, ctx
    )
    assert not evaluate({"Type": "In", "QueryValue": "x", "Values": ["a", "b"]}, ctx)
    true = comparison("Equals", 1, 1)
    false = comparison("Equals", 1, 2)
    assert evaluate({"Type": "Not", "Condition": false}, ctx)
    assert not evaluate({"Type": "Not", "Condition": true}, ctx)
    assert evaluate({"Type": "Or", "Conditions": [false, true]}, ctx)
    assert not evaluate({"Type": "Or", "Conditions": [false, false]}, ctx)


def test_unsupported_condition_and_mismatched_types_are_errors():
    with pytest.raises(UnsupportedError, match="'And'"):
        evaluate({"Type": "And", "Conditions": []}, context())
    with pytest.raises(ExpressionError, match="cannot compare"):
        evaluate(comparison("GreaterThan", "abc", 1), context())


def test_iso8601_durations():
    assert parse_duration("P30D") == 30 * 86400
    assert parse_duration("PT1H30M") == 5400
    assert parse_duration("P1DT12H") == 36 * 3600
    assert parse_duration("30d") == 30 * 86400
    assert parse_duration("PT0S") == 0
    with pytest.raises(DefinitionError, match="ISO 8601"):
        parse_duration("thirty days")
