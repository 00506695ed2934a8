"""The batch-scoring pipeline, written with the SageMaker Python SDK v3.

One step, Score (Processing, training_code/batch_score.py in the job image): the approved champion
(<prefix>/champion/current/: model.tar.gz, champion.json) scores every CSV under InputDataUri
(default <prefix>/batch/input/) into <prefix>/batch/output/<date>/, with _metadata.json naming the
model package ARN. Same images, KMS key, network isolation, VPC and caching as the training
pipeline; its own definition (build/<env>/batch-definition.json) and its own pipeline
(<pipeline_name>-batch), started by a schedule and by new files (terraform/modules/batch).

Why a Processing scorer and not a Transform job (docs/training.md#batch-scoring): a Transform job
needs a Model created from the package on every run, cannot write the package ARN beside its output,
sends a CSV's header line to the model as a row, and passes id columns through only with
input/output filters; the scorer reads the champion from the same place Evaluate does, keeps every
input column and the row order, and scores a file in chunks in one process (no HTTP per batch).
"""

from __future__ import annotations

import json
from typing import Any

import code_bundle
from build_pipeline.images import Images
from env_config import EnvConfig

SCORE_STEP = "Score"


def batch_pipeline_name(config: EnvConfig) -> str:
    return f"{config.get('resources.pipeline_name')}-batch"


def build_parameters(config: EnvConfig) -> dict[str, Any]:
    from sagemaker.core.workflow import ParameterString

    specs = [
        ("InputDataUri", config.s3_uri("batch", "input") + "/"),
        ("ChampionModelUri", config.s3_uri("champion", "current") + "/"),
        # YYYY-MM-DD of the output folder; "" = the day the job runs (UTC). Set it to re-score a
        # past day's input into that day's folder.
        ("BatchDate", ""),
        ("ProcessingInstanceType", config.get("pipeline.processing_instance_type")),
    ]
    return {name: ParameterString(name=name, default_value=value) for name, value in specs}


def score_step(ctx: Any) -> Any:
    """Score: one instance (its _metadata.json describes the whole run); scale with the type."""
    from sagemaker.core.processing import Processor
    from sagemaker.mlops.workflow.steps import CacheConfig, ProcessingStep

    from build_pipeline.definition import PROCESSING, _network_config, s3_input, s3_output

    config = ctx.config
    scorer = Processor(
        role=config.execution_role_arn,
        image_uri=ctx.images.job,
        instance_count=1,
        instance_type=ctx.params["ProcessingInstanceType"],
        entrypoint=["python3", f"{PROCESSING}/input/code/batch_score.py"],
        volume_kms_key=ctx.kms_key,
        output_kms_key=ctx.kms_key,
        max_runtime_in_seconds=int(config.get("pipeline.max_runtime_seconds")),
        network_config=_network_config(config.get("network")),
        env={"BATCH_DATE": ctx.params["BatchDate"]},
        sagemaker_session=ctx.session,
    )
    args = scorer.run(
        inputs=[
            s3_input("code", ctx.code_uri, f"{PROCESSING}/input/code"),
            s3_input("champion", ctx.params["ChampionModelUri"], f"{PROCESSING}/champion"),
            s3_input("data", ctx.params["InputDataUri"], f"{PROCESSING}/input/data"),
        ],
        outputs=[
            s3_output("predictions", config.s3_uri("batch", "output") + "/", f"{PROCESSING}/output")
        ],
    )
    cache = CacheConfig(enable_caching=True, expire_after=config.get("batch.cache_expire_after"))
    return ProcessingStep(name=SCORE_STEP, step_args=args, cache_config=cache)


def build(config: EnvConfig, images: Images, git_sha: str) -> dict:
    """The batch definition as a dict. Call inside build_pipeline.offline.offline_aws()."""
    from sagemaker.mlops.workflow.pipeline import Pipeline

    from build_pipeline.definition import Context, pipeline_session

    session = pipeline_session(config)
    params = build_parameters(config)
    ctx = Context(config, session, params, images, code_bundle.code_uri(config), git_sha)
    pipeline = Pipeline(
        name=batch_pipeline_name(config),
        parameters=list(params.values()),
        steps=[score_step(ctx)],
        sagemaker_session=session,
    )
    return json.loads(pipeline.definition())
