"""The definition's own structure: top-level keys, Parameters, steps and their common keys, the
steps that have no request shape (Condition, Fail, Lambda, Callback, EMR), DependsOn and cycles.
"""

from __future__ import annotations

import graphlib
import re
from typing import Any

from definition_check.context import Context, child, describe
from definition_check.expressions import is_expression, scan
from definition_check.request_shapes import check_request
from definition_check.step_types import COMMON_KEYS, step_type

VERSION = "2020-12-01"
TOP_LEVEL = frozenset(
    {"Version", "Metadata", "Parameters", "PipelineExperimentConfig", "Steps", "MlflowConfig"}
)
PARAMETER_TYPES = {"String": (str,), "Integer": (int,), "Float": (int, float), "Boolean": (bool,)}
# Step names as SageMaker Pipelines accepts them (the pipeline definition JSON schema).
STEP_NAME = re.compile(r"[A-Za-z0-9\-_]{1,64}")
PARAMETER_NAME = re.compile(r"[A-Za-z0-9\-_]{1,64}")
CONDITION_TYPES = frozenset(
    {"Equals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo", "In",
     "Not", "Or"}
)  # fmt: skip
ISO_DURATION = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?")


def dig(value: Any, *keys: str) -> Any:
    """value[k1][k2]... or None when a level is missing or not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def check_top_level(definition: Any, ctx: Context) -> list[dict[str, Any]]:
    """Top-level keys, Version, Parameters; returns the top-level steps (empty when unusable)."""
    if not isinstance(definition, dict):
        ctx.problem(
            None, "(root)", f"a pipeline definition is a JSON object, got {describe(definition)}"
        )
        return []
    for key in definition:
        if key not in TOP_LEVEL:
            ctx.problem(
                None, key, f"unknown top-level field (known: {', '.join(sorted(TOP_LEVEL))})"
            )
    if definition.get("Version") != VERSION:
        ctx.problem(
            None, "Version", f"must be {VERSION!r}, got {describe(definition.get('Version'))}"
        )
    _parameters(definition.get("Parameters", []), ctx)
    steps = definition.get("Steps")
    if not isinstance(steps, list) or not steps:
        ctx.problem(None, "Steps", f"must be a non-empty list of steps, got {describe(steps)}")
        return []
    return steps


def _parameters(parameters: Any, ctx: Context) -> None:
    if not isinstance(parameters, list):
        ctx.problem(None, "Parameters", f"must be a list, got {describe(parameters)}")
        return
    for index, parameter in enumerate(parameters):
        path = child("Parameters", index)
        if not isinstance(parameter, dict):
            ctx.problem(
                None, path, f"must be an object with Name and Type, got {describe(parameter)}"
            )
            continue
        name, kind = parameter.get("Name"), parameter.get("Type", "String")
        for key in set(parameter) - {"Name", "Type", "DefaultValue", "EnumValues"}:
            ctx.problem(
                None,
                child(path, key),
                "unknown field (a parameter has Name, Type, DefaultValue, EnumValues)",
            )
        if not isinstance(name, str) or not PARAMETER_NAME.fullmatch(name):
            ctx.problem(
                None,
                child(path, "Name"),
                f"must be 1-64 letters, digits, - or _, got {describe(name)}",
            )
            continue
        if name in ctx.parameters:
            ctx.problem(None, child(path, "Name"), f"parameter {name!r} is declared twice")
        ctx.parameters[name] = parameter
        if not isinstance(kind, str) or kind not in PARAMETER_TYPES:
            ctx.problem(
                None,
                child(path, "Type"),
                f"must be one of {', '.join(PARAMETER_TYPES)}, got {describe(kind)}",
            )
            continue
        expected = PARAMETER_TYPES[kind]
        values = (
            [("DefaultValue", parameter["DefaultValue"])] if "DefaultValue" in parameter else []
        )
        enum = parameter.get("EnumValues") or []
        if not isinstance(enum, list):
            ctx.problem(None, child(path, "EnumValues"), f"must be a list, got {describe(enum)}")
            enum = []
        values += [(f"EnumValues[{i}]", v) for i, v in enumerate(enum)]
        for key, value in values:
            wrong_bool = isinstance(value, bool) and kind != "Boolean"
            if wrong_bool or not isinstance(value, expected):
                ctx.problem(
                    None,
                    f"{path}.{key}",
                    f"a {kind} parameter needs a {kind.lower()} value, got {describe(value)}",
                )


def index_steps(steps: list[Any], ctx: Context, path: str = "Steps") -> list[tuple[str, dict]]:
    """Every step, also those inside Condition branches, by name; (path, step) pairs in order."""
    found: list[tuple[str, dict]] = []
    for index, step in enumerate(steps):
        where = child(path, index)
        if not isinstance(step, dict):
            ctx.problem(
                None,
                where,
                f"a step is an object with Name, Type and Arguments, got {describe(step)}",
            )
            continue
        name = step.get("Name")
        if not isinstance(name, str) or not STEP_NAME.fullmatch(name):
            ctx.problem(
                None,
                child(where, "Name"),
                f"a step name is 1-64 letters, digits, - or _, got {describe(name)}",
            )
            continue
        if name in ctx.steps:
            ctx.problem(
                name, "Name", "two steps have this name: step names are unique in a pipeline"
            )
            continue
        ctx.steps[name] = step
        found.append((where, step))
        if step.get("Type") == "Condition" and isinstance(step.get("Arguments"), dict):
            for branch in ("IfSteps", "ElseSteps"):
                nested = step["Arguments"].get(branch, [])
                if isinstance(nested, list):
                    found += index_steps(nested, ctx, f"{where}.Arguments.{branch}")
    return found


def check_step(step: dict[str, Any], ctx: Context) -> None:
    """One step: its keys, DependsOn, CacheConfig, and its Arguments by type."""
    name, kind_name = step["Name"], step.get("Type")
    kind = step_type(str(kind_name))
    if kind is None:
        ctx.note(
            f"step {name}: type {kind_name!r} is not known to the checker: only its references were checked"
        )
        scan({k: v for k, v in step.items() if k not in ("Name", "Type")}, ctx, name, "")
        return
    for key in set(step) - COMMON_KEYS - kind.extra_keys:
        ctx.problem(name, key, f"unknown field for a {kind_name} step")
    _depends_on(step, ctx)
    _cache_config(step, ctx)
    arguments = step.get("Arguments")
    if kind.request:
        check_request(arguments, kind.request, kind.supplied, ctx, name)
    elif kind_name == "Condition":
        _condition_step(arguments, ctx, name)
    elif kind_name == "Fail":
        _fail_step(arguments, ctx, name)
    else:
        ctx.note(f"step {name} ({kind_name}): {kind.note}")
        scan(arguments, ctx, name, "Arguments")
    if "PropertyFiles" in step:
        _property_files(step, ctx)
    if "OutputParameters" in step:
        _output_parameters(step, ctx)
    for key in set(step) & (kind.extra_keys - {"PropertyFiles", "OutputParameters"}):
        scan(step[key], ctx, name, key)


def _depends_on(step: dict[str, Any], ctx: Context) -> None:
    name, depends = step["Name"], step.get("DependsOn", [])
    if not isinstance(depends, list):
        ctx.problem(name, "DependsOn", f"must be a list of step names, got {describe(depends)}")
        return
    for index, entry in enumerate(depends):
        other = entry.get("Step") if isinstance(entry, dict) else entry
        if not isinstance(other, str) or other not in ctx.steps:
            ctx.problem(
                name, child("DependsOn", index), f"{describe(other)} is not a step of this pipeline"
            )
        elif other == name:
            ctx.problem(name, child("DependsOn", index), "a step cannot depend on itself")
        else:
            ctx.referenced(name, other)


def _cache_config(step: dict[str, Any], ctx: Context) -> None:
    config = step.get("CacheConfig")
    if config is None:
        return
    name = step["Name"]
    if not isinstance(config, dict) or not isinstance(config.get("Enabled"), bool):
        ctx.problem(name, "CacheConfig.Enabled", "CacheConfig needs Enabled: true|false")
        return
    for key in set(config) - {"Enabled", "ExpireAfter"}:
        ctx.problem(
            name, f"CacheConfig.{key}", "unknown field (CacheConfig has Enabled, ExpireAfter)"
        )
    expire = config.get("ExpireAfter")
    if expire is not None and not (isinstance(expire, str) and ISO_DURATION.fullmatch(expire)):
        ctx.problem(
            name,
            "CacheConfig.ExpireAfter",
            f"must be an ISO 8601 duration such as 'P30D', got {describe(expire)}",
        )


def _condition_step(arguments: Any, ctx: Context, name: str) -> None:
    if not isinstance(arguments, dict):
        ctx.problem(
            name,
            "Arguments",
            f"a Condition step takes Conditions, IfSteps, ElseSteps, got {describe(arguments)}",
        )
        return
    for key in set(arguments) - {"Conditions", "IfSteps", "ElseSteps"}:
        ctx.problem(
            name,
            f"Arguments.{key}",
            "unknown field (a Condition has Conditions, IfSteps, ElseSteps)",
        )
    conditions = arguments.get("Conditions")
    if not isinstance(conditions, list) or not conditions:
        ctx.problem(name, "Arguments.Conditions", "must be a non-empty list of conditions")
        return
    for index, condition in enumerate(conditions):
        _condition(condition, ctx, name, child("Arguments.Conditions", index))
    for branch in ("IfSteps", "ElseSteps"):
        if not isinstance(arguments.get(branch, []), list):
            ctx.problem(name, f"Arguments.{branch}", "must be a list of steps")


def _condition(condition: Any, ctx: Context, name: str, path: str) -> None:
    kind = condition.get("Type") if isinstance(condition, dict) else None
    if not isinstance(kind, str) or kind not in CONDITION_TYPES:
        ctx.problem(
            name,
            child(path, "Type"),
            f"must be one of {', '.join(sorted(CONDITION_TYPES))}, got {describe(kind)}",
        )
        return
    expected = {
        "In": {"QueryValue", "Values"},
        "Not": {"Condition"},
        "Or": {"Conditions"},
    }.get(kind, {"LeftValue", "RightValue"})
    for key in expected - set(condition):
        ctx.problem(name, child(path, key), f"a {kind} condition needs {key}")
    for key in set(condition) - expected - {"Type"}:
        ctx.problem(
            name,
            child(path, key),
            f"unknown field for a {kind} condition ({', '.join(sorted(expected))})",
        )
    if kind == "Not" and "Condition" in condition:
        _condition(condition["Condition"], ctx, name, child(path, "Condition"))
    elif kind == "Or" and isinstance(condition.get("Conditions"), list):
        for index, inner in enumerate(condition["Conditions"]):
            _condition(inner, ctx, name, child(child(path, "Conditions"), index))
    else:
        for key in expected & set(condition):
            _operand(condition[key], ctx, name, child(path, key), allow_list=key == "Values")


def _operand(value: Any, ctx: Context, name: str, path: str, allow_list: bool) -> None:
    if allow_list and isinstance(value, list):
        for index, item in enumerate(value):
            _operand(item, ctx, name, child(path, index), allow_list=False)
    elif is_expression(value):
        scan(value, ctx, name, path)
    elif isinstance(value, (dict, list)):
        ctx.problem(
            name, path, f"a condition compares values or expressions, got {describe(value)}"
        )


def _fail_step(arguments: Any, ctx: Context, name: str) -> None:
    if arguments is None:
        return
    if not isinstance(arguments, dict) or set(arguments) - {"ErrorMessage"}:
        ctx.problem(name, "Arguments", "a Fail step takes only ErrorMessage")
        return
    message = arguments.get("ErrorMessage")
    if message is not None and not (isinstance(message, str) or is_expression(message)):
        ctx.problem(
            name,
            "Arguments.ErrorMessage",
            f"must be a string or an expression, got {describe(message)}",
        )
    scan(message, ctx, name, "Arguments.ErrorMessage")


def _property_files(step: dict[str, Any], ctx: Context) -> None:
    """Each property file reads a file of one of the step's own outputs."""
    name = step["Name"]
    outputs = dig(step, "Arguments", "ProcessingOutputConfig", "Outputs")
    output_names = {
        o.get("OutputName")
        for o in (outputs if isinstance(outputs, list) else [])
        if isinstance(o, dict) and isinstance(o.get("OutputName"), str)
    }
    files = step["PropertyFiles"]
    if not isinstance(files, list):
        ctx.problem(name, "PropertyFiles", "must be a list")
        return
    for index, entry in enumerate(files):
        path = child("PropertyFiles", index)
        if not isinstance(entry, dict):
            ctx.problem(name, path, f"must be an object, got {describe(entry)}")
            continue
        for key in ("PropertyFileName", "OutputName", "FilePath"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                ctx.problem(name, child(path, key), "required (a non-empty string)")
        for key in set(entry) - {"PropertyFileName", "OutputName", "FilePath"}:
            ctx.problem(
                name, child(path, key), "unknown field (PropertyFileName, OutputName, FilePath)"
            )
        output = entry.get("OutputName")
        if isinstance(output, str) and output not in output_names:
            ctx.problem(
                name,
                child(path, "OutputName"),
                f"{output!r} is not one of this step's outputs ({', '.join(sorted(map(str, output_names))) or 'none'})",
            )


def _output_parameters(step: dict[str, Any], ctx: Context) -> None:
    name, entries = step["Name"], step["OutputParameters"]
    if not isinstance(entries, list):
        ctx.problem(name, "OutputParameters", "must be a list of {OutputName, OutputType}")
        return
    for index, entry in enumerate(entries):
        path = child("OutputParameters", index)
        if not isinstance(entry, dict) or not isinstance(entry.get("OutputName"), str):
            ctx.problem(name, path, "needs an OutputName")
        elif str(entry.get("OutputType", "String")) not in PARAMETER_TYPES:
            ctx.problem(
                name, child(path, "OutputType"), f"must be one of {', '.join(PARAMETER_TYPES)}"
            )


def check_cycles(ctx: Context) -> None:
    """A step that (through references or DependsOn) waits for itself never starts."""
    try:
        graphlib.TopologicalSorter(ctx.references).prepare()
    except graphlib.CycleError as error:
        cycle = error.args[1]
        ctx.problem(
            cycle[0], "DependsOn", f"steps wait for each other in a cycle: {' -> '.join(cycle)}"
        )


def check_experiment_config(definition: dict[str, Any], ctx: Context) -> None:
    config = definition.get("PipelineExperimentConfig")
    if config is None:
        return
    if not isinstance(config, dict) or set(config) - {"ExperimentName", "TrialName"}:
        ctx.problem(None, "PipelineExperimentConfig", "takes ExperimentName and TrialName")
        return
    scan(config, ctx, None, "PipelineExperimentConfig")
