"""What AWS services do with the roles Terraform hands them, derived from the rendered states
(`terraform show -json`), not from a hand list:

- every EventBridge Scheduler schedule and EventBridge rule target whose role is a principal of
  the proof starts the pipeline it names (sagemaker:StartPipelineExecution on the target ARN,
  with the parameters the target passes: the training pipeline's schedule, new-data rule and,
  from the monitored plan, the drift rule; the batch triggers), delivers to the API destination
  it names (the approval rule), and a schedule with a customer managed key has its role decrypt
  the payload with the schedule's ARN as encryption context;
- every data-quality job definition whose role is a principal runs a Model Monitor job: it reads
  the endpoint's captured requests (the endpoint configuration's capture destination) and the
  baseline files, writes the report prefix with the output KMS key, grants the volume key,
  pulls the analyzer image, writes the processing job logs and publishes the drift metrics in
  the namespace the feature alarms watch.

The must-deny cases are the neighbours an over-broad policy would let through: a trigger role
starting another pipeline (training or batch, this environment's or another's), changing,
deleting or stopping its own pipeline, decrypting another schedule's payload or an artifact
object's data key, or calling another environment's API destination; the monitor role writing
raw/ or models/, reading another environment's bucket or publishing into another namespace.
"""

from __future__ import annotations

from collections.abc import Iterator

from proof.moto_server import ProofError
from proof.rendered import Account, resources
from proof.requests import Request
from proof.translate import Check, Translator

LOG_GROUP = "/aws/sagemaker/ProcessingJobs"  # monitoring jobs are processing jobs
JOB = "proof-data-quality-202601010000"  # a monitoring run's job name (any name: same policy)
SCHEDULE_CONTEXT = "kms:EncryptionContext:aws:scheduler:schedule:arn"


def _principal_of(role_arn: str, account: Account, roles: dict[str, str]) -> str | None:
    """roles: role name -> principal key."""
    for name, role in account.roles.items():
        if role.arn == role_arn and name in roles:
            return roles[name]
    return None


def _all(states: list[dict]) -> list[dict]:
    return [r for state in states for r in resources(state)]


def trigger_requests(states: list[dict], account: Account, roles: dict[str, str]) -> list[Request]:
    """What EventBridge and EventBridge Scheduler send as a rule's or schedule's role: the
    target's StartPipelineExecution with the pipeline parameters the target names (the training
    pipeline's new-data and drift rules, the batch triggers), the API destination delivery of
    the approval rule, and a schedule's payload decryption when it has a customer managed key."""
    out = []
    for resource in _all(states):
        values = resource.get("values") or {}
        if resource["type"] == "aws_scheduler_schedule":
            source = f"schedule {values['name']} (terraform show -json)"
            for target in values.get("target") or []:
                principal = _principal_of(target["role_arn"], account, roles)
                if not principal:
                    continue
                blocks = target.get("sagemaker_pipeline_parameters") or [{}]
                parameters = [
                    {"Name": p["name"], "Value": p["value"]}
                    for p in blocks[0].get("pipeline_parameter") or []
                ]
                out += _start(principal, target["arn"], parameters, source)
                if values.get("kms_key_arn"):
                    out.append(_schedule_decrypt(principal, values, account, source))
        elif resource["type"] == "aws_cloudwatch_event_target" and values.get("role_arn"):
            principal = _principal_of(values["role_arn"], account, roles)
            if not principal:
                continue
            source = f"rule {values['rule']} target {values['target_id']} (terraform show -json)"
            blocks = values.get("sagemaker_pipeline_target") or [{}]
            parameters = [
                {"Name": p["name"], "Value": p["value"]}
                for p in blocks[0].get("pipeline_parameter_list") or []
            ]
            if ":api-destination/" in values["arn"]:
                out.append(Request(principal, "events", "InvokeApiDestination",
                                   {"ApiDestinationArn": values["arn"]}, source))  # fmt: skip
            else:
                out += _start(principal, values["arn"], parameters, source)
    return out


def _start(principal: str, target: str, parameters: list[dict], source: str) -> list[Request]:
    if ":pipeline/" not in target:
        raise ProofError(
            f"{source}: a target {target} that proof/service_roles.py does not know: teach it what the service sends."
        )
    params: dict = {"PipelineName": target}
    if parameters:
        params["PipelineParameters"] = parameters
    return [Request(principal, "sagemaker", "StartPipelineExecution", params, source)]


def _schedule_decrypt(principal: str, values: dict, account: Account, source: str) -> Request:
    """Each run, Scheduler decrypts the target payload as the schedule's role, calling KMS with
    the role's credentials (not through a service: no kms:ViaService) and the schedule's ARN as
    encryption context (EventBridge Scheduler User Guide, "Encryption at rest": the execution
    role needs kms:Decrypt; its CloudTrail example shows the Decrypt by the assumed execution
    role with encryptionContext aws:scheduler:schedule:arn)."""
    group = values.get("group_name") or "default"
    schedule = values.get("arn") or (
        f"arn:aws:scheduler:{account.region}:{account.account_id}:schedule/{group}/{values['name']}"
    )
    return Request(principal, "kms", "Decrypt", {
        "KeyId": values["kms_key_arn"],
        "EncryptionContext": {"aws:scheduler:schedule:arn": schedule},
    }, source)  # fmt: skip


def _s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def monitor_requests(states: list[dict], account: Account, roles: dict[str, str]) -> list[Request]:
    everything = _all(states)
    by_type: dict[str, list[dict]] = {}
    for resource in everything:
        by_type.setdefault(resource["type"], []).append(resource)
    out = []
    for resource in by_type.get("aws_sagemaker_data_quality_job_definition", []):
        job = resource.get("values") or {}
        principal = _principal_of(job["role_arn"], account, roles)
        if not principal:
            continue
        source = f"data-quality job definition {job['name']} (terraform show -json)"

        def request(service, operation, params, context=None, principal=principal, source=source):
            return Request(principal, service, operation, params, source, context=context or {})

        endpoint = job["data_quality_job_input"][0]["endpoint_input"][0]["endpoint_name"]
        capture = _capture_uri(by_type, endpoint)
        bucket, prefix = _s3(capture)
        out.append(request("s3", "ListObjectsV2", {"Bucket": bucket, "Prefix": prefix + "/"}))
        out.append(request("s3", "GetObject", {"Bucket": bucket, "Key": f"{prefix}/AllTraffic/2026/01/01/00/capture.jsonl"}))  # fmt: skip
        baseline = job["data_quality_baseline_config"][0]
        for kind in ("constraints_resource", "statistics_resource"):
            bucket, key = _s3(baseline[kind][0]["s3_uri"])
            out.append(request("s3", "GetObject", {"Bucket": bucket, "Key": key}))
        output = job["data_quality_job_output_config"][0]
        kms = output["kms_key_id"]
        for item in output["monitoring_outputs"]:
            bucket, key = _s3(item["s3_output"][0]["s3_uri"])
            out.append(request("s3", "PutObject", {
                "Bucket": bucket, "Key": key.rstrip("/") + f"/{JOB}/constraint_violations.json",
                "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms,
            }))  # fmt: skip
        volume_key = job["job_resources"][0]["cluster_config"][0].get("volume_kms_key_id")
        if volume_key:
            out.append(request("kms", "CreateGrant", {"KeyId": volume_key}, {
                "kms:GrantIsForAWSResource": "true",
                "kms:ViaService": f"sagemaker.{account.region}.amazonaws.com",
            }))  # fmt: skip
        image = job["data_quality_app_specification"][0].get("image_uri") or _image_of(
            by_type, _module(resource)
        )
        registry, _, path = image.partition("/")
        repository = path.split("@")[0].split(":")[0]
        out.append(request("ecr", "GetAuthorizationToken", {}))
        for operation in ("BatchCheckLayerAvailability", "GetDownloadUrlForLayer", "BatchGetImage"):
            out.append(request("ecr", operation, {"repositoryName": repository, "registryId": registry.split(".")[0]}))  # fmt: skip
        stream = {"logGroupName": LOG_GROUP, "logStreamName": f"{JOB}/algo-1-1700000000"}
        out.append(request("logs", "CreateLogGroup", {"logGroupName": LOG_GROUP}))
        out.append(request("logs", "CreateLogStream", stream))
        out.append(request("logs", "PutLogEvents", stream))
        for namespace in _namespaces(by_type, job["name"]):
            out.append(request("cloudwatch", "PutMetricData", {"Namespace": namespace}))
    return out


def _module(resource: dict) -> str:
    """The module path of a resource address ("module.endpoint[0]." or "" for the root)."""
    return resource["address"].split(resource["type"] + ".")[0].removesuffix("data.")


def _image_of(by_type: dict[str, list[dict]], module: str) -> str:
    """The job's image when a plan defers it: the module's prebuilt-image data source as read
    by the applied state."""
    for data in by_type.get("aws_sagemaker_prebuilt_ecr_image", []):
        if _module(data) == module and (data.get("values") or {}).get("registry_path"):
            return data["values"]["registry_path"]
    raise ProofError(f"no Model Monitor image in {module or 'the root'} of Terraform's render")


def _capture_uri(by_type: dict[str, list[dict]], endpoint: str) -> str:
    """Where SageMaker writes the endpoint's captured requests: <destination>/<endpoint>/...
    The endpoint's configuration is the one of its name or, when a plan has not named it yet
    (name_prefix), the capturing configuration of the endpoint's module."""
    found = [
        e for e in by_type.get("aws_sagemaker_endpoint", []) if e["values"]["name"] == endpoint
    ]
    if not found:
        raise ProofError(f"the monitored endpoint {endpoint} is not in Terraform's render")
    config_name = found[0]["values"].get("endpoint_config_name")
    for config in by_type.get("aws_sagemaker_endpoint_configuration", []):
        values = config.get("values") or {}
        same = (
            values.get("name") == config_name
            if config_name
            else _module(config) == _module(found[0])
        )
        if same and values.get("data_capture_config"):
            destination = values["data_capture_config"][0]["destination_s3_uri"].rstrip("/")
            return f"{destination}/{endpoint}"
    raise ProofError(f"no configuration of endpoint {endpoint} captures data in Terraform's render")


def _namespaces(by_type: dict[str, list[dict]], schedule: str) -> set[str]:
    """The namespaces of the alarms that watch this schedule's metrics."""
    return {
        alarm["values"]["namespace"]
        for alarm in by_type.get("aws_cloudwatch_metric_alarm", [])
        if (alarm["values"].get("dimensions") or {}).get("MonitoringSchedule") == schedule
    }


def must_deny(
    allowed: list[Check], account: Account, configs: dict[str, dict], principals: set[str]
) -> Iterator[Check]:
    translator = Translator(account)
    pipelines = {c["resources"]["pipeline_name"] for c in configs.values()}
    schedules = {c.context[SCHEDULE_CONTEXT] for c in allowed if c.context.get(SCHEDULE_CONTEXT)}
    for check in allowed:
        if check.principal not in principals:
            continue
        if check.action == "sagemaker:StartPipelineExecution":
            base, _, name = check.resource.rpartition("/")
            others = {p.lower() for p in pipelines} | {f"{p.lower()}-batch" for p in pipelines}
            for other in sorted(others - {name}):
                yield _deny(translator, check, "sagemaker", "StartPipelineExecution",
                            {"PipelineName": f"{base}/{other}"}, f"{check.principal} starting pipeline {other}")  # fmt: skip
            # anything else on its own pipeline: a trigger starts runs, it never changes them
            for operation, params in (
                ("UpdatePipeline", {"PipelineName": check.resource}),
                ("DeletePipeline", {"PipelineName": check.resource}),
                ("StopPipelineExecution", {"PipelineExecutionArn": f"{check.resource}/execution/proof0001"}),
            ):  # fmt: skip
                yield _deny(translator, check, "sagemaker", operation, params,
                            f"{check.principal} calling {operation} on {name}", action=f"sagemaker:{operation}")  # fmt: skip
        elif check.action == "kms:Decrypt" and check.context.get(SCHEDULE_CONTEXT):
            own = check.context[SCHEDULE_CONTEXT]
            for other in sorted(schedules - {own}):
                yield _deny(translator, check, "kms", "Decrypt", {"KeyId": check.resource,
                            "EncryptionContext": {"aws:scheduler:schedule:arn": other}},
                            f"{check.principal} decrypting the payload of schedule {other.rsplit('/', 1)[1]}")  # fmt: skip
            env = check.principal.rsplit("/", 1)[1]
            res = configs[env]["resources"]
            yield _deny(translator, check, "kms", "Decrypt", {"KeyId": check.resource,
                        "EncryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{res['artifact_bucket']}/{res['prefix']}/raw/train.csv"}},
                        f"{check.principal} decrypting an artifact object's data key")  # fmt: skip
        elif check.action == "events:InvokeApiDestination":
            env = check.principal.rsplit("/", 1)[1]
            project = configs[env]["project"]
            for other in sorted(set(configs) - {env}):
                target = check.resource.replace(f"/{project}-{env}-", f"/{project}-{other}-")
                yield _deny(translator, check, "events", "InvokeApiDestination", {"ApiDestinationArn": target},
                            f"{check.principal} calling {other}'s API destination")  # fmt: skip
        elif check.action == "s3:PutObject":
            bucket, _, key = check.resource[len("arn:aws:s3:::") :].partition("/")
            prefix = key.split("/", 1)[0]
            for area in ("raw", "models"):
                yield _deny(translator, check, "s3", "PutObject", {
                    "Bucket": bucket, "Key": f"{prefix}/{area}/train.csv",
                    "ServerSideEncryption": "aws:kms",
                    "SSEKMSKeyId": check.context.get("s3:x-amz-server-side-encryption-aws-kms-key-id", ""),
                }, f"{check.principal} writing {prefix}/{area}/")  # fmt: skip
        elif check.action == "s3:GetObject":
            bucket, _, key = check.resource[len("arn:aws:s3:::") :].partition("/")
            for env, config in configs.items():
                other = config["resources"]["artifact_bucket"]
                if other != bucket and other in account.buckets:
                    yield _deny(translator, check, "s3", "GetObject", {"Bucket": other, "Key": key},
                                f"{check.principal} reading {env}'s bucket")  # fmt: skip
        elif check.action == "cloudwatch:PutMetricData":
            yield _deny(translator, check, "cloudwatch", "PutMetricData", {"Namespace": "AWS/SageMaker"},
                        f"{check.principal} publishing metrics outside its namespace")  # fmt: skip


def _deny(
    translator: Translator,
    check: Check,
    service: str,
    operation: str,
    params: dict,
    why: str,
    action: str = "",
) -> Check:
    request = Request(check.principal, service, operation, params, check.source)
    for denied in translator.checks(request):
        if denied.action == (action or check.action):
            denied.expect, denied.why = "Denied", why
            return denied
    raise AssertionError(f"no {action or check.action} check for {why}")
