"""Pipelines this template did not write, built with the SageMaker SDK v3 (sdk_pipelines.py), run
end to end by the local runner, each step's outcome asserted: batch transform with the model's own
inference code, tuning, Lambda, declared stubs, parallel steps, CURRENT_DATETIME per step.

What stands behind the request shapes: the SDK itself (the definitions are its output); behind the
transform's .out files: SageMaker's documented batch transform rules (one .out per input object,
JoinSource/InputFilter/OutputFilter on CSV)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sdk_pipelines as sdk

from definition_check import validate
from definition_check.create_pipeline import validate_request
from local_runner import jobs, lifecycle, objectstore
from local_runner.executor import Executor
from local_runner.expressions import UnsupportedError
from local_runner.registry import Registry
from local_runner.settings import StepSettings

pytestmark = pytest.mark.slow  # whole pipelines end to end: make test, not test-fast

NOTIFY_HANDLER = "tests/local_runner/fixtures/lambdas/notify.py:handler"


@pytest.fixture(scope="module")
def built() -> tuple[dict, dict[str, bytes]]:
    """The definitions, built once per module (the SDK takes a few seconds), and what the SDK
    uploaded while building them (the tuning trainer's code tar.gz and sm_drivers channel)."""
    tunings = {
        "tuning": sdk.tuning_pipeline(),
        "grid": sdk.tuning_pipeline("Grid"),
        "tuning_cached": sdk.tuning_pipeline(cache=True),
    }
    definitions = {
        "batch": sdk.batch_pipeline(),
        **{name: definition for name, (definition, _) in tunings.items()},
        "aws_only": sdk.aws_only_pipeline(),
        "parallel_2": sdk.parallel_pipeline(2),
        "parallel_1": sdk.parallel_pipeline(1),
    }
    uploads = {uri: body for _, found in tunings.values() for uri, body in found.items()}
    return definitions, uploads


@pytest.fixture(scope="module")
def definitions(built) -> dict:
    return built[0]


@pytest.fixture
def any_bucket(home: Path, built) -> Path:
    """The fixture code at its own S3 location, the raw rows and what the SDK uploaded while
    building (as the user's bucket holds them); no template code bundle."""
    objectstore.upload_dir(sdk.CODE, sdk.CODE_URI)
    objectstore.put_bytes(sdk.RAW_URI + "rows.csv", sdk.raw_rows().encode())
    for uri, body in built[1].items():
        objectstore.put_bytes(uri, body)
    return home


def run(definition: dict, settings: StepSettings | None = None, **kwargs):
    lines: list[str] = []
    executor = Executor(
        definition,
        registry=Registry(f"s3://{sdk.BUCKET}/champion/"),
        out=lines.append,
        settings=settings,
        **kwargs,
    )
    result = executor.run()
    return result, "\n".join(lines)


def statuses(result) -> dict[str, str]:
    return {name: step.status for name, step in result.steps.items()}


def test_every_definition_built_here_is_one_sagemaker_accepts(definitions):
    """botocore's model of SageMaker (definition_check) stands behind this: each definition the
    SDK built for these tests passes CreatePipeline's shapes (the parallel ones with their
    ParallelismConfiguration), so the runner is tested on what AWS would run."""
    for name, built in definitions.items():
        definition, parallelism = built if isinstance(built, tuple) else (built, None)
        assert [str(p) for p in validate(definition)] == [], name
        if parallelism:
            request = {
                "PipelineName": name.replace("_", "-"),  # letters, digits, hyphens
                "RoleArn": sdk.ROLE,
                "PipelineDefinition": json.dumps(definition),
                "ParallelismConfiguration": parallelism,
            }
            assert [str(p) for p in validate_request(request)] == [], name


def test_a_tuning_job_carrying_a_container_entrypoint_is_refused(definitions):
    """Deliberately invalid: the edit these tests once made after generation (a tuning job's
    AlgorithmSpecification has no ContainerEntrypoint; botocore's model refuses it)."""
    definition = json.loads(json.dumps(definitions["tuning"]))
    tune = next(s for s in definition["Steps"] if s["Type"] == "Tuning")
    job = tune["Arguments"]["TrainingJobDefinition"]
    job["AlgorithmSpecification"]["ContainerEntrypoint"] = ["python3", "fit.py"]
    assert [str(p) for p in validate(definition)] == [
        "step Tune: Arguments.TrainingJobDefinition.AlgorithmSpecification.ContainerEntrypoint: "
        "unknown field: HyperParameterAlgorithmSpecification has TrainingImage, "
        "TrainingInputMode, AlgorithmName, MetricDefinitions"
    ]


def test_batch_transform_serves_the_models_own_inference_code(definitions, any_bucket):
    result, output = run(definitions["batch"])
    assert result.status == "Succeeded", output
    assert statuses(result) == {
        "Split": "Succeeded",
        "Fit": "Succeeded",
        "CreateModel": "Succeeded",
        "Score": "Succeeded",
        "Register": "Succeeded",
    }
    # SageMaker writes <S3OutputPath>/<input key relative to the prefix>.out
    scored = result.steps["Score"].properties["TransformOutput"]["S3OutputPath"]
    out = objectstore.read_bytes(scored + "/test.csv.out").decode()
    test_rows = [
        line
        for line in objectstore.read_bytes(
            result.steps["Split"].properties["ProcessingOutputConfig"]["Outputs"][1]["S3Output"][
                "S3Uri"
            ]
            + "/test.csv"
        )
        .decode()
        .splitlines()
    ]
    lines = out.splitlines()
    assert len(lines) == len(test_rows) == 20  # AssembleWith Line: one line per record
    for source, line in zip(test_rows, lines, strict=True):
        label, x = source.split(",")
        # InputFilter $[1:] sent x only; JoinSource Input appended the answer to the whole
        # record (label,x,prediction); OutputFilter $[0,-1] kept label and prediction.
        assert line == f"{label},{int(float(x) > 0.5)}"


def test_a_registered_package_keeps_every_kind_of_model_metrics(definitions, any_bucket):
    run(definitions["batch"])
    record = Registry(f"s3://{sdk.BUCKET}/champion/").get("any-group", 1)
    documents = record["Lineage"]["MetricsDocuments"]
    assert set(documents) == {"ModelDataQuality.Statistics", "Bias.PreTrainingReport"}
    assert set(lifecycle.metric_values(documents)) == {("rows", 40.0), ("positive_share", 0.5)}


def test_lineage_names_every_s3_input_and_code_location(definitions, any_bucket):
    run(definitions["batch"])
    lineage = Registry(f"s3://{sdk.BUCKET}/champion/").get("any-group", 1)["Lineage"]
    assert lineage["Code"] == [sdk.CODE_URI]
    assert lineage["Data"] == {
        "RawUri": {"uri": sdk.RAW_URI, "sha256": objectstore.content_hash(sdk.RAW_URI)}
    }
    read = {(i["step"], i["name"]) for i in lineage["Inputs"]}
    assert {("Split", "code"), ("Split", "raw"), ("Fit", "code"), ("Fit", "train")} <= read
    assert all(i["sha256"] for i in lineage["Inputs"])


def test_tuning_searches_its_ranges_and_picks_the_best_by_the_objective(definitions, any_bucket):
    # as the SDK wrote it: no ContainerEntrypoint (a tuning job cannot carry one), script mode
    job = definitions["tuning"]["Steps"][1]["Arguments"]["TrainingJobDefinition"]
    assert "ContainerEntrypoint" not in job["AlgorithmSpecification"]
    assert job["StaticHyperParameters"]["sagemaker_program"] == "fit.py"
    result, output = run(definitions["tuning"])
    assert result.status == "Succeeded", output
    assert statuses(result) == {
        "Split": "Succeeded",
        "Tune": "Succeeded",
        "CreateModel": "Succeeded",
    }
    tune = result.steps["Tune"].properties
    summaries = tune["TrainingJobSummaries"]
    assert len(summaries) == 5  # MaxNumberOfTrainingJobs
    values = [s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for s in summaries]
    assert values == sorted(values, reverse=True)  # best first (Maximize)
    best = tune["BestTrainingJob"]
    assert best == summaries[0]
    threshold = float(best["TunedHyperParameters"]["threshold"])
    assert all(
        abs(threshold - 0.5) <= abs(float(s["TunedHyperParameters"]["threshold"]) - 0.5)
        for s in summaries
    )
    # get_top_model_s3_uri(top_k=0) resolved to the best job's artifact
    model = result.steps["CreateModel"].properties["PrimaryContainer"]["ModelDataUrl"]
    assert model == f"s3://{sdk.BUCKET}/models/{best['TrainingJobName']}/output/model.tar.gz"
    assert objectstore.exists(model)
    # a fixed seed: the same trials again
    again, _ = run(definitions["tuning"])
    assert [
        s["TunedHyperParameters"] for s in again.steps["Tune"].properties["TrainingJobSummaries"]
    ] == [s["TunedHyperParameters"] for s in summaries]


def test_a_tuning_step_with_cache_config_is_reused_with_its_trials(definitions, any_bucket):
    first, _ = run(definitions["tuning_cached"])
    second, output = run(definitions["tuning_cached"])
    assert second.steps["Tune"].status == "Cached"
    assert second.steps["Tune"].cached_from == first.execution_id
    assert "Tune" in output and "reused from execution" in output
    best = first.steps["Tune"].properties["BestTrainingJob"]["TrainingJobName"]
    model = second.steps["CreateModel"].properties["PrimaryContainer"]["ModelDataUrl"]
    assert best in model  # the earlier execution's best trial, as SageMaker's cache gives it
    # a trial's model deleted: the cache entry no longer holds, the search runs again
    objectstore.delete(model)
    third, _ = run(definitions["tuning_cached"])
    assert third.steps["Tune"].status == "Succeeded"


def test_grid_tuning_tries_every_value(definitions, any_bucket):
    result, _ = run(definitions["grid"])
    tune = result.steps["Tune"].properties
    tried = sorted(s["TunedHyperParameters"]["threshold"] for s in tune["TrainingJobSummaries"])
    assert tried == ["0.2", "0.5", "0.8"]
    assert tune["BestTrainingJob"]["TunedHyperParameters"] == {"threshold": "0.5"}


AWS_ONLY_STUBS = {
    "WaitForReview": {"OutputParameters": {"approved": True}},
    "SparkFeatures": {"ClusterId": "j-1ABCDEFGHIJKL"},
    "CheckDataQuality": {
        "CalculatedBaselineConstraints": f"s3://{sdk.BUCKET}/quality/constraints.json"
    },
}


def test_lambda_runs_a_repository_handler_and_aws_only_steps_are_stubbed(definitions, any_bucket):
    settings = StepSettings(lambdas={"notify": NOTIFY_HANDLER}, stubs=AWS_ONLY_STUBS)
    result, output = run(definitions["aws_only"], settings)
    assert result.status == "Succeeded", output
    assert statuses(result) == {
        "Split": "Succeeded",
        "Notify": "Succeeded",
        "WaitForReview": "Stubbed",
        "SparkFeatures": "Stubbed",
        "Gate": "Succeeded",
        "CheckDataQuality": "Stubbed",
        "Hold": "NotRun",
    }
    assert result.steps["Notify"].properties["OutputParameters"] == [
        {"Name": "decision", "Value": "ship"},
        {"Name": "score", "Value": 0.95},
    ]
    assert "WaitForReview" in output and "Stubbed" in output
    assert "Equals('ship', 'ship') is True; Equals(True, True) is True" in output
    record = json.loads((result.folder / "execution.json").read_text())
    assert record["Steps"]["CheckDataQuality"]["Status"] == "Stubbed"


def test_a_stubbed_output_steers_the_condition(definitions, any_bucket):
    stubs = {**AWS_ONLY_STUBS, "WaitForReview": {"OutputParameters": {"approved": False}}}
    settings = StepSettings(lambdas={"notify": NOTIFY_HANDLER}, stubs=stubs)
    result, _ = run(definitions["aws_only"], settings)
    assert result.exit_code == 3  # the Fail step
    assert statuses(result)["CheckDataQuality"] == "NotRun"
    assert statuses(result)["Hold"] == "Failed"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            StepSettings(stubs=AWS_ONLY_STUBS),
            "step Notify: Lambda function 'arn:aws:lambda:.*:function:notify' has no local "
            "handler; map it in .*: local_runner: lambdas: notify: path/to/file.py:handler",
        ),
        (
            StepSettings(
                lambdas={"notify": NOTIFY_HANDLER},
                stubs={k: v for k, v in AWS_ONLY_STUBS.items() if k != "SparkFeatures"},
            ),
            "step SparkFeatures: type 'EMR' runs only on AWS; to run the pipeline locally, "
            "declare its outputs in .*: local_runner: stubs: SparkFeatures:",
        ),
        (
            StepSettings(lambdas={"notify": "nowhere/x.py:handler"}, stubs=AWS_ONLY_STUBS),
            "Lambda handler nowhere/x.py:handler: handler file nowhere/x.py does not exist",
        ),
    ],
)
def test_steps_only_aws_runs_are_refused_up_front_with_how_to_stub(
    definitions, any_bucket, settings, message
):
    with pytest.raises(UnsupportedError, match=message):
        run(definitions["aws_only"], settings)
    assert not (any_bucket / "runs").exists()  # refused before anything ran


def _stamps(result) -> dict[str, dict]:
    return {
        name: json.loads(
            objectstore.read_bytes(
                step.properties["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
                + "/stamp.json"
            )
        )
        for name, step in result.steps.items()
    }


def test_independent_steps_run_in_parallel_up_to_the_parallelism(definitions, any_bucket):
    definition, parallelism = definitions["parallel_2"]
    result, output = run(definition, parallelism=parallelism)
    assert result.status == "Succeeded", output
    stamps = _stamps(result)
    slow, quick = stamps["Slow"], stamps["Quick"]
    assert slow["start"] < quick["end"] and quick["start"] < slow["end"]  # they overlapped
    definition, parallelism = definitions["parallel_1"]
    result, _ = run(definition, parallelism=parallelism)
    stamps = _stamps(result)
    first, second = sorted((stamps["Slow"], stamps["Quick"]), key=lambda s: s["start"])
    assert first["end"] <= second["start"]  # MaxParallelExecutionSteps 1: one at a time


def test_current_datetime_is_each_steps_start_time(definitions, any_bucket):
    definition, parallelism = definitions["parallel_1"]
    result, _ = run(definition, parallelism=parallelism)
    stamps = _stamps(result)
    # After starts when Slow has ended (>= 1.2 s later): a later second than Slow's stamp
    assert stamps["Slow"]["stamp"] < stamps["After"]["stamp"]
    assert result.steps["After"].properties["Environment"]["STAMP"] == stamps["After"]["stamp"]


def _set_strategy_grid(definition: dict) -> None:
    tune = next(s for s in definition["Steps"] if s["Type"] == "Tuning")
    tune["Arguments"]["HyperParameterTuningJobConfig"]["Strategy"] = "Grid"


def _set_split_recordio(definition: dict) -> None:
    score = next(s for s in definition["Steps"] if s["Type"] == "Transform")
    score["Arguments"]["TransformInput"]["SplitType"] = "RecordIO"


@pytest.mark.parametrize(
    ("name", "mutate", "message"),
    [
        (
            "tuning",
            _set_strategy_grid,
            "step Tune: Grid search cannot enumerate continuous range 'threshold'",
        ),
        ("batch", _set_split_recordio, "step Score: SplitType RecordIO is not supported locally"),
    ],
)
def test_what_a_step_cannot_do_locally_is_refused_before_anything_runs(
    definitions, any_bucket, name, mutate, message
):
    definition = json.loads(json.dumps(definitions[name]))
    mutate(definition)
    with pytest.raises(UnsupportedError, match=message):
        run(definition)
    assert not (any_bucket / "runs").exists()


def _script_step(name: str, code: str, depends: list[str] | None = None) -> dict:
    step = {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "AppSpecification": {
                "ImageUri": sdk.IMAGE,
                "ContainerEntrypoint": ["python3", "-c", code],
            },
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1}},
            "RoleArn": sdk.ROLE,
        },
    }
    if depends:
        step["DependsOn"] = depends
    return step


def test_after_a_failure_running_steps_finish_and_nothing_new_starts(home):
    definition = {
        "Version": "2020-12-01",
        "Steps": [
            _script_step("Breaks", "import sys, time; time.sleep(0.3); sys.exit(3)"),
            _script_step("Slow", "import time; time.sleep(1.5)"),
            _script_step("Next", "pass", depends=["Slow"]),
        ],
    }
    result, output = run(definition)
    assert result.exit_code == 1, output
    assert statuses(result) == {"Breaks": "Failed", "Slow": "Succeeded", "Next": "NotRun"}
    assert result.steps["Next"].detail == "the execution stopped after Breaks failed"
    assert result.failure.startswith("Breaks: AlgorithmError: the entry point exited with code 3")


def test_jobs_that_cannot_run_here_are_refused_before_any_step(
    definitions, any_bucket, monkeypatch
):
    """The executor asks local_runner.jobs.check_runnable about every job step (a tuning step
    as the training job of its trials) before the first step starts."""
    asked = []

    def check_runnable(step_type, arguments, config=None, step=None):
        asked.append((step, step_type, "AlgorithmSpecification" in arguments))
        return [f"step {step}: no runtime for this image"] if step == "Tune" else []

    monkeypatch.setattr(jobs, "check_runnable", check_runnable, raising=False)
    with pytest.raises(UnsupportedError, match=r"nothing has run\):\n  step Tune: no runtime"):
        run(definitions["tuning"])
    assert ("Tune", "Training", True) in asked and ("Split", "Processing", False) in asked
    assert not (any_bucket / "runs").exists()


def test_stubbed_steps_show_in_status_and_in_the_dag_picture(definitions, any_bucket):
    from pipeline_graph import build_graph, to_mermaid
    from pipeline_graph.statuses import load_statuses

    settings = StepSettings(lambdas={"notify": NOTIFY_HANDLER}, stubs=AWS_ONLY_STUBS)
    result, _ = run(definitions["aws_only"], settings)
    status = lifecycle.status_text(lifecycle.Local.load())
    assert any(
        line.split()[:2] == ["WaitForReview", "Stubbed"] for line in status.splitlines()
    ), status
    statuses = load_statuses(result.folder / "execution.json")
    mermaid = to_mermaid(build_graph(definitions["aws_only"]), statuses)
    line = next(ln for ln in mermaid.splitlines() if ln.strip().endswith(" statusStubbed"))
    stubbed = set(line.split()[1].split(","))
    assert stubbed == {"WaitForReview", "SparkFeatures", "CheckDataQuality"}
