"""What the checker reports: one line per problem, naming the step and the field."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """A definition SageMaker would refuse, or whose run would fail on a missing reference.

    `step` is None for pipeline-level fields (Parameters, PipelineExperimentConfig, ...);
    `field` is the path inside the step (`Arguments.AppSpecification.ImageUri`) or the pipeline.
    """

    step: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"step {self.step}" if self.step is not None else "pipeline"
        return f"{where}: {self.field}: {self.message}"


@dataclass
class Report:
    """Problems (the definition is invalid) and notes (what was checked only for structure)."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems
