"""A recorded request -> the IAM checks AWS makes for it: action(s), resource ARN(s) and the
request context keys the policies can test (S3 encryption headers, TLS, KMS via-service and
encryption context, resource and request tags, the service a role is passed to, ...).

Also the checks AWS makes *because of* a request on the caller's behalf: an S3 write to a
KMS-encrypted bucket is a kms:GenerateDataKey by the caller via S3, a read is a kms:Decrypt; a
role named in a request is an iam:PassRole to that service.

An operation this module cannot translate stops the proof with its name: nothing is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from proof import iam_data
from proof.moto_server import ProofError
from proof.rendered import Account
from proof.requests import Request

# Operations that need no permission: sts:GetCallerIdentity answers any authenticated caller;
# iam:GetUser without a UserName (the AWS provider's account-id probe) is refused to role
# credentials as a ValidationError before any policy is read, and the provider moves on.
NO_PERMISSION = {("sts", "GetCallerIdentity")}
NO_PERMISSION_WITHOUT = {("iam", "GetUser"): "UserName"}

IAM_PREFIX = {
    "cloudwatch": "cloudwatch",
    "application-autoscaling": "application-autoscaling",
    "sagemaker-runtime": "sagemaker",
}

# S3 operations whose IAM action has another name (S3 User Guide, "Policy actions").
S3_ACTIONS = {
    "HeadObject": "GetObject",
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListBuckets": "ListAllMyBuckets",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "CopyObject": "PutObject",
    "DeleteObjects": "DeleteObject",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "GetBucketLifecycle": "GetLifecycleConfiguration",
    "PutBucketLifecycle": "PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "GetBucketReplication": "GetReplicationConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "GetBucketCors": "GetBucketCORS",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
}
S3_WRITES_OBJECT = {
    "PutObject",
    "CopyObject",
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
}
S3_READS_OBJECT = {"GetObject", "CopyObject"}

PASSED_TO = {
    "sagemaker": "sagemaker.amazonaws.com",
    "scheduler": "scheduler.amazonaws.com",
    "events": "events.amazonaws.com",
    "lambda": "lambda.amazonaws.com",
}
# A placeholder for the random part AWS appends to some ARNs (secrets, connections).
SECRET_SUFFIX = "-AbCdEf"  # noqa: S105 (a placeholder, not a secret)
UUID = "00000000-0000-4000-8000-000000000000"


@dataclass
class Check:
    """One authorization AWS makes: may `principal` do `action` on `resource` in `context`?"""

    principal: str
    action: str
    resource: str
    context: dict[str, Any]
    expect: str  # "Allowed" or "Denied"
    why: str  # what the request was, for people
    source: str = ""
    tags: dict[str, str] = field(default_factory=dict)  # the resource's tags (for variants)

    def key(self) -> tuple:
        return (
            self.principal,
            self.action,
            self.resource,
            repr(sorted(self.context.items())),
            self.expect,
        )


class Translator:
    """Requests of one rendered account -> checks."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.region = account.region
        self.id = account.account_id

    # -- entry point -----------------------------------------------------------------------------
    def checks(self, request: Request) -> list[Check]:
        if (request.service, request.operation) in NO_PERMISSION:
            return []
        missing = NO_PERMISSION_WITHOUT.get((request.service, request.operation))
        if missing and not request.params.get(missing):
            return []
        handler = getattr(self, "_" + request.service.replace("-", "_"), None)
        if handler is None:
            raise self._unknown(request, "no translation for this service")
        pairs = handler(request.operation, request.params)
        if pairs is None:
            raise self._unknown(request, "no translation for this operation")
        checks = []
        for action, resources, extra in pairs:
            iam_data.action(action)  # unknown actions fail loudly
            for resource in resources:
                context = self._base_context(resource)
                context.update(self._request_tags(request.params))
                context.update(extra)
                context.update(request.context)
                checks.append(
                    Check(
                        request.principal,
                        action,
                        resource,
                        context,
                        "Allowed",
                        f"{request.service}:{request.operation}",
                        request.source,
                        self.account.tags.get(resource, {}),
                    )
                )
        return checks

    def _unknown(self, request: Request, reason: str) -> ProofError:
        return ProofError(
            f"unknown operation {request.service}:{request.operation} in {request.source} "
            f"({reason}): teach proof/translate.py its IAM action, resource ARN and context keys."
        )

    def _base_context(self, resource: str) -> dict[str, Any]:
        context: dict[str, Any] = {
            # Every SDK, Terraform and SageMaker call to AWS uses TLS (moto is only reached over
            # http on 127.0.0.1); the no-TLS variant is a must-deny case of its own.
            "aws:SecureTransport": "true",
            "aws:RequestedRegion": self.region,
            "aws:PrincipalAccount": self.id,
        }
        for key, value in self.account.tags.get(resource, {}).items():
            context[f"aws:ResourceTag/{key}"] = value
        if resource.startswith("arn:aws:kms:") and ":key/" in resource:
            key = self.account.keys.get(resource)
            if key:
                for tag, value in key["tags"].items():
                    context[f"aws:ResourceTag/{tag}"] = value
                aliases = self.account.key_aliases(resource)
                if aliases:
                    context["kms:ResourceAliases"] = aliases
        return context

    @staticmethod
    def _request_tags(params: dict[str, Any]) -> dict[str, Any]:
        tags: dict[str, str] = {}
        raw = params.get("Tags", params.get("tags"))
        if isinstance(raw, dict):
            tags.update({str(k): str(v) for k, v in raw.items()})
        elif isinstance(raw, list):
            for item in raw:
                if isinstance(item, dict):
                    key = item.get("Key", item.get("TagKey", item.get("key")))
                    value = item.get("Value", item.get("TagValue", item.get("value")))
                    if key is not None:
                        tags[str(key)] = str(value)
        for name, value in params.items():  # query protocol: Tags.member.1.Key
            match = re.fullmatch(r"Tags\.member\.(\d+)\.Key", name)
            if match:
                tags[str(value)] = str(params.get(f"Tags.member.{match.group(1)}.Value", ""))
        context: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
        if tags:
            context["aws:TagKeys"] = sorted(tags)
        return context

    # -- helpers ---------------------------------------------------------------------------------
    def arn(self, service: str, rest: str, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.id}:{rest}"

    def _pass_role(self, role_arn: str | None, service: str) -> list:
        if not role_arn:
            return []
        return [("iam:PassRole", [role_arn], {"iam:PassedToService": PASSED_TO[service]})]

    def _kms_via(self, key_arn: str, service: str, encryption_context: dict[str, str]) -> dict:
        context = {
            "kms:ViaService": f"{service}.{self.region}.amazonaws.com",
            "kms:CallerAccount": self.id,
        }
        context.update({f"kms:EncryptionContext:{k}": v for k, v in encryption_context.items()})
        if encryption_context:
            context["kms:EncryptionContextKeys"] = sorted(encryption_context)
        return context

    # -- S3 --------------------------------------------------------------------------------------
    def _s3(self, operation: str, params: dict[str, Any]):
        action = "s3:" + S3_ACTIONS.get(operation, operation)
        bucket, key = params.get("Bucket"), params.get("Key")
        if operation == "ListBuckets":
            return [(action, ["*"], {})]
        if not bucket:
            return None
        if operation in ("GetObject", "HeadObject") and params.get("VersionId"):
            action = "s3:GetObjectVersion"
        if operation == "DeleteObject" and params.get("VersionId"):
            action = "s3:DeleteObjectVersion"
        bucket_arn = f"arn:aws:s3:::{bucket}"
        extra: dict[str, Any] = {}
        if "Prefix" in params and action in ("s3:ListBucket", "s3:ListBucketVersions"):
            extra["s3:prefix"] = params["Prefix"]
        if params.get("ServerSideEncryption"):
            extra["s3:x-amz-server-side-encryption"] = params["ServerSideEncryption"]
        if params.get("SSEKMSKeyId"):
            extra["s3:x-amz-server-side-encryption-aws-kms-key-id"] = params["SSEKMSKeyId"]
        if operation == "DeleteObjects":
            keys = [item["Key"] for item in params.get("Delete", {}).get("Objects", [])]
            return [(action, [f"{bucket_arn}/{k}" for k in keys], extra)]
        resource = f"{bucket_arn}/{key}" if key is not None else bucket_arn
        pairs: list = [(action, [resource], extra)]
        if operation == "CopyObject":
            source_bucket, source_key = _copy_source(params.get("CopySource"))
            pairs.append(("s3:GetObject", [f"arn:aws:s3:::{source_bucket}/{source_key}"], {}))
        if key is not None:
            pairs += self._s3_kms(operation, bucket, key, params)
        return pairs

    def _s3_kms(self, operation: str, bucket: str, key: str, params: dict[str, Any]) -> list:
        """S3 uses the caller's permissions on the bucket's KMS key (S3 User Guide, SSE-KMS)."""
        pairs = []
        if operation in S3_WRITES_OBJECT:
            named = params.get("SSEKMSKeyId")
            key_arn = self.account.key_arn(named) if named else None
            if params.get("ServerSideEncryption") in (None, "aws:kms"):
                key_arn = key_arn or self.account.bucket_key_arn(bucket)
            if params.get("ServerSideEncryption") == "AES256":
                key_arn = None
            if key_arn:
                pairs.append(
                    ("kms:GenerateDataKey", [key_arn], self._s3_context(key_arn, bucket, key))
                )
        if operation in S3_READS_OBJECT:
            source_bucket, source_key = bucket, key
            if operation == "CopyObject":
                source_bucket, source_key = _copy_source(params.get("CopySource"))
            key_arn = self.account.bucket_key_arn(source_bucket)
            if key_arn:
                pairs.append(
                    ("kms:Decrypt", [key_arn], self._s3_context(key_arn, source_bucket, source_key))
                )
        return pairs

    def _s3_context(self, key_arn: str, bucket: str, key: str) -> dict:
        entry = self.account.buckets.get(bucket)
        scope = (
            f"arn:aws:s3:::{bucket}"
            if entry and entry.bucket_key
            else f"arn:aws:s3:::{bucket}/{key}"
        )
        return self._kms_via(key_arn, "s3", {"aws:s3:arn": scope})

    # -- KMS -------------------------------------------------------------------------------------
    def _kms(self, operation: str, params: dict[str, Any]):
        action = f"kms:{operation}"
        if operation == "CreateKey":
            return [(action, ["*"], {})]
        if operation == "ListAliases":
            return [(action, ["*"], {})]
        if operation in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
            alias = self.arn("kms", params["AliasName"])
            target = params.get("TargetKeyId")
            resources = [alias]
            if target:
                resources.append(self.account.key_arn(target) or self.arn("kms", f"key/{target}"))
            return [(action, resources, {})]
        key = params.get("KeyId")
        if not key:
            return None
        key_arn = self.account.key_arn(key) or (
            key if key.startswith("arn:") else self.arn("kms", f"key/{key}")
        )
        extra: dict[str, Any] = {}
        if params.get(
            "EncryptionContext"
        ):  # Encrypt, Decrypt, GenerateDataKey: kms:EncryptionContext:*
            extra = {
                f"kms:EncryptionContext:{k}": v for k, v in params["EncryptionContext"].items()
            }
            extra["kms:EncryptionContextKeys"] = sorted(params["EncryptionContext"])
            extra["kms:CallerAccount"] = self.id
        return [(action, [key_arn], extra)]

    # -- IAM -------------------------------------------------------------------------------------
    def _iam(self, operation: str, params: dict[str, Any]):
        action = f"iam:{operation}"
        if "RoleName" in params:
            role = params["RoleName"]
            extra: dict[str, Any] = {}
            if operation == "CreateRole" and params.get("PermissionsBoundary"):
                extra["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
            elif operation in ("PutRolePolicy", "PutRolePermissionsBoundary"):
                boundary = params.get("PermissionsBoundary")
                known = self.account.roles.get(role)
                boundary = boundary or (known.boundary_arn if known else None)
                if boundary:
                    extra["iam:PermissionsBoundary"] = boundary
            if operation in ("AttachRolePolicy", "DetachRolePolicy"):
                extra["iam:PolicyARN"] = params.get("PolicyArn", "")
            return [(action, [self.arn("iam", f"role/{role}", region=False)], extra)]
        if "PolicyArn" in params:
            return [(action, [params["PolicyArn"]], {})]
        if operation == "CreatePolicy":
            return [(action, [self.arn("iam", f"policy/{params['PolicyName']}", region=False)], {})]
        if "OpenIDConnectProviderArn" in params:
            return [(action, [params["OpenIDConnectProviderArn"]], {})]
        if operation == "CreateServiceLinkedRole":
            service = params["AWSServiceName"]
            return [
                (
                    action,
                    [self.arn("iam", f"role/aws-service-role/{service}/role", region=False)],
                    {"iam:AWSServiceName": service},
                )
            ]
        return None

    # -- SageMaker -------------------------------------------------------------------------------
    SAGEMAKER_NAMES: ClassVar[dict[str, str]] = {
        "PipelineName": "pipeline",
        "ModelName": "model",
        "EndpointConfigName": "endpoint-config",
        "EndpointName": "endpoint",
        "ProcessingJobName": "processing-job",
        "TrainingJobName": "training-job",
        "MonitoringScheduleName": "monitoring-schedule",
    }
    # JobDefinitionName names a different resource type per kind of monitoring job.
    JOB_DEFINITIONS: ClassVar[dict[str, str]] = {
        "DataQualityJobDefinition": "data-quality-job-definition",
        "ModelQualityJobDefinition": "model-quality-job-definition",
        "ModelBiasJobDefinition": "model-bias-job-definition",
        "ModelExplainabilityJobDefinition": "model-explainability-job-definition",
    }

    def _sagemaker(self, operation: str, params: dict[str, Any]):
        action = f"sagemaker:{operation}"
        if not iam_data.has_resource_types(action) or (
            operation.startswith("List")
            and operation
            not in (
                "ListTags",
                "ListPipelineExecutions",
                "ListPipelineExecutionSteps",
            )
        ):
            return [(action, ["*"], {})]
        resources: list[str] = []
        for param in ("ResourceArn", "PipelineExecutionArn"):
            if params.get(param):
                resources.append(params[param])
        if operation in ("ListPipelineExecutions",) and params.get("PipelineName"):
            resources.append(self.arn("sagemaker", f"pipeline/{params['PipelineName'].lower()}"))
        for suffix, kind in self.JOB_DEFINITIONS.items():
            if operation.endswith(suffix) and params.get("JobDefinitionName"):
                resources.append(
                    self.arn("sagemaker", f"{kind}/{params['JobDefinitionName'].lower()}")
                )
        if not resources:
            for param, kind in self.SAGEMAKER_NAMES.items():
                if params.get(param):
                    name = str(params[param])
                    resources.append(
                        name
                        if name.startswith("arn:")
                        else self.arn("sagemaker", f"{kind}/{name.lower()}")
                    )
        if operation in ("CreateModelPackage",) and params.get("ModelPackageGroupName"):
            group = params["ModelPackageGroupName"]
            resources.append(self.arn("sagemaker", f"model-package/{group.lower()}/1"))
        elif params.get("ModelPackageName"):
            name = params["ModelPackageName"]
            resources.append(
                name
                if name.startswith("arn:")
                else self.arn("sagemaker", f"model-package/{name.lower()}")
            )
        elif params.get("ModelPackageGroupName") and not resources:
            resources.append(
                self.arn("sagemaker", f"model-package-group/{params['ModelPackageGroupName']}")
            )
        if not resources:
            return None
        pairs: list = [(action, resources, {})]
        role = params.get("RoleArn") or params.get("ExecutionRoleArn")
        if operation.startswith(("Create", "Update")):
            pairs += self._pass_role(role, "sagemaker")
        return pairs

    def _sagemaker_runtime(self, operation: str, params: dict[str, Any]):
        if operation != "InvokeEndpoint":
            return None
        return [
            (
                "sagemaker:InvokeEndpoint",
                [self.arn("sagemaker", f"endpoint/{params['EndpointName'].lower()}")],
                {},
            )
        ]

    # -- EventBridge, Scheduler ------------------------------------------------------------------
    def _events(self, operation: str, params: dict[str, Any]):
        action = f"events:{operation}"
        if operation == "InvokeApiDestination":
            # Not an API operation: the authorization EventBridge makes, as the rule target's
            # role, when it delivers an event to an API destination.
            return [(action, [params["ApiDestinationArn"]], {})]
        if params.get("ResourceARN"):
            return [(action, [params["ResourceARN"]], {})]
        if operation.endswith("Connection"):
            name = params["Name"]
            resource = self.arn("events", f"connection/{name}/{UUID}")
            pairs: list = [(action, [resource], {})]
            # EventBridge keeps the credential in a secret it writes with the caller's rights.
            secret = self.arn(
                "secretsmanager", f"secret:events!connection/{name}/{UUID}{SECRET_SUFFIX}"
            )
            verbs = {
                "CreateConnection": ["CreateSecret"],
                "UpdateConnection": ["UpdateSecret", "PutSecretValue"],
                "DeleteConnection": ["DeleteSecret"],
                "DescribeConnection": ["DescribeSecret"],
            }[operation]
            pairs += [(f"secretsmanager:{verb}", [secret], {}) for verb in verbs]
            return pairs
        if operation.endswith("ApiDestination"):
            return [(action, [self.arn("events", f"api-destination/{params['Name']}/{UUID}")], {})]
        rule = params.get("Rule") or params.get("Name")
        if rule and ("Rule" in operation or "Targets" in operation):
            pairs = [(action, [self.arn("events", f"rule/{rule}")], {})]
            if operation == "PutTargets":
                for target in params.get("Targets", []):
                    pairs += self._pass_role(target.get("RoleArn"), "events")
            return pairs
        return None

    def _scheduler(self, operation: str, params: dict[str, Any]):
        action = f"scheduler:{operation}"
        if params.get("ResourceArn"):
            return [(action, [params["ResourceArn"]], {})]
        if operation.endswith("Schedule") and params.get("Name"):
            group = params.get("GroupName") or "default"
            schedule = self.arn("scheduler", f"schedule/{group}/{params['Name']}")
            pairs = [(action, [schedule], {})]
            if operation in ("CreateSchedule", "UpdateSchedule"):
                pairs += self._pass_role(params.get("Target", {}).get("RoleArn"), "scheduler")
                pairs += self._scheduler_kms(params.get("KmsKeyArn"), schedule)
            return pairs
        return None

    def _scheduler_kms(self, key: str | None, schedule: str) -> list:
        """A schedule with a customer managed key: Scheduler encrypts the target payload with
        the *caller's* permissions (EventBridge Scheduler User Guide, "Encryption at rest",
        "Managing KMS keys": kms:DescribeKey, kms:GenerateDataKey and kms:Decrypt via
        scheduler.<region>, encryption context aws:scheduler:schedule:arn)."""
        if not key:
            return []
        key_arn = self.account.key_arn(key) or key
        via = self._kms_via(key_arn, "scheduler", {"aws:scheduler:schedule:arn": schedule})
        return [
            (f"kms:{verb}", [key_arn], via)
            for verb in ("DescribeKey", "GenerateDataKey", "Decrypt")
        ]

    # -- Logs, CloudWatch ------------------------------------------------------------------------
    def _logs(self, operation: str, params: dict[str, Any]):
        action = f"logs:{operation}"
        if params.get("resourceArn"):
            return [(action, [params["resourceArn"]], {})]
        group = params.get("logGroupName") or params.get("logGroupIdentifier")
        if operation == "DescribeLogGroups" or not group:
            return [(action, ["*"], {})] if not iam_data.required_resource_types(action) else None
        resource = self.arn("logs", f"log-group:{group}")
        if params.get("logStreamName"):
            resource += f":log-stream:{params['logStreamName']}"
        return [(action, [resource], {})]

    def _cloudwatch(self, operation: str, params: dict[str, Any]):
        action = f"cloudwatch:{operation}"
        if params.get("ResourceARN"):
            return [(action, [params["ResourceARN"]], {})]
        names = params.get("AlarmNames") or (
            [params["AlarmName"]] if params.get("AlarmName") else []
        )
        names += [v for k, v in params.items() if re.fullmatch(r"AlarmNames\.member\.\d+", k)]
        if names:
            return [(action, [self.arn("cloudwatch", f"alarm:{name}") for name in names], {})]
        extra = {"cloudwatch:namespace": params["Namespace"]} if params.get("Namespace") else {}
        return [(action, ["*"], extra)]

    # -- SNS, SQS, Secrets Manager, ECR -----------------------------------------------------------
    def _sns(self, operation: str, params: dict[str, Any]):
        action = f"sns:{operation}"
        arn = params.get("TopicArn") or params.get("ResourceArn")
        if operation == "CreateTopic":
            arn = self.arn("sns", params["Name"])
        if not arn and params.get("SubscriptionArn"):
            arn = params["SubscriptionArn"].rsplit(":", 1)[0]
        return [(action, [arn], {})] if arn else None

    def _sqs(self, operation: str, params: dict[str, Any]):
        action = f"sqs:{operation}"
        name = params.get("QueueName")
        if params.get("QueueUrl"):
            name = params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]
        return [(action, [self.arn("sqs", name)], {})] if name else None

    def _secretsmanager(self, operation: str, params: dict[str, Any]):
        action = f"secretsmanager:{operation}"
        secret = params.get("SecretId") or params.get("Name")
        if not secret:
            return None
        arn = (
            secret
            if secret.startswith("arn:")
            else self.arn("secretsmanager", f"secret:{secret}{SECRET_SUFFIX}")
        )
        return [(action, [arn], {})]

    def _ecr(self, operation: str, params: dict[str, Any]):
        action = f"ecr:{operation}"
        if operation == "GetAuthorizationToken":
            return [(action, ["*"], {})]
        if params.get("resourceArn"):
            return [(action, [params["resourceArn"]], {})]
        names = params.get("repositoryNames") or (
            [params["repositoryName"]] if params.get("repositoryName") else []
        )
        if not names:
            return None
        # registryId: another account's registry (AWS's prebuilt images, e.g. Model Monitor's)
        registry = params.get("registryId") or self.id
        arns = [f"arn:aws:ecr:{self.region}:{registry}:repository/{n}" for n in names]
        pairs: list = [(action, arns, {})]
        encryption = params.get("encryptionConfiguration") or {}
        if operation == "CreateRepository" and encryption.get("kmsKey"):
            # ECR creates a grant on the key for the repository, with the caller's rights.
            key_arn = self.account.key_arn(encryption["kmsKey"]) or encryption["kmsKey"]
            via = self._kms_via(key_arn, "ecr", {})
            pairs += [
                ("kms:CreateGrant", [key_arn], {**via, "kms:GrantIsForAWSResource": "true"}),
                ("kms:DescribeKey", [key_arn], via),
            ]
        return pairs


def _copy_source(source: Any) -> tuple[str, str]:
    """CopySource as boto3 takes it ({"Bucket", "Key"}) or as sent ("bucket/key?versionId=")."""
    if isinstance(source, dict):
        return source["Bucket"], source["Key"]
    path = unquote(urlsplit("/" + str(source).lstrip("/")).path).lstrip("/")
    bucket, _, key = path.partition("/")
    return bucket, key
