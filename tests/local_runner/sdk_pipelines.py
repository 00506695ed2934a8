"""Pipelines this template did not write, built with the SageMaker SDK v3 (offline: moto, fake
credentials, no role validation; build_pipeline.offline), for the local runner to run end to end.

The job scripts are tests/local_runner/fixtures/anycode (stdlib only). The code is referenced by
its own S3 location (s3://any-bucket/code/), not this template's code bundle; the tuning step's
trainer uses SDK v3 script mode instead (SourceCode: the SDK uploads the folder as a tar.gz).
Every definition is exactly what the SDK wrote, and SageMaker's API model accepts it
(test_local_any_pipeline.py, test_every_definition_built_here_is_one_sagemaker_accepts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BUCKET = "any-bucket"
CODE_URI = f"s3://{BUCKET}/code/"
RAW_URI = f"s3://{BUCKET}/raw/"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/any-image:1"
# A SageMaker framework image (scikit-learn): its own entry point runs script mode
FRAMEWORK_IMAGE = (
    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
)
ROLE = "arn:aws:iam::123456789012:role/any-role"
REGION = "us-east-1"
CODE = Path(__file__).parent / "fixtures" / "anycode"
PROCESSING = "/opt/ml/processing"
NOTIFY_ARN = "arn:aws:lambda:us-east-1:123456789012:function:notify"


def raw_rows(count: int = 40) -> str:
    """'label,x' rows: x evenly in (0, 1), label = x > 0.5 (so threshold 0.5 is perfect)."""
    xs = [(i + 0.5) / count for i in range(count)]
    return "".join(f"{int(x > 0.5)},{x:.4f}\n" for x in xs)


def _session() -> Any:
    import boto3
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    from build_pipeline.offline import SDK_CONFIG

    return PipelineSession(
        boto_session=boto3.Session(region_name=REGION),
        sagemaker_config=SDK_CONFIG,
        default_bucket=BUCKET,
    )


def _definition(name: str, parameters: list, steps: list, session: Any) -> dict:
    from sagemaker.mlops.workflow.pipeline import Pipeline

    pipeline = Pipeline(name=name, parameters=parameters, steps=steps, sagemaker_session=session)
    return json.loads(pipeline.definition())


def _processor(session: Any, script: str, *args: str) -> Any:
    from sagemaker.core.processing import Processor

    return Processor(
        role=ROLE,
        image_uri=IMAGE,
        instance_count=1,
        instance_type="ml.m5.large",
        entrypoint=["python3", f"{PROCESSING}/input/code/{script}", *args],
        sagemaker_session=session,
    )


def _input(name: str, source: Any, local: str) -> Any:
    from build_pipeline.definition import s3_input

    return s3_input(name, source, local)


def _output(name: str, destination: Any, local: str) -> Any:
    from build_pipeline.definition import s3_output

    return s3_output(name, destination, local)


def _execution_uri(*parts: str) -> Any:
    from sagemaker.core.workflow import ExecutionVariables, Join

    return Join(
        on="/",
        values=[f"s3://{BUCKET}/" + "/".join(parts), ExecutionVariables.PIPELINE_EXECUTION_ID],
    )


def split_step(session: Any, raw: Any, cache: Any = None) -> Any:
    from sagemaker.mlops.workflow.steps import ProcessingStep

    args = _processor(session, "split.py").run(
        inputs=[
            _input("code", CODE_URI, f"{PROCESSING}/input/code"),
            _input("raw", raw, f"{PROCESSING}/input/data"),
        ],
        outputs=[
            _output(s, _execution_uri("split", s), f"{PROCESSING}/{s}")
            for s in ("train", "test", "report")
        ],
    )
    return ProcessingStep(name="Split", step_args=args, cache_config=cache)


def trainer(session: Any, split: Any, threshold: Any) -> Any:
    from sagemaker.core import shapes
    from sagemaker.core.training.configs import Compute
    from sagemaker.train import ModelTrainer

    from build_pipeline.definition import channel

    trainer = ModelTrainer(
        training_image=IMAGE,
        role=ROLE,
        sagemaker_session=session,
        base_job_name="fit",
        compute=Compute(instance_type="ml.m5.large", instance_count=1),
        output_data_config=shapes.OutputDataConfig(s3_output_path=f"s3://{BUCKET}/models"),
        # SageMaker wants every hyperparameter as a string: a Parameter goes in as .to_string()
        hyperparameters={"threshold": getattr(threshold, "to_string", lambda: threshold)()},
        input_data_config=[
            channel("code", CODE_URI),
            channel(
                "train", split.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri
            ),
        ],
    )
    return trainer.with_metric_definitions(
        [
            shapes.MetricDefinition(
                name="validation:accuracy", regex="validation:accuracy=([0-9.]+);"
            )
        ]
    )


def _lambda_step(split: Any) -> Any:
    from sagemaker.core.lambda_helper import Lambda
    from sagemaker.mlops.workflow.lambda_step import LambdaOutput, LambdaOutputTypeEnum, LambdaStep

    return LambdaStep(
        name="Notify",
        lambda_func=Lambda(function_arn=NOTIFY_ARN),
        inputs={
            "accuracy": "0.95",
            "minimum": "0.9",
            "test": split.properties.ProcessingOutputConfig.Outputs["test"].S3Output.S3Uri,
        },
        outputs=[
            LambdaOutput(output_name="decision", output_type=LambdaOutputTypeEnum.String),
            LambdaOutput(output_name="score", output_type=LambdaOutputTypeEnum.Float),
        ],
    )


def _callback_step() -> Any:
    from sagemaker.mlops.workflow.callback_step import (
        CallbackOutput,
        CallbackOutputTypeEnum,
        CallbackStep,
    )

    return CallbackStep(
        name="WaitForReview",
        sqs_queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/review",
        inputs={"reviewer": "data-team"},
        outputs=[
            CallbackOutput(output_name="approved", output_type=CallbackOutputTypeEnum.Boolean)
        ],
    )


def _quality_check_step(session: Any, split: Any) -> Any:
    from sagemaker.core.model_monitor.dataset_format import DatasetFormat
    from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
    from sagemaker.mlops.workflow.quality_check_step import DataQualityCheckConfig, QualityCheckStep

    return QualityCheckStep(
        name="CheckDataQuality",
        quality_check_config=DataQualityCheckConfig(
            baseline_dataset=split.properties.ProcessingOutputConfig.Outputs[
                "train"
            ].S3Output.S3Uri,
            dataset_format=DatasetFormat.csv(header=False),
            output_s3_uri=f"s3://{BUCKET}/quality",
        ),
        check_job_config=CheckJobConfig(role=ROLE, sagemaker_session=session),
        skip_check=True,
        register_new_baseline=True,
    )


def _emr_step() -> Any:
    from sagemaker.mlops.workflow.emr_step import EMRStep, EMRStepConfig

    return EMRStep(
        name="SparkFeatures",
        display_name="features",
        description="feature engineering on EMR",
        cluster_id="j-1ABCDEFGHIJKL",
        step_config=EMRStepConfig(jar="command-runner.jar", args=["spark-submit", "s3://x/f.py"]),
    )


def aws_only_pipeline() -> dict:
    """Split -> Notify (Lambda) and WaitForReview (Callback, stubbed) and SparkFeatures (EMR,
    stubbed) -> Gate on both outputs -> CheckDataQuality (QualityCheck, stubbed) | Hold (Fail)."""
    from build_pipeline.offline import offline_aws

    with offline_aws(REGION):
        from sagemaker.core.workflow import ConditionEquals, ParameterString
        from sagemaker.mlops.workflow.condition_step import ConditionStep
        from sagemaker.mlops.workflow.fail_step import FailStep

        session = _session()
        raw = ParameterString(name="RawUri", default_value=RAW_URI)
        split = split_step(session, raw)
        notify = _lambda_step(split)
        review = _callback_step()
        gate = ConditionStep(
            name="Gate",
            conditions=[
                ConditionEquals(left=notify.properties.Outputs["decision"], right="ship"),
                ConditionEquals(left=review.properties.Outputs["approved"], right=True),
            ],
            if_steps=[_quality_check_step(session, split)],
            else_steps=[FailStep(name="Hold", error_message="held back")],
        )
        return _definition("aws-only", [raw], [split, notify, review, _emr_step(), gate], session)


def batch_pipeline() -> dict:
    """Split -> Fit -> CreateModel (its own inference code) -> Score (batch transform with
    filters and join) and Register (ModelMetrics of other kinds than model quality)."""
    from build_pipeline.definition import complete_job_definitions
    from build_pipeline.offline import offline_aws

    with offline_aws(REGION):
        from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
        from sagemaker.core.transformer import Transformer
        from sagemaker.core.workflow import Join, ParameterFloat, ParameterString
        from sagemaker.mlops.workflow.model_step import ModelStep
        from sagemaker.mlops.workflow.steps import TrainingStep, TransformStep
        from sagemaker.serve.model_builder import ModelBuilder

        session = _session()
        raw = ParameterString(name="RawUri", default_value=RAW_URI)
        threshold = ParameterFloat(name="Threshold", default_value=0.5)
        split = split_step(session, raw)
        fit = TrainingStep(name="Fit", step_args=trainer(session, split, threshold).train())
        artifact = fit.properties.ModelArtifacts.S3ModelArtifacts
        environment = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": CODE_URI}
        model = ModelStep(
            name="CreateModel",
            step_args=ModelBuilder(
                s3_model_data_url=artifact,
                image_uri=IMAGE,
                sagemaker_session=session,
                role_arn=ROLE,
                env_vars=environment,
            ).build(),
        )
        test = split.properties.ProcessingOutputConfig.Outputs["test"].S3Output.S3Uri
        score = TransformStep(
            name="Score",
            step_args=Transformer(
                model_name=model.properties.ModelName,
                instance_count=1,
                instance_type="ml.m5.large",
                output_path=_execution_uri("scored"),
                accept="text/csv",
                assemble_with="Line",
                sagemaker_session=session,
            ).transform(
                data=test,
                content_type="text/csv",
                split_type="Line",
                input_filter="$[1:]",
                join_source="Input",
                output_filter="$[0,-1]",
            ),
        )
        report = Join(
            on="/",
            values=[
                split.properties.ProcessingOutputConfig.Outputs["report"].S3Output.S3Uri,
                "report.json",
            ],
        )
        register = ModelStep(
            name="Register",
            step_args=ModelBuilder(
                s3_model_data_url=artifact,
                image_uri=IMAGE,
                sagemaker_session=session,
                role_arn=ROLE,
                env_vars=environment,
            ).register(
                model_package_group_name="any-group",
                content_types=["text/csv"],
                response_types=["text/csv"],
                inference_instances=["ml.m5.large"],
                transform_instances=["ml.m5.large"],
                model_metrics=ModelMetrics(
                    model_data_statistics=MetricsSource(
                        content_type="application/json", s3_uri=report
                    ),
                    bias_pre_training=MetricsSource(content_type="application/json", s3_uri=report),
                ),
                approval_status="Approved",
                skip_model_validation="None",
            ),
        )
        definition = _definition(
            "batch", [raw, threshold], [split, fit, model, score, register], session
        )
    complete_job_definitions(
        definition,
        {"enable_network_isolation": True, "encrypt_inter_container_traffic": True},
        {"Fit": "fit.py"},
    )
    return definition


def script_mode_trainer(session: Any, split: Any) -> Any:
    """fit.py in SDK v3's script mode (SourceCode): for a tuning job, which cannot carry
    ContainerEntrypoint, the SDK tars source_dir and names it in the sagemaker_program and
    sagemaker_submit_directory hyperparameters, which the framework image's own entry point runs
    (the local runner: its image -> runtime table, FRAMEWORK_IMAGE -> sklearn)."""
    from sagemaker.core import shapes
    from sagemaker.core.training.configs import Compute
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import SourceCode

    from build_pipeline.definition import channel

    return ModelTrainer(
        training_image=FRAMEWORK_IMAGE,
        role=ROLE,
        sagemaker_session=session,
        base_job_name="fit",
        compute=Compute(instance_type="ml.m5.large", instance_count=1),
        source_code=SourceCode(source_dir=str(CODE), entry_script="fit.py"),
        output_data_config=shapes.OutputDataConfig(s3_output_path=f"s3://{BUCKET}/models"),
        hyperparameters={"threshold": "0.5"},
        input_data_config=[
            channel(
                "train", split.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri
            )
        ],
    )


def _sdk_uploads() -> dict[str, bytes]:
    """What the SDK uploaded to the session's bucket while building (inside offline_aws, moto's
    S3): on AWS the user's bucket holds it from then on, so a test puts it in the local store."""
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            found[f"s3://{BUCKET}/{item['Key']}"] = body
    return found


def tuning_pipeline(strategy: str = "Random", cache: bool = False) -> tuple[dict, dict[str, bytes]]:
    """Split -> Tune (a search over threshold; the best by validation:accuracy) -> CreateModel
    from the best job's artifact (get_top_model_s3_uri). The definition exactly as the SDK wrote
    it, and what the SDK uploaded while writing it (the code tar.gz, its sm_drivers channel)."""
    from build_pipeline.offline import offline_aws

    with offline_aws(REGION):
        from sagemaker.core.parameter import CategoricalParameter, ContinuousParameter
        from sagemaker.mlops.workflow.model_step import ModelStep
        from sagemaker.mlops.workflow.steps import CacheConfig, TuningStep
        from sagemaker.serve.model_builder import ModelBuilder
        from sagemaker.train.tuner import HyperparameterTuner

        session = _session()
        caching = CacheConfig(enable_caching=True, expire_after="P1D") if cache else None
        split = split_step(session, RAW_URI, caching)  # the same split: Tune's inputs are equal
        ranges = (
            {"threshold": CategoricalParameter(["0.2", "0.5", "0.8"])}
            if strategy == "Grid"
            else {"threshold": ContinuousParameter(0.05, 0.95)}
        )
        tuner = HyperparameterTuner(
            model_trainer=script_mode_trainer(session, split),
            objective_metric_name="validation:accuracy",
            hyperparameter_ranges=ranges,
            objective_type="Maximize",
            metric_definitions=[
                {"Name": "validation:accuracy", "Regex": "validation:accuracy=([0-9.]+);"}
            ],
            strategy=strategy,
            max_jobs=5 if strategy != "Grid" else None,
            max_parallel_jobs=1,
            random_seed=7,
        )
        tune = TuningStep(name="Tune", step_args=tuner.tune(), cache_config=caching)
        best = tune.get_top_model_s3_uri(top_k=0, s3_bucket=BUCKET, prefix="models")
        model = ModelStep(
            name="CreateModel",
            step_args=ModelBuilder(
                s3_model_data_url=best, image_uri=IMAGE, sagemaker_session=session, role_arn=ROLE
            ).build(),
        )
        return _definition("tuning", [], [split, tune, model], session), _sdk_uploads()


def parallel_pipeline(max_parallel: int) -> tuple[dict, dict]:
    """Slow and Quick (independent, 1 s each) and After (depends on Slow): STAMP is
    CURRENT_DATETIME in each; ParallelismConfiguration caps how many run at once."""
    from build_pipeline.offline import offline_aws

    with offline_aws(REGION):
        from sagemaker.core.workflow import ExecutionVariables
        from sagemaker.mlops.workflow.parallelism_config import ParallelismConfiguration
        from sagemaker.mlops.workflow.steps import ProcessingStep

        session = _session()

        def stamp(name: str, seconds: str, depends: list | None = None) -> Any:
            processor = _processor(session, "stamp.py", seconds)
            processor.env = {"STAMP": ExecutionVariables.CURRENT_DATETIME}
            args = processor.run(
                inputs=[_input("code", CODE_URI, f"{PROCESSING}/input/code")],
                outputs=[_output("out", _execution_uri("stamps", name), f"{PROCESSING}/out")],
            )
            return ProcessingStep(name=name, step_args=args, depends_on=depends)

        slow = stamp("Slow", "1.2")
        quick = stamp("Quick", "1.2")
        after = stamp("After", "0", depends=[slow])
        from sagemaker.mlops.workflow.pipeline import Pipeline

        pipeline = Pipeline(name="parallel", steps=[slow, quick, after], sagemaker_session=session)
        # SageMaker takes ParallelismConfiguration with CreatePipeline/StartPipelineExecution,
        # not in the definition: the SDK's own request shape is what the runner is given.
        request = pipeline._create_args(
            ROLE, None, ParallelismConfiguration(max_parallel_execution_steps=max_parallel)
        )
        return json.loads(pipeline.definition()), request["ParallelismConfiguration"]
