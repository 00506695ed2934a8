"""The definition's expression language: Get, Std:Join, Std:JsonGet, and the condition types.

The JSON shapes match what the SageMaker SDK serialises (sagemaker.core.workflow: functions.Join,
functions.JsonGet, properties.Properties, execution_variables, conditions). Anything else that looks
like a function ({"Std:...": ...}) or an unknown condition type is an UnsupportedError that names
it: nothing is silently passed through.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

EXECUTION_VARIABLES = (
    "PipelineExecutionId",
    "PipelineExecutionArn",
    "PipelineName",
    "PipelineArn",
    "StartDateTime",
    "CurrentDateTime",
)
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanOrEqualTo": lambda a, b: a >= b,
    "LessThan": lambda a, b: a < b,
    "LessThanOrEqualTo": lambda a, b: a <= b,
}
CONDITION_TYPES = (*COMPARISONS, "In", "Not", "Or")
FUNCTIONS = ("Get", "Std:Join", "Std:JsonGet")


class UnsupportedError(ValueError):
    """A step type, function or condition that the local runner does not implement."""


class ExpressionError(ValueError):
    """An expression that does not resolve: a wrong property path, a missing parameter, ..."""


@dataclass(frozen=True)
class PropertyFileRef:
    """What {"Get": "Steps.S.PropertyFiles.P"} resolves to: only Std:JsonGet may consume it."""

    step: str
    name: str


class Context:
    """What expressions can see: parameters, execution variables, finished steps' properties."""

    def __init__(
        self,
        parameters: Mapping[str, Any],
        execution: Mapping[str, Any],
        read_property_file: Callable[[PropertyFileRef], Any] | None = None,
        read_s3_json: Callable[[str], Any] | None = None,
    ):
        self.parameters = dict(parameters)
        self.execution = dict(execution)
        self.steps: dict[str, dict[str, Any]] = {}
        self.read_property_file = read_property_file
        self.read_s3_json = read_s3_json

    def at(self, current_datetime: str) -> Context:
        """The same context as one step sees it: ExecutionVariables.CURRENT_DATETIME is that
        step's start time (SageMaker evaluates it per step), everything else is shared."""
        view = Context(
            self.parameters,
            {**self.execution, "CurrentDateTime": current_datetime},
            self.read_property_file,
            self.read_s3_json,
        )
        view.steps = self.steps
        return view


_TOKEN = re.compile(r"\.?([A-Za-z0-9_:\-]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def split_path(path: str) -> list[str | int]:
    """'A.B[0].C['k']' -> ['A', 'B', 0, 'C', 'k']; a malformed path is an ExpressionError."""
    parts: list[str | int] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if not match or match.end() == position:
            raise ExpressionError(f"cannot parse property path '{path}' at character {position}.")
        name, index, quoted, double_quoted = match.groups()
        if name is not None:
            parts.append(name)
        elif index is not None:
            parts.append(int(index))
        else:
            parts.append(quoted if quoted is not None else double_quoted)
        position = match.end()
    return parts


NAME_FIELDS = ("OutputName", "ChannelName", "InputName", "MetricName", "Name", "PropertyFileName")


def navigate(root: Any, parts: list[str | int], where: str) -> Any:
    """Follow a property path. A string index into a list matches the item's name field
    (Outputs['train'] is the output whose OutputName is 'train'), as SageMaker does."""
    node = root
    walked = where
    for part in parts:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise ExpressionError(f"{walked}[{part}] does not exist.")
            node = node[part]
            walked += f"[{part}]"
        elif isinstance(node, list):
            matches = [
                item
                for item in node
                if isinstance(item, dict) and any(item.get(f) == part for f in NAME_FIELDS)
            ]
            if not matches:
                names = [next((i[f] for f in NAME_FIELDS if f in i), "?") for i in node]
                raise ExpressionError(f"{walked}['{part}'] does not exist (there are: {names}).")
            node = matches[0]
            if walked.endswith("OutputParameters") and set(node) == {"Name", "Value"}:
                node = node["Value"]  # Lambda/Callback: OutputParameters['x'] is x's value
            walked += f"['{part}']"
        elif isinstance(node, dict):
            if part not in node:
                raise ExpressionError(
                    f"{walked}.{part} does not exist (available: {sorted(node)})."
                )
            node = node[part]
            walked += f".{part}"
        else:
            raise ExpressionError(f"{walked} is a {type(node).__name__}, it has no '{part}'.")
    return node


def is_function(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in FUNCTIONS


def find_functions(value: Any) -> list[str]:
    """Every function name used anywhere in value (to refuse unsupported ones before running)."""
    found: list[str] = []
    if isinstance(value, dict):
        if len(value) == 1:
            (key,) = value
            if key == "Get" or key.startswith("Std:"):
                found.append(key)
        for item in value.values():
            found.extend(find_functions(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(find_functions(item))
    return found


def referenced_steps(value: Any) -> set[str]:
    """Names of the steps whose properties value reads ({"Get": "Steps.<name>..."})."""
    names: set[str] = set()
    if isinstance(value, dict):
        get = value.get("Get")
        if isinstance(get, str) and get.startswith("Steps."):
            names.add(str(split_path(get[len("Steps.") :])[0]))
        for item in value.values():
            names |= referenced_steps(item)
    elif isinstance(value, list):
        for item in value:
            names |= referenced_steps(item)
    return names


def to_text(value: Any) -> str:
    """How a value is rendered inside Std:Join or as a string argument."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, PropertyFileRef):
        raise ExpressionError(
            f"PropertyFile {value.step}.{value.name} can only be read through Std:JsonGet."
        )
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def resolve(value: Any, context: Context) -> Any:
    """Replace every expression inside value by its value (recursively)."""
    if isinstance(value, list):
        return [resolve(item, context) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key,) = value
        if key == "Get":
            return _get(value[key], context)
        if key == "Std:Join":
            return _join(value[key], context)
        if key == "Std:JsonGet":
            return _json_get(value[key], context)
        if key.startswith("Std:"):
            raise UnsupportedError(
                f"function '{key}' is not supported by the local runner (supported: "
                f"{', '.join(FUNCTIONS)})."
            )
    return {key: resolve(item, context) for key, item in value.items()}


def _get(path: Any, context: Context) -> Any:
    if not isinstance(path, str):
        raise ExpressionError(f"Get expects a string path, got {path!r}.")
    head, _, rest = path.partition(".")
    if head == "Parameters":
        if rest not in context.parameters:
            raise ExpressionError(
                f"Get '{path}': no parameter '{rest}' (defined: {sorted(context.parameters)})."
            )
        return context.parameters[rest]
    if head == "Execution":
        if rest not in EXECUTION_VARIABLES:
            raise UnsupportedError(
                f"execution variable '{rest}' (in Get '{path}') is not supported (supported: "
                f"{', '.join(EXECUTION_VARIABLES)})."
            )
        return context.execution[rest]
    if head == "Steps":
        parts = split_path(rest)
        if not parts:
            raise ExpressionError(f"Get '{path}': no step name.")
        step = str(parts[0])
        if step not in context.steps:
            raise ExpressionError(
                f"Get '{path}': step '{step}' has not run (finished: {sorted(context.steps)})."
            )
        if len(parts) == 3 and parts[1] == "PropertyFiles":
            return PropertyFileRef(step=step, name=str(parts[2]))
        return navigate(context.steps[step], parts[1:], f"Steps.{step}")
    raise UnsupportedError(
        f"Get '{path}': '{head}' is not supported (supported: Parameters, Execution, Steps)."
    )


def _join(arguments: Any, context: Context) -> str:
    if not isinstance(arguments, dict) or "Values" not in arguments:
        raise ExpressionError(
            f"Std:Join expects {{'On': ..., 'Values': [...]}}, got {arguments!r}."
        )
    separator = to_text(resolve(arguments.get("On", ""), context))
    values = resolve(arguments["Values"], context)
    return separator.join(to_text(item) for item in values)


def _json_get(arguments: Any, context: Context) -> Any:
    if not isinstance(arguments, dict) or "Path" not in arguments:
        raise ExpressionError(
            f"Std:JsonGet expects a PropertyFile or S3Uri and a Path: {arguments!r}"
        )
    json_path = arguments["Path"]
    if "PropertyFile" in arguments:
        reference = resolve(arguments["PropertyFile"], context)
        if not isinstance(reference, PropertyFileRef):
            raise ExpressionError(
                "Std:JsonGet PropertyFile must be {'Get': 'Steps.<step>.PropertyFiles.<name>'}, "
                f"got {arguments['PropertyFile']!r}."
            )
        if context.read_property_file is None:
            raise ExpressionError("Std:JsonGet: no property file reader in this context.")
        document = context.read_property_file(reference)
        where = f"PropertyFile {reference.step}.{reference.name}"
    elif "S3Uri" in arguments:
        uri = to_text(resolve(arguments["S3Uri"], context))
        if context.read_s3_json is None:
            raise ExpressionError("Std:JsonGet: no S3 reader in this context.")
        document = context.read_s3_json(uri)
        where = uri
    else:
        raise ExpressionError(f"Std:JsonGet needs PropertyFile or S3Uri: {arguments!r}")
    try:
        return navigate(document, split_path(json_path), "$")
    except ExpressionError as error:
        raise ExpressionError(f"Std:JsonGet Path '{json_path}' in {where}: {error}") from error


def _comparable(left: Any, right: Any, kind: str) -> tuple[Any, Any]:
    numbers = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        if kind != "Equals":
            raise ExpressionError(f"{kind}: cannot order booleans ({left!r}, {right!r}).")
        return left, right
    if isinstance(left, numbers) and isinstance(right, numbers):
        return float(left), float(right)
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    if kind == "Equals":
        return left, right
    raise ExpressionError(
        f"{kind}: cannot compare {type(left).__name__} {left!r} with "
        f"{type(right).__name__} {right!r}."
    )


def evaluate(condition: Any, context: Context) -> bool:
    """True or False for one condition of a Condition step."""
    if not isinstance(condition, dict) or "Type" not in condition:
        raise ExpressionError(f"a condition needs a 'Type': {condition!r}")
    kind = condition["Type"]
    if kind in COMPARISONS:
        left = resolve(condition.get("LeftValue"), context)
        right = resolve(condition.get("RightValue"), context)
        a, b = _comparable(left, right, kind)
        return bool(COMPARISONS[kind](a, b))
    if kind == "In":
        query = resolve(condition.get("QueryValue"), context)
        values = resolve(condition.get("Values", []), context)
        return any(
            _comparable(query, v, "Equals")[0] == _comparable(query, v, "Equals")[1] for v in values
        )
    if kind == "Not":
        return not evaluate(condition.get("Condition"), context)
    if kind == "Or":
        return any(evaluate(item, context) for item in condition.get("Conditions", []))
    raise UnsupportedError(
        f"condition type '{kind}' is not supported (supported: {', '.join(CONDITION_TYPES)})."
    )


def describe(condition: Any, context: Context) -> str:
    """A readable account of a condition with its resolved values (for the run's output)."""
    kind = condition.get("Type") if isinstance(condition, dict) else None
    try:
        if kind in COMPARISONS:
            left = resolve(condition.get("LeftValue"), context)
            right = resolve(condition.get("RightValue"), context)
            return f"{kind}({left!r}, {right!r})"
        if kind == "In":
            return (
                f"In({resolve(condition.get('QueryValue'), context)!r}, "
                f"{resolve(condition.get('Values', []), context)!r})"
            )
        if kind == "Not":
            return f"Not({describe(condition.get('Condition'), context)})"
        if kind == "Or":
            return "Or(" + ", ".join(describe(c, context) for c in condition["Conditions"]) + ")"
    except (ExpressionError, UnsupportedError) as error:
        return f"{kind}(<{error}>)"
    return repr(condition)
