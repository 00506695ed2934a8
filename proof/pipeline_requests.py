"""What SageMaker does with the execution role when the generated pipeline runs, derived from
the definition itself (build/<env>/pipeline-definition.json): for every job step the job it
creates, each S3 input it lists and reads, each output it writes (with the step's KMS key), the
image it pulls, the logs and metrics it writes, the volume key grant; RegisterModel's
CreateModelPackage. Expressions resolve as a run would: Parameters to their defaults,
Execution.PipelineExecutionId to a fixed id, property references to the producing step's value.
"""

from __future__ import annotations

import re
from typing import Any

from proof.moto_server import ProofError
from proof.requests import Request

EXECUTION_ID = "proofexec0001"


class Definition:
    def __init__(self, definition: dict, principal: str, source: str, account: str) -> None:
        self.account = account
        self.definition = definition
        self.principal = principal
        self.source = source
        self.parameters = {
            p["Name"]: p.get("DefaultValue") for p in definition.get("Parameters", [])
        }
        self.steps = {step["Name"]: step for step in _all_steps(definition.get("Steps", []))}

    # -- expressions -----------------------------------------------------------------------------
    def value(self, expression: Any) -> Any:
        if not isinstance(expression, dict):
            return expression
        if "Get" in expression:
            return self._get(expression["Get"])
        if "Std:Join" in expression:
            join = expression["Std:Join"]
            return join["On"].join(str(self.value(v)) for v in join["Values"])
        if "Std:JsonGet" in expression:
            return "0.0"
        return {key: self.value(item) for key, item in expression.items()}

    def _get(self, path: str) -> Any:
        if path.startswith("Parameters."):
            return self.parameters[path.split(".", 1)[1]]
        if path.startswith("Execution."):
            return EXECUTION_ID
        match = re.match(r"Steps\.(\w+)\.(.+)", path)
        if not match:
            raise ProofError(f"{self.source}: cannot resolve {path}")
        step, rest = self.steps[match.group(1)], match.group(2)
        output = re.match(r"ProcessingOutputConfig\.Outputs\['([^']+)'\]\.S3Output\.S3Uri", rest)
        if output:
            for item in step["Arguments"]["ProcessingOutputConfig"]["Outputs"]:
                if item["OutputName"] == output.group(1):
                    return self.value(item["S3Output"]["S3Uri"])
        if rest == "ModelArtifacts.S3ModelArtifacts":
            base = self.value(step["Arguments"]["OutputDataConfig"]["S3OutputPath"]).rstrip("/")
            return f"{base}/{self.job_name(step)}/output/model.tar.gz"
        if rest.startswith("PropertyFiles."):
            return None
        raise ProofError(
            f"{self.source}: property {path} is not one proof/pipeline_requests.py resolves"
        )

    @staticmethod
    def job_name(step: dict) -> str:
        return f"pipelines-{EXECUTION_ID}-{step['Name']}-abc123".lower()

    # -- requests --------------------------------------------------------------------------------
    def _request(
        self, service: str, operation: str, params: dict, context: dict | None = None
    ) -> Request:
        return Request(
            self.principal, service, operation, params, self.source, context=context or {}
        )

    def requests(self, region: str) -> list[Request]:
        out: list[Request] = []
        for step in self.steps.values():
            kind, args = step["Type"], step.get("Arguments", {})
            if kind == "Processing":
                out += self._processing(step, args, region)
            elif kind == "Training":
                out += self._training(step, args, region)
            elif kind == "RegisterModel":
                out.append(
                    self._request(
                        "sagemaker",
                        "CreateModelPackage",
                        {"ModelPackageGroupName": args["ModelPackageGroupName"]},
                    )
                )
            elif kind in ("Condition", "Fail"):
                continue
            else:
                raise ProofError(
                    f"{self.source}: step type {kind} ({step['Name']}) is not translated by proof/pipeline_requests.py"
                )
        return out

    def _job(
        self,
        operation: str,
        name_key: str,
        step: dict,
        args: dict,
        log_group: str,
        image: str,
        volume_key: str | None,
        region: str,
    ) -> list[Request]:
        name = self.job_name(step)
        resource = {"ProcessingJobName": "processing-job", "TrainingJobName": "training-job"}[
            name_key
        ]
        out = [
            self._request("sagemaker", operation, {name_key: name, "RoleArn": args["RoleArn"]}),
            self._request(
                "sagemaker",
                "AddTags",
                {"ResourceArn": f"arn:aws:sagemaker:{region}:{self.account}:{resource}/{name}"},
            ),
        ]
        out += self._image(image)
        out += [
            self._request("logs", "CreateLogGroup", {"logGroupName": log_group}),
            self._request(
                "logs",
                "CreateLogStream",
                {"logGroupName": log_group, "logStreamName": f"{name}/algo-1"},
            ),
            self._request(
                "logs",
                "PutLogEvents",
                {"logGroupName": log_group, "logStreamName": f"{name}/algo-1"},
            ),
            self._request("cloudwatch", "PutMetricData", {"Namespace": log_group}),
        ]
        if volume_key:
            out.append(
                self._request(
                    "kms",
                    "CreateGrant",
                    {"KeyId": volume_key},
                    {
                        "kms:GrantIsForAWSResource": "true",
                        "kms:ViaService": f"sagemaker.{region}.amazonaws.com",
                    },
                )
            )
        return out

    def _image(self, uri: str) -> list[Request]:
        repository = uri.split("/", 1)[1].split("@")[0].split(":")[0]
        return [self._request("ecr", "GetAuthorizationToken", {})] + [
            self._request("ecr", operation, {"repositoryName": repository})
            for operation in (
                "BatchCheckLayerAvailability",
                "GetDownloadUrlForLayer",
                "BatchGetImage",
            )
        ]

    def _read(self, uri: str) -> list[Request]:
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        key = (
            prefix
            if not prefix.endswith("/") and "." in prefix.rsplit("/", 1)[-1]
            else prefix.rstrip("/") + "/part-0000"
        )
        return [
            self._request("s3", "ListObjectsV2", {"Bucket": bucket, "Prefix": prefix}),
            self._request("s3", "GetObject", {"Bucket": bucket, "Key": key}),
        ]

    def _write(self, uri: str, kms_key: str | None, leaf: str = "part-0000") -> list[Request]:
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        params = {"Bucket": bucket, "Key": prefix.rstrip("/") + "/" + leaf}
        if kms_key:
            params.update({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key})
        return [self._request("s3", "PutObject", params)]

    def _processing(self, step: dict, args: dict, region: str) -> list[Request]:
        cluster = args["ProcessingResources"]["ClusterConfig"]
        out = self._job(
            "CreateProcessingJob",
            "ProcessingJobName",
            step,
            args,
            "/aws/sagemaker/ProcessingJobs",
            args["AppSpecification"]["ImageUri"],
            cluster.get("VolumeKmsKeyId"),
            region,
        )
        for item in args.get("ProcessingInputs", []):
            out += self._read(self.value(item["S3Input"]["S3Uri"]))
        config = args.get("ProcessingOutputConfig", {})
        for item in config.get("Outputs", []):
            out += self._write(self.value(item["S3Output"]["S3Uri"]), config.get("KmsKeyId"))
        return out

    def _training(self, step: dict, args: dict, region: str) -> list[Request]:
        out = self._job(
            "CreateTrainingJob",
            "TrainingJobName",
            step,
            args,
            "/aws/sagemaker/TrainingJobs",
            args["AlgorithmSpecification"]["TrainingImage"],
            args["ResourceConfig"].get("VolumeKmsKeyId"),
            region,
        )
        for channel in args.get("InputDataConfig", []):
            out += self._read(self.value(channel["DataSource"]["S3DataSource"]["S3Uri"]))
        output = args["OutputDataConfig"]
        model = self._get(f"Steps.{step['Name']}.ModelArtifacts.S3ModelArtifacts")
        out += self._write(model.rsplit("/", 1)[0], output.get("KmsKeyId"), "model.tar.gz")
        checkpoint = args.get("CheckpointConfig", {}).get("S3Uri")
        if checkpoint:
            out += self._write(checkpoint, None, "checkpoint.pkl") + self._read(checkpoint)
        return out


def _all_steps(steps: list[dict]) -> list[dict]:
    out = []
    for step in steps:
        out.append(step)
        arguments = step.get("Arguments", {})
        for branch in ("IfSteps", "ElseSteps"):
            out += _all_steps(arguments.get(branch, []))
    return out
