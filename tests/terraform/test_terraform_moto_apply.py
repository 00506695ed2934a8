"""Apply the root module for dev against a local moto server, check what exists, destroy it.

Every AWS endpoint of the provider points at http://127.0.0.1:<free port> (an override file in a
copy of terraform/, so nothing test-only lives in the real configuration); moto answers for account
aws.account_id of environments/dev.yaml, so the provider's allowed_account_ids check runs as on AWS.

Two moto gaps are handled here, each for a stated reason:
- moto evaluates a bucket-policy Deny whose condition does not match as an unconditional Deny
  (moto/iam/access_control.py), so the TLS-only / KMS-only policy of the artifact bucket would
  refuse every object write. The copy swaps that one policy for an inert one; the real statements
  are evaluated by AWS's rules in `make proof` (@cloud-copilot/iam-simulate).
- moto has no DeleteModelPackageGroup: the group is removed from the state before destroy (on AWS
  destroy deletes it; a group holding model packages must be emptied first, on purpose).

Run with `make test-integration` (minutes on two cores; plain `pytest` deselects it).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from local_moto.server import running_moto

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DEFINITION = (
    REPO_ROOT / "terraform" / "tests" / "fixtures" / "dev" / "pipeline-definition.json"
)
FIXTURE_BATCH_DEFINITION = FIXTURE_DEFINITION.with_name("batch-definition.json")
SERVICES = (
    "applicationautoscaling", "cloudwatch", "ecr", "events", "iam", "kms", "lambda", "logs", "s3",
    "sagemaker", "scheduler", "secretsmanager", "sns", "sqs", "sts",
)  # fmt: skip


def dev_config() -> dict:
    import yaml

    return yaml.safe_load((REPO_ROOT / "environments" / "dev.yaml").read_text())


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    """moto's server playing dev's account, on a port of its own (local_moto)."""
    account = str(dev_config()["aws"]["account_id"])
    with running_moto(account, tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


@pytest.fixture(scope="module")
def aws(moto):
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return lambda service: session.client(service, endpoint_url=moto)


@pytest.fixture(scope="module")
def workdir(tf, moto, tmp_path_factory):
    tf.terraform_binary()
    root = tf.copy_configuration(tmp_path_factory.mktemp("moto-apply"))
    endpoints = "\n".join(f'    {service} = "{moto}"' for service in SERVICES)
    (root / "zz_moto_override.tf").write_text(
        'terraform {\n  backend "local" {}\n}\n\n'
        'provider "aws" {\n'
        '  access_key              = "test"\n'
        '  secret_key              = "test"\n'
        "  skip_metadata_api_check = true\n"
        "  s3_use_path_style       = true\n"
        f"  endpoints {{\n{endpoints}\n  }}\n"
        "}\n"
    )
    # See the module docstring: moto treats a non-matching conditional Deny as a Deny.
    (root / "modules" / "storage" / "zz_moto_override.tf").write_text(
        'resource "aws_s3_bucket_policy" "artifacts" {\n'
        "  policy = jsonencode({\n"
        '    Version = "2012-10-17"\n'
        "    Statement = [{\n"
        '      Sid       = "MotoInertPlaceholder"\n'
        '      Effect    = "Deny"\n'
        '      Principal = { AWS = "arn:aws:iam::000000000000:role/nobody" }\n'
        '      Action    = "s3:GetObject"\n'
        '      Resource  = "${aws_s3_bucket.artifacts.arn}/nothing"\n'
        "    }]\n"
        "  })\n"
        "}\n"
    )
    tf.init(root, tf.terraform_env())
    return root


def terraform(tf, workdir, *args, check=True, timeout=900):
    flags = ["-input=false"] if args[0] in ("plan", "apply", "destroy") else []
    return tf.run(
        [tf.terraform_binary(), *args, *flags, "-no-color"],
        workdir,
        helper_env(tf, workdir),
        timeout=timeout,
        check=check,
    )


def helper_env(tf, workdir) -> dict[str, str]:
    """The apply's one helper (modules/approval/set_github_token.py, boto3) talks to moto too."""
    url = (workdir / "zz_moto_override.tf").read_text().split('s3 = "', 1)[1].split('"', 1)[0]
    return tf.terraform_env(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=dev_config()["aws"]["region"],
        TF_VAR_python=sys.executable,
    )


def test_apply_check_destroy_dev(tf, workdir, aws):
    cfg = dev_config()
    res = cfg["resources"]
    token_secret = f"{cfg['project']}/dev/github-dispatch-token"
    # The operator's one manual step (docs/infrastructure.md): the token in Secrets Manager.
    aws("secretsmanager").create_secret(Name=token_secret, SecretString="not-a-real-token")
    # What terraform/bootstrap creates before any environment: the roles' permissions boundary
    # (its content is tested by bootstrap's terraform test; here it only has to exist).
    boundary = aws("iam").create_policy(
        PolicyName=f"{cfg['project']}-dev-boundary",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"}
                ],
            }
        ),
    )["Policy"]["Arn"]
    common = [
        "-var-file=../environments/dev.tfvars",
        f"-var=pipeline_definition_file={FIXTURE_DEFINITION}",
        f"-var=batch_definition_file={FIXTURE_BATCH_DEFINITION}",
        f"-var=deployments_file={workdir / 'no-deployment.json'}",
    ]

    # A plan without the generated definition stops with the command to run.
    missing = terraform(
        tf,
        workdir,
        "plan",
        "-var-file=../environments/dev.tfvars",
        f"-var=pipeline_definition_file={workdir / 'missing.json'}",
        f"-var=batch_definition_file={FIXTURE_BATCH_DEFINITION}",
        check=False,
    )
    assert missing.returncode != 0
    assert "make definition ENV=dev" in " ".join(missing.stderr.split())

    terraform(tf, workdir, "apply", "-auto-approve", *common)
    outputs = {
        key: value["value"]
        for key, value in json.loads(terraform(tf, workdir, "output", "-json").stdout).items()
    }
    required = {
        "bucket", "kms_key_arn", "pipeline_name", "pipeline_arn", "model_package_group",
        "job_image_repository_url", "inference_image_repository_url", "execution_role_arn",
        "deploy_role_arn", "endpoint_name", "alarm_names", "sns_topic_arn",
    }  # fmt: skip
    assert required <= set(outputs)
    key_arn = outputs["kms_key_arn"]
    bucket = res["artifact_bucket"]
    assert outputs["bucket"] == bucket

    # Storage: versioned, KMS by default, private, NO_CHAMPION marker, lifecycle per prefix.
    s3 = aws("s3")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    default = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][
        0
    ]["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms" and default["KMSMasterKeyID"] == key_arn
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    marker = s3.head_object(Bucket=bucket, Key=f"{res['prefix']}/champion/current/NO_CHAMPION")
    assert marker["ServerSideEncryption"] == "aws:kms"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    expiry = {
        rule["Filter"]["Prefix"]: rule["Expiration"]["Days"]
        for rule in rules
        if "Expiration" in rule and rule.get("Filter", {}).get("Prefix")
    }
    for name, days in cfg["storage"]["lifecycle_days"].items():
        assert expiry[f"{res['prefix']}/{name}/"] == days
    logging = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
    assert logging["TargetBucket"] == f"{bucket}-logs"

    # Pipeline: the registered definition is the file, run as the execution role.
    sagemaker = aws("sagemaker")
    pipeline = sagemaker.describe_pipeline(PipelineName=res["pipeline_name"])
    assert pipeline["RoleArn"] == outputs["execution_role_arn"]
    assert pipeline["RoleArn"].endswith(f":role/{res['execution_role_name']}")
    assert json.loads(pipeline["PipelineDefinition"]) == json.loads(FIXTURE_DEFINITION.read_text())
    assert sagemaker.describe_model_package_group(ModelPackageGroupName=res["model_package_group"])

    # IAM: the roles exist; no policy has a wildcard action.
    iam = aws("iam")
    for suffix in ("scheduler", "events", "deploy"):
        role = f"{cfg['project']}-dev-{suffix}"
        document = iam.get_role_policy(RoleName=role, PolicyName="least-privilege")
        actions = [
            action
            for statement in document["PolicyDocument"]["Statement"]
            for action in (
                [statement["Action"]]
                if isinstance(statement["Action"], str)
                else statement["Action"]
            )
        ]
        assert actions and not [action for action in actions if "*" in action], role
    execution_role = iam.get_role(RoleName=res["execution_role_name"])["Role"]
    assert execution_role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary

    # Images: immutable, scanned, KMS.
    for repository in aws("ecr").describe_repositories(
        repositoryNames=[res["job_image_repository"], res["inference_image_repository"]]
    )["repositories"]:
        assert repository["imageTagMutability"] == "IMMUTABLE"
        assert repository["imageScanningConfiguration"]["scanOnPush"] is True
        assert repository["encryptionConfiguration"]["encryptionType"] == "KMS"

    # Approval: Approved packages of dev's group -> GitHub repository_dispatch, DLQ and retries.
    events = aws("events")
    rule = events.describe_rule(Name=f"{cfg['project']}-dev-model-approved")
    pattern = json.loads(rule["EventPattern"])
    assert pattern["detail"] == {
        "ModelPackageGroupName": [res["model_package_group"]],
        "ModelApprovalStatus": ["Approved"],
    }
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert ":api-destination/" in target["Arn"]
    assert target["DeadLetterConfig"]["Arn"].endswith(f"{cfg['project']}-dev-approval-dlq")
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert '"event_type": "model-approved"' in target["InputTransformer"]["InputTemplate"]
    destination = events.describe_api_destination(Name=f"{cfg['project']}-dev-github-dispatch")
    assert destination["InvocationEndpoint"] == (
        f"https://api.github.com/repos/{cfg['github_repository']}/dispatches"
    )

    # Triggers: the cron of the YAML with InputDataUri; new raw data starts the pipeline too.
    schedule = aws("scheduler").get_schedule(Name=f"{cfg['project']}-dev-pipeline")
    assert schedule["ScheduleExpression"] == cfg["pipeline"]["schedule"]
    assert schedule["KmsKeyArn"] == key_arn
    parameters = schedule["Target"]["SageMakerPipelineParameters"]["PipelineParameterList"]
    assert {"Name": "InputDataUri", "Value": cfg["pipeline"]["input_data_uri"]} in parameters
    new_data = json.loads(
        events.describe_rule(Name=f"{cfg['project']}-dev-new-data")["EventPattern"]
    )
    assert new_data["detail"]["object"]["key"] == [{"prefix": f"{res['prefix']}/raw/"}]

    # Alerts and DLQ encrypted with the environment key.
    topic = aws("sns").get_topic_attributes(TopicArn=outputs["sns_topic_arn"])["Attributes"]
    assert topic["KmsMasterKeyId"] == key_arn
    sqs = aws("sqs")
    queue_url = sqs.get_queue_url(QueueName=f"{cfg['project']}-dev-approval-dlq")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == key_arn

    # dev: endpoint.enabled is false -> no endpoint, no alarms.
    assert outputs["alarm_names"] == [] and outputs["endpoint_managed"] is False
    assert not sagemaker.list_endpoints()["Endpoints"]

    # Destroy (moto has no DeleteModelPackageGroup: see the module docstring).
    terraform(tf, workdir, "state", "rm", "module.registry.aws_sagemaker_model_package_group.this")
    terraform(tf, workdir, "destroy", "-auto-approve", *common)
    assert not [
        name for name in terraform(tf, workdir, "state", "list", check=False).stdout.split()
    ]
    buckets = [entry["Name"] for entry in s3.list_buckets()["Buckets"]]
    assert bucket not in buckets and f"{bucket}-logs" not in buckets
    assert not [
        role["RoleName"]
        for role in iam.list_roles()["Roles"]
        if re.match(rf"{cfg['project']}-dev-", role["RoleName"])
    ]
    assert not sagemaker.list_pipelines()["PipelineSummaries"]
