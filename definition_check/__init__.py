"""Validate any SageMaker pipeline definition against SageMaker's API model (botocore's shapes).

`validate(definition) -> list[Problem]`; `python -m definition_check FILE`. Light on purpose:
botocore only, never the SageMaker SDK, so the local runner and CI call it in well under a second.
"""

from definition_check.checker import check, validate
from definition_check.problems import Problem, Report

__all__ = ["Problem", "Report", "check", "validate"]
