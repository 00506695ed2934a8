"""Steps that only AWS can run (QualityCheck, ClarifyCheck, EMR, Callback, ...) take the outputs
declared for them in environments/local.yaml (local_runner.stubs.<step>) and are shown `Stubbed`.

Why declared rather than guessed: a later step reads these properties (a baseline's S3 URI, a
callback's output parameter); a made-up value would let a wiring mistake pass unnoticed, while a
declared one is the user's explicit statement of what AWS would return.
"""

from __future__ import annotations

from typing import Any

STUB_ONLY = ("QualityCheck", "ClarifyCheck", "EMR", "EMRServerless", "Callback")


def how_to_stub(step: str, kind: str, where: str) -> str:
    """The YAML a user adds to run the pipeline anyway (one line, for an up-front message)."""
    example = {
        "Callback": "OutputParameters: {<name>: <value>}",
        "Lambda": "OutputParameters: {<name>: <value>}",
        "QualityCheck": "CalculatedBaselineConstraints: s3://...",
        "ClarifyCheck": "CalculatedBaselineConstraints: s3://...",
    }.get(kind, "<property>: <value>")
    return (
        f"declare its outputs in {where}: local_runner: stubs: {step}: {{{example}}} "
        "(the step is then shown Stubbed)"
    )


def properties(step: str, kind: str, declared: dict[str, Any]) -> dict[str, Any]:
    """The declared properties; an OutputParameters mapping becomes SageMaker's [{Name, Value}]
    list, so `Steps.<step>.OutputParameters['name']` resolves as on AWS."""
    result = dict(declared)
    outputs = result.get("OutputParameters")
    if isinstance(outputs, dict):
        result["OutputParameters"] = [
            {"Name": name, "Value": value} for name, value in outputs.items()
        ]
    result.setdefault("StepType", kind)
    return result
