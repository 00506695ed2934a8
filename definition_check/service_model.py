"""botocore's service models: the shapes SageMaker's API accepts and returns.

Only botocore (no boto3, no sagemaker SDK): loading the SageMaker model takes a fraction of a
second, and it is the same JSON model the AWS SDKs are generated from.
"""

from __future__ import annotations

import functools
from typing import Any

import regex
from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape

# Java spells a supplementary code point as a surrogate pair; Python's regex wants the code points.
_SURROGATE_RANGE = r"\uD800\uDC00-\uDBFF\uDFFF"
_SUPPLEMENTARY_RANGE = r"\U00010000-\U0010FFFF"


@functools.cache
def service(name: str = "sagemaker") -> ServiceModel:
    """The service model of `name` as botocore ships it (cached: loaded once per process)."""
    return ServiceModel(Loader().load_service_model(name, "service-2"), service_name=name)


def input_shape(operation: str, service_name: str = "sagemaker") -> Shape:
    """The request shape of an operation, e.g. CreateProcessingJob."""
    return service(service_name).operation_model(operation).input_shape


def shape(name: str, service_name: str = "sagemaker") -> Shape:
    """A named shape, e.g. DescribeProcessingJobResponse."""
    return service(service_name).shape_for(name)


@functools.cache
def compiled_pattern(pattern: str) -> Any:
    """A botocore `pattern` as a compiled regex.

    The patterns are Java regular expressions (\\p{L}, \\p{Alnum}, surrogate pairs), so the
    `regex` module compiles them, not `re`. AWS validates the whole value against the pattern
    (the error reads "Member must satisfy regular expression pattern"), hence fullmatch.
    """
    return regex.compile(pattern.replace(_SURROGATE_RANGE, _SUPPLEMENTARY_RANGE))


def matches_pattern(pattern: str, value: str) -> bool:
    """True when `value` satisfies the botocore pattern as AWS applies it (the whole value)."""
    return compiled_pattern(pattern).fullmatch(value) is not None
