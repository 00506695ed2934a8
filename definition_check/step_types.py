"""Which API request each pipeline step type becomes, and which response its properties read.

SageMaker Pipelines turns a step's `Arguments` into one API request (a Processing step into
CreateProcessingJob, ...) after filling in the job name, and a `{"Get": "Steps.X.<path>"}` reads
`<path>` from the Describe* response of X's job. The table follows the SageMaker Python SDK's
step classes (their `arguments` and `properties`), which mirror the service.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Step keys every step may carry (the SDK's Step.to_request and the job steps' CacheConfig).
COMMON_KEYS = frozenset(
    {"Name", "Type", "Arguments", "DependsOn", "DisplayName", "Description", "CacheConfig",
     "RetryPolicies"}
)  # fmt: skip


@dataclass(frozen=True)
class StepType:
    """What one `Type` of step means to the checker."""

    request: str | None = None  # the operation its Arguments become, e.g. CreateProcessingJob
    supplied: frozenset[str] = frozenset()  # request members the pipeline fills in (job names)
    outputs: tuple[str, ...] = ()  # response shapes its properties are read from
    output_service: str = "sagemaker"
    extra_keys: frozenset[str] = frozenset()  # step keys besides COMMON_KEYS
    # Properties that are not in a response shape: name -> type ("string", "boolean", ...).
    custom_properties: dict[str, str] = field(default_factory=dict)
    note: str = ""  # why Arguments are not checked against a request shape


_CHECK_KEYS = frozenset(
    {"CheckType", "ModelPackageGroupName", "SkipCheck", "FailOnViolation", "RegisterNewBaseline",
     "SuppliedBaselineStatistics", "SuppliedBaselineConstraints", "ModelName"}
)  # fmt: skip
_BASELINES = ("CalculatedBaselineConstraints", "BaselineUsedForDriftCheckConstraints")

STEP_TYPES: dict[str, StepType] = {
    "Processing": StepType(
        "CreateProcessingJob",
        frozenset({"ProcessingJobName"}),
        ("DescribeProcessingJobResponse",),
        extra_keys=frozenset({"PropertyFiles"}),
    ),
    "Training": StepType(
        "CreateTrainingJob", frozenset({"TrainingJobName"}), ("DescribeTrainingJobResponse",)
    ),
    "Tuning": StepType(
        "CreateHyperParameterTuningJob",
        frozenset({"HyperParameterTuningJobName"}),
        (
            "DescribeHyperParameterTuningJobResponse",
            "ListTrainingJobsForHyperParameterTuningJobResponse",
        ),
    ),
    "Transform": StepType(
        "CreateTransformJob", frozenset({"TransformJobName"}), ("DescribeTransformJobResponse",)
    ),
    "Model": StepType("CreateModel", frozenset({"ModelName"}), ("DescribeModelOutput",)),
    "RegisterModel": StepType("CreateModelPackage", frozenset(), ("DescribeModelPackageOutput",)),
    "AutoML": StepType(
        "CreateAutoMLJob", frozenset({"AutoMLJobName"}), ("DescribeAutoMLJobResponse",)
    ),
    # A check step runs a processing job (the SDK's _build_check_job_request) and exposes the
    # baseline files it produced or used.
    "QualityCheck": StepType(
        "CreateProcessingJob",
        frozenset({"ProcessingJobName"}),
        extra_keys=_CHECK_KEYS,
        custom_properties={
            name: "string"
            for name in (
                *_BASELINES,
                "CalculatedBaselineStatistics",
                "BaselineUsedForDriftCheckStatistics",
            )
        },
    ),
    "ClarifyCheck": StepType(
        "CreateProcessingJob",
        frozenset({"ProcessingJobName"}),
        extra_keys=_CHECK_KEYS,
        custom_properties=dict.fromkeys(_BASELINES, "string"),
    ),
    "Condition": StepType(custom_properties={"Outcome": "boolean"}),
    "Fail": StepType(),
    "Lambda": StepType(
        extra_keys=frozenset({"FunctionArn", "OutputParameters"}),
        note="Arguments are the Lambda function's input: no request shape to check",
    ),
    "Callback": StepType(
        extra_keys=frozenset({"SqsQueueUrl", "OutputParameters"}),
        note="Arguments are the SQS message's input: no request shape to check",
    ),
    "EMR": StepType(
        outputs=("Step",),
        output_service="emr",
        extra_keys=frozenset({"ClusterConfig"}),
        note="Arguments (ClusterId, StepConfig) are checked for references only",
    ),
}


def step_type(name: str) -> StepType | None:
    """The checker's knowledge of a step type, or None for a type it does not know."""
    return STEP_TYPES.get(name)
