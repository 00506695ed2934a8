"""validate(definition): every problem SageMaker's API model and the definition's own references
show, one per line, each naming the step and the field."""

from __future__ import annotations

from typing import Any

from definition_check.context import Context
from definition_check.problems import Problem, Report
from definition_check.structure import (
    check_cycles,
    check_experiment_config,
    check_step,
    check_top_level,
    index_steps,
)


def check(definition: Any) -> Report:
    """Problems and notes for any pipeline definition (a parsed JSON document)."""
    ctx = Context()
    steps = check_top_level(definition, ctx)
    for _, step in index_steps(steps, ctx):
        check_step(step, ctx)
    if steps:
        check_experiment_config(definition, ctx)
        check_cycles(ctx)
    return ctx.report


def validate(definition: Any) -> list[Problem]:
    """The problems of a definition; an empty list means SageMaker's API model accepts it."""
    return check(definition).problems
