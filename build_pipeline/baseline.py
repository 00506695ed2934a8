"""The Baseline step of the training pipeline and what RegisterModel records of it.

Baseline (Processing, training_code/baseline.py) reads Preprocess's train split and writes the
data-quality baseline in Model Monitor's format (statistics.json, constraints.json) under
<prefix>/models/baseline/<execution-id>/. RegisterModel registers both files twice, because they
serve two readers: DriftCheckBaselines.ModelDataQuality is what the monitoring of the deployed
champion compares traffic with, ModelMetrics.ModelDataQuality is what the registry shows.
"""

from __future__ import annotations

from typing import Any

BASELINE_FILES = ("statistics.json", "constraints.json")


def baseline_step(ctx: Any, preprocess: Any) -> Any:
    from sagemaker.mlops.workflow.steps import ProcessingStep

    from build_pipeline.definition import (
        PROCESSING,
        _split_uri,
        cache_config,
        processor,
        s3_input,
        s3_output,
    )

    args = processor(ctx, "baseline.py").run(
        inputs=[
            s3_input("code", ctx.code_uri, f"{PROCESSING}/input/code"),
            s3_input("train", _split_uri(preprocess, "train"), f"{PROCESSING}/input/train"),
        ],
        outputs=[
            s3_output(
                "baseline", ctx.execution_uri("models", "baseline"), f"{PROCESSING}/baseline"
            )
        ],
    )
    return ProcessingStep(name="Baseline", step_args=args, cache_config=cache_config(ctx))


def _file(baseline: Any, name: str) -> Any:
    from sagemaker.core.model_metrics import MetricsSource
    from sagemaker.core.workflow import Join

    folder = baseline.properties.ProcessingOutputConfig.Outputs["baseline"].S3Output.S3Uri
    return MetricsSource(content_type="application/json", s3_uri=Join(on="/", values=[folder, name]))


def drift_check_baselines(baseline: Any) -> Any:
    from sagemaker.core.drift_check_baselines import DriftCheckBaselines

    statistics, constraints = (_file(baseline, name) for name in BASELINE_FILES)
    return DriftCheckBaselines(
        model_data_statistics=statistics, model_data_constraints=constraints
    )


def data_quality_sources(baseline: Any) -> dict[str, Any]:
    """ModelMetrics keyword arguments for the data-quality report of the package."""
    statistics, constraints = (_file(baseline, name) for name in BASELINE_FILES)
    return {"model_data_statistics": statistics, "model_data_constraints": constraints}
