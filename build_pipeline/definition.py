"""The pipeline, written with the SageMaker Python SDK v3: the only module that imports `sagemaker`.

Preprocess -> Train -> Evaluate -> QualityGate -> RegisterModel | RejectModel, and Preprocess ->
Baseline (the data-quality baseline RegisterModel registers, build_pipeline/baseline.py). Every value that
differs between environments comes from environments/<env>.yaml; runtime knobs are pipeline
Parameters whose defaults are that file's values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import code_bundle
from build_pipeline.images import Images
from env_config import EnvConfig

PROCESSING = "/opt/ml/processing"
TRAINING_CODE = "/opt/ml/input/data/code"
METRIC_REGEX = r"validation:{name}=([0-9\.]+);"
# Preprocess's outputs: the three splits as part files, and every host's partial statistics.
PREPROCESS_OUTPUTS = ("train", "validation", "test", "statistics")
# Hyperparameters that are pipeline Parameters (tunable per run); the rest are fixed per environment.
TUNABLE_HYPERPARAMETERS = {
    "max_iter": ("MaxIter", "Integer"),
    "learning_rate": ("LearningRate", "Float"),
    "max_leaf_nodes": ("MaxLeafNodes", "Integer"),
    "l2_regularization": ("L2Regularization", "Float"),
}


@dataclass
class Context:
    """What every step builder needs: the environment, the SDK session and the parameters."""

    config: EnvConfig
    session: Any
    params: dict[str, Any]
    images: Images
    code_uri: str
    git_sha: str

    @property
    def kms_key(self) -> str:
        """The environment's KMS key by alias ARN: jobs encrypt volumes and outputs with it."""
        alias = self.config.get("resources.kms_key_alias")
        return f"arn:aws:kms:{self.config.region}:{self.config.account_id}:{alias}"

    def execution_uri(self, *parts: str) -> Any:
        """s3://bucket/prefix/<parts>/<execution id>: each run writes its own folder."""
        from sagemaker.core.workflow import ExecutionVariables, Join

        return Join(on="/", values=[self.config.s3_uri(*parts), ExecutionVariables.PIPELINE_EXECUTION_ID])


def build_parameters(config: EnvConfig) -> dict[str, Any]:
    from sagemaker.core.workflow import ParameterFloat, ParameterInteger, ParameterString

    kinds = {"String": ParameterString, "Float": ParameterFloat, "Integer": ParameterInteger}
    pipeline = config.get("pipeline")
    specs = [
        ("InputDataUri", "String", pipeline["input_data_uri"]),
        ("ChampionModelUri", "String", config.s3_uri("champion", "current") + "/"),
        ("AccuracyThreshold", "Float", float(pipeline["accuracy_threshold"])),
        ("ChampionMargin", "Float", float(pipeline["champion_margin"])),
        ("ModelApprovalStatus", "String", pipeline["model_approval_status"]),
        ("ProcessingInstanceType", "String", pipeline["processing_instance_type"]),
        ("ProcessingInstanceCount", "Integer", int(pipeline["processing_instance_count"])),
        ("TrainingInstanceType", "String", pipeline["training_instance_type"]),
        ("TrainingInstanceCount", "Integer", int(pipeline["training_instance_count"])),
    ]
    hyperparameters = pipeline["hyperparameters"]
    for key, (name, kind) in TUNABLE_HYPERPARAMETERS.items():
        cast = float if kind == "Float" else int
        specs.append((name, kind, cast(hyperparameters[key])))
    return {name: kinds[kind](name=name, default_value=value) for name, kind, value in specs}


def s3_input(name: str, source: Any, local_path: str, sharded: bool = False) -> Any:
    """A File-mode S3 prefix input: every host gets all objects, or (sharded) about 1/N of them."""
    from sagemaker.core.shapes import ProcessingInput, ProcessingS3Input

    return ProcessingInput(
        input_name=name,
        s3_input=ProcessingS3Input(
            s3_uri=source,
            local_path=local_path,
            s3_data_type="S3Prefix",
            s3_input_mode="File",
            s3_data_distribution_type=distribution(sharded),
        ),
    )


def distribution(sharded: bool) -> str:
    """ShardedByS3Key whatever the instance count: the count is a pipeline Parameter, the
    distribution a fixed string, and with one instance a sharded input is the whole prefix
    (docs/training.md#scaling-out)."""
    return "ShardedByS3Key" if sharded else "FullyReplicated"


def s3_output(name: str, destination: Any, local_path: str) -> Any:
    from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output

    return ProcessingOutput(
        output_name=name,
        s3_output=ProcessingS3Output(
            s3_uri=destination, local_path=local_path, s3_upload_mode="EndOfJob"
        ),
    )


def processor(ctx: Context, script: str, instance_count: Any = None) -> Any:
    """A plain Processor whose entry point is explicit: python3 <code input>/<script>.
    instance_count defaults to the ProcessingInstanceCount parameter."""
    from sagemaker.core.processing import Processor

    network = ctx.config.get("network")
    return Processor(
        role=ctx.config.execution_role_arn,
        image_uri=ctx.images.job,
        instance_count=instance_count or ctx.params["ProcessingInstanceCount"],
        instance_type=ctx.params["ProcessingInstanceType"],
        entrypoint=["python3", f"{PROCESSING}/input/code/{script}"],
        volume_kms_key=ctx.kms_key,
        output_kms_key=ctx.kms_key,
        max_runtime_in_seconds=int(ctx.config.get("pipeline.max_runtime_seconds")),
        network_config=_network_config(network),
        sagemaker_session=ctx.session,
    )


def _network_config(network: dict) -> Any:
    from sagemaker.core.network import NetworkConfig

    return NetworkConfig(
        enable_network_isolation=bool(network["enable_network_isolation"]),
        encrypt_inter_container_traffic=bool(network["encrypt_inter_container_traffic"]),
        security_group_ids=network["security_group_ids"] or None,
        subnets=network["subnet_ids"] or None,
    )


def cache_config(ctx: Context) -> Any:
    from sagemaker.mlops.workflow.steps import CacheConfig

    return CacheConfig(enable_caching=True, expire_after=ctx.config.get("pipeline.cache_expire_after"))


def preprocess_step(ctx: Context) -> Any:
    from sagemaker.mlops.workflow.steps import ProcessingStep

    outputs = [
        s3_output(name, ctx.execution_uri("processed", name), f"{PROCESSING}/{name}")
        for name in PREPROCESS_OUTPUTS
    ]
    args = processor(ctx, "preprocess.py").run(
        inputs=[
            s3_input("code", ctx.code_uri, f"{PROCESSING}/input/code"),
            s3_input("raw", ctx.params["InputDataUri"], f"{PROCESSING}/input/data", sharded=True),
        ],
        outputs=outputs,
        # One part file per training host and split, so Train's sharded channels stay balanced.
        arguments=["--parts", ctx.params["TrainingInstanceCount"].to_string()],
    )
    return ProcessingStep(name="Preprocess", step_args=args, cache_config=cache_config(ctx))


def _split_uri(step: Any, split: str) -> Any:
    return step.properties.ProcessingOutputConfig.Outputs[split].S3Output.S3Uri


def model_trainer(ctx: Context, preprocess: Any) -> Any:
    """The training job's settings, shared by the Train step and the optional Tune step."""
    from sagemaker.core import shapes
    from sagemaker.core.training.configs import (
        CheckpointConfig,
        Compute,
        Networking,
        StoppingCondition,
    )
    from sagemaker.train import ModelTrainer

    pipeline = ctx.config.get("pipeline")
    spot = bool(pipeline["use_spot"])
    network = ctx.config.get("network")
    trainer = ModelTrainer(
        training_image=ctx.images.job,
        role=ctx.config.execution_role_arn,
        sagemaker_session=ctx.session,
        base_job_name="train",
        compute=Compute(
            instance_type=ctx.params["TrainingInstanceType"],
            instance_count=ctx.params["TrainingInstanceCount"],
            enable_managed_spot_training=spot,
            volume_kms_key_id=ctx.kms_key,
        ),
        networking=Networking(
            enable_network_isolation=bool(network["enable_network_isolation"]),
            enable_inter_container_traffic_encryption=bool(
                network["encrypt_inter_container_traffic"]
            ),
            security_group_ids=network["security_group_ids"] or None,
            subnets=network["subnet_ids"] or None,
        ),
        # SageMaker rejects MaxWaitTimeInSeconds without Spot, so Spot is decided per environment
        # when the definition is generated, not by a runtime parameter (sagemaker-python-sdk#4140).
        stopping_condition=StoppingCondition(
            max_runtime_in_seconds=int(pipeline["max_runtime_seconds"]),
            max_wait_time_in_seconds=int(pipeline["max_wait_seconds"]) if spot else None,
        ),
        # One folder per environment, no execution id: SageMaker's cache key for a training step
        # includes CheckpointConfig. train.py resumes only a checkpoint of the same data+settings.
        checkpoint_config=CheckpointConfig(
            s3_uri=ctx.config.s3_uri("cache", "checkpoints", "train") + "/",
            local_path="/opt/ml/checkpoints",
        ),
        output_data_config=shapes.OutputDataConfig(
            s3_output_path=ctx.config.s3_uri("models"), kms_key_id=ctx.kms_key
        ),
        hyperparameters=hyperparameters(ctx),
        input_data_config=[
            channel("code", ctx.code_uri),
            channel("train", _split_uri(preprocess, "train"), sharded=True),
            channel("validation", _split_uri(preprocess, "validation"), sharded=True),
            channel("statistics", _split_uri(preprocess, "statistics")),
        ],
    )
    return trainer.with_metric_definitions(
        [shapes.MetricDefinition(name=d["Name"], regex=d["Regex"]) for d in metric_definitions()]
    )


def metric_definitions() -> list[dict[str, str]]:
    """How SageMaker scrapes train.py's `validation:<metric>=<value>;` lines from its logs."""
    return [
        {"Name": f"validation:{m}", "Regex": METRIC_REGEX.format(name=m)} for m in ("accuracy", "auc")
    ]


def channel(name: str, source: Any, sharded: bool = False) -> Any:
    """A File-mode S3 prefix channel (shapes.Channel: the tuner accepts no InputData); sharded:
    each training host gets its part files, and XGBoost's collective joins them."""
    from sagemaker.core import shapes

    return shapes.Channel(
        channel_name=name,
        input_mode="File",
        data_source=shapes.DataSource(
            s3_data_source=shapes.S3DataSource(
                s3_data_type="S3Prefix",
                s3_uri=source,
                s3_data_distribution_type=distribution(sharded),
            )
        ),
    )


def train_step(ctx: Context, preprocess: Any) -> Any:
    from sagemaker.mlops.workflow.steps import TrainingStep

    trainer = model_trainer(ctx, preprocess)
    return TrainingStep(name="Train", step_args=trainer.train(), cache_config=cache_config(ctx))


def tune_step(ctx: Context, preprocess: Any) -> Any:
    """Optional (pipeline.tuning.enabled): a tuning job over pipeline.tuning.ranges that maximises
    validation accuracy. Tuning jobs cannot carry ContainerEntrypoint, so the job image's own
    ENTRYPOINT runs train.py from the code channel (training_code/Dockerfile)."""
    from sagemaker.core.parameter import ContinuousParameter, IntegerParameter
    from sagemaker.mlops.workflow.steps import TuningStep
    from sagemaker.train.tuner import HyperparameterTuner

    tuning = ctx.config.get("pipeline.tuning")
    ranges = {}
    for name, (low, high) in sorted(tuning["ranges"].items()):
        kind = IntegerParameter if isinstance(low, int) and isinstance(high, int) else ContinuousParameter
        ranges[name] = kind(low, high)
    tuner = HyperparameterTuner(
        model_trainer=model_trainer(ctx, preprocess),
        objective_metric_name="validation:accuracy",
        hyperparameter_ranges=ranges,
        objective_type="Maximize",
        metric_definitions=metric_definitions(),
        max_jobs=int(tuning["max_jobs"]),
        max_parallel_jobs=int(tuning["max_parallel_jobs"]),
        random_seed=int(ctx.config.get("pipeline.hyperparameters.random_state")),
    )
    return TuningStep(name="Tune", step_args=tuner.tune(), cache_config=cache_config(ctx))


def model_artifact(ctx: Context, training: Any) -> Any:
    """The model.tar.gz of the Train step, or of the best job of the Tune step."""
    if training.name == "Tune":
        prefix = f"{ctx.config.prefix}/models"
        return training.get_top_model_s3_uri(top_k=0, s3_bucket=ctx.config.bucket, prefix=prefix)
    return training.properties.ModelArtifacts.S3ModelArtifacts


def hyperparameters(ctx: Context) -> dict[str, Any]:
    """Tunable ones come from Parameters (their defaults are the environment file's values)."""
    values = dict(ctx.config.get("pipeline.hyperparameters"))
    for key, (name, _kind) in TUNABLE_HYPERPARAMETERS.items():
        values[key] = ctx.params[name].to_string()  # SageMaker wants every value as a string
    return values


def evaluation_report() -> Any:
    from sagemaker.core.workflow import PropertyFile

    return PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")


def evaluate_step(ctx: Context, preprocess: Any, train: Any, report: Any) -> Any:
    from sagemaker.mlops.workflow.steps import ProcessingStep

    # One instance: evaluation.json is one key, and the test split is 15% of the data, read one
    # part file at a time; N instances would each write the same report.
    args = processor(ctx, "evaluate.py", instance_count=1).run(
        inputs=[
            s3_input("code", ctx.code_uri, f"{PROCESSING}/input/code"),
            s3_input("model", model_artifact(ctx, train), f"{PROCESSING}/model"),
            s3_input("test", _split_uri(preprocess, "test"), f"{PROCESSING}/test"),
            s3_input("statistics", _split_uri(preprocess, "statistics"), f"{PROCESSING}/statistics"),
            s3_input("champion", ctx.params["ChampionModelUri"], f"{PROCESSING}/champion"),
        ],
        outputs=[
            s3_output("evaluation", ctx.execution_uri("models", "evaluation"),
                      f"{PROCESSING}/evaluation")
        ],
    )
    return ProcessingStep(
        name="Evaluate", step_args=args, property_files=[report], cache_config=cache_config(ctx)
    )


def metric(evaluate: Any, report: Any, path: str) -> Any:
    from sagemaker.core.workflow import JsonGet

    return JsonGet(step_name=evaluate.name, property_file=report, json_path=path)


ACCURACY_PATH = "binary_classification_metrics.accuracy.value"
ACCURACY_DROP_PATH = "champion_comparison.accuracy_drop"


def register_step(ctx: Context, preprocess: Any, train: Any, evaluate: Any, baseline: Any) -> Any:
    from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.core.workflow import Join
    from sagemaker.mlops.workflow.model_step import ModelStep
    from sagemaker.serve.model_builder import ModelBuilder

    from build_pipeline.baseline import data_quality_sources, drift_check_baselines

    evaluation_uri = Join(
        on="/",
        values=[
            evaluate.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri,
            "evaluation.json",
        ],
    )
    builder = ModelBuilder(
        s3_model_data_url=model_artifact(ctx, train),
        image_uri=ctx.images.inference,
        sagemaker_session=ctx.session,
        role_arn=ctx.config.execution_role_arn,
    )
    endpoint = ctx.config.get("endpoint")
    args = builder.register(
        model_package_group_name=ctx.config.model_package_group,
        content_types=["text/csv", "application/json"],
        response_types=["application/json", "text/csv"],
        inference_instances=[endpoint["instance_type"]],
        transform_instances=[ctx.config.get("pipeline.processing_instance_type")],
        model_metrics=ModelMetrics(
            model_statistics=MetricsSource(content_type="application/json", s3_uri=evaluation_uri),
            **data_quality_sources(baseline),
        ),
        drift_check_baselines=drift_check_baselines(baseline),
        approval_status=ctx.params["ModelApprovalStatus"],
        description=f"{ctx.config.get('project')} {ctx.config.name} model, git {ctx.git_sha[:12]}",
        customer_metadata_properties=lineage(ctx, preprocess),
        skip_model_validation="None",
    )
    return ModelStep(name="RegisterModel", step_args=args)


def lineage(ctx: Context, preprocess: Any) -> dict[str, Any]:
    """What produced this model, kept on the package (the registry is the audit trail)."""
    return {
        "GitSha": ctx.git_sha,
        "JobImage": ctx.images.job,
        "InferenceImage": ctx.images.inference,
        "InputDataUri": ctx.params["InputDataUri"],
        "TestDataUri": _split_uri(preprocess, "test"),
        "CodeUri": ctx.code_uri,
        "Hyperparameters": hyperparameters_json(ctx),
    }


def hyperparameters_json(ctx: Context) -> Any:
    """The run's hyperparameters as a JSON object, with the values this execution really used."""
    from sagemaker.core.workflow import Join

    pieces: list[Any] = []
    for key, value in sorted(hyperparameters(ctx).items()):
        pieces += [f'"{key}": ', value if not isinstance(value, (int, float)) else json.dumps(value)]
        pieces.append(", ")
    return Join(on="", values=["{", *pieces[:-1], "}"])


def reject_step(ctx: Context, evaluate: Any, report: Any) -> Any:
    from sagemaker.core.workflow import Join
    from sagemaker.mlops.workflow.fail_step import FailStep

    message = Join(
        on=" ",
        values=[
            "Model rejected by the quality gate: test accuracy",
            metric(evaluate, report, ACCURACY_PATH),
            "must be >= AccuracyThreshold",
            ctx.params["AccuracyThreshold"],
            "and at most ChampionMargin",
            ctx.params["ChampionMargin"],
            "below the champion (accuracy drop",
            metric(evaluate, report, ACCURACY_DROP_PATH),
            "). Nothing was registered.",
        ],
    )
    return FailStep(name="RejectModel", error_message=message)


def gate_step(ctx: Context, evaluate: Any, report: Any, register: Any, reject: Any) -> Any:
    """All conditions must hold: good enough in absolute terms, and not worse than the champion
    by more than the margin (the drop is 0 when the environment has no champion yet)."""
    from sagemaker.core.workflow import ConditionGreaterThanOrEqualTo, ConditionLessThanOrEqualTo
    from sagemaker.mlops.workflow.condition_step import ConditionStep

    return ConditionStep(
        name="QualityGate",
        conditions=[
            ConditionGreaterThanOrEqualTo(
                left=metric(evaluate, report, ACCURACY_PATH), right=ctx.params["AccuracyThreshold"]
            ),
            ConditionLessThanOrEqualTo(
                left=metric(evaluate, report, ACCURACY_DROP_PATH), right=ctx.params["ChampionMargin"]
            ),
        ],
        if_steps=[register],
        else_steps=[reject],
    )


def pipeline_session(config: EnvConfig) -> Any:
    """The SDK session every definition is built with: the environment's region and bucket, and
    the offline SDK configuration (no lookups, so the JSON is the same on every machine)."""
    import boto3
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    from build_pipeline.offline import SDK_CONFIG

    return PipelineSession(
        boto_session=boto3.Session(region_name=config.region),
        sagemaker_config=SDK_CONFIG,
        default_bucket=config.bucket,
    )


def build(config: EnvConfig, images: Images, git_sha: str) -> dict:
    """The definition as a dict. Call inside build_pipeline.offline.offline_aws()."""
    from sagemaker.mlops.workflow.pipeline import Pipeline

    from build_pipeline.baseline import baseline_step

    session = pipeline_session(config)
    params = build_parameters(config)
    ctx = Context(config, session, params, images, code_bundle.code_uri(config), git_sha)
    report = evaluation_report()
    preprocess = preprocess_step(ctx)
    tuning = bool(config.get("pipeline.tuning.enabled"))
    train = tune_step(ctx, preprocess) if tuning else train_step(ctx, preprocess)
    evaluate = evaluate_step(ctx, preprocess, train, report)
    baseline = baseline_step(ctx, preprocess)
    register = register_step(ctx, preprocess, train, evaluate, baseline)
    gate = gate_step(ctx, evaluate, report, register, reject_step(ctx, evaluate, report))
    pipeline = Pipeline(
        name=config.get("resources.pipeline_name"),
        parameters=list(params.values()),
        steps=[preprocess, train, evaluate, gate, baseline],
        sagemaker_session=session,
    )
    definition = json.loads(pipeline.definition())
    complete_job_definitions(definition, config.get("network"), {train.name: "train.py"})
    return definition


def complete_job_definitions(
    definition: dict, network: dict, entry_points: dict[str, str] | None = None
) -> None:
    """Complete what the SDK leaves out of the job definitions.

    Train: ModelTrainer sets ContainerEntrypoint only together with SourceCode, which uploads SDK
    driver scripts under time-stamped keys (the JSON would differ on every run). We pass the code
    as a channel instead and state the entry point here, so any runner (SageMaker or the local one)
    knows what to execute from the definition alone. `entry_points` names each Training step's
    script (step name -> file in the code channel); a Training step with neither a mapped script
    nor its own ContainerEntrypoint is an error, never a silent train.py.
    Tune: the tuner drops the trainer's network isolation and inter-container encryption; a tuning
    job must be as isolated as a single training job.
    Steps nested in a Condition's IfSteps/ElseSteps are completed like top-level ones.
    """
    entry_points = entry_points or {}
    for step in _all_steps(definition["Steps"]):
        if step["Type"] == "Training":
            spec = step["Arguments"]["AlgorithmSpecification"]
            if step["Name"] in entry_points:
                spec["ContainerEntrypoint"] = ["python3", f"{TRAINING_CODE}/{entry_points[step['Name']]}"]
            elif not spec.get("ContainerEntrypoint"):
                raise ValueError(
                    f"Training step {step['Name']} has no entry point: pass it to "
                    f"complete_job_definitions (entry_points={{'{step['Name']}': '<script>.py'}})."
                )
        if step["Type"] == "Tuning":
            job = step["Arguments"]["TrainingJobDefinition"]
            job["EnableNetworkIsolation"] = bool(network["enable_network_isolation"])
            job["EnableInterContainerTrafficEncryption"] = bool(
                network["encrypt_inter_container_traffic"]
            )


def _all_steps(steps: list) -> list[dict]:
    """Every step object, including those nested in Condition branches (depth first)."""
    found = []
    for step in steps:
        if not isinstance(step, dict):
            continue  # a branch may name a step instead of nesting it
        found.append(step)
        if step.get("Type") == "Condition":
            arguments = step.get("Arguments") or {}
            found += _all_steps([*(arguments.get("IfSteps") or []), *(arguments.get("ElseSteps") or [])])
    return found
