"""The first deploy of a fresh fork, end to end, against a moto server standing in for a fresh
AWS account: bootstrap as docs/cicd.md says, `make plan ENV=dev`, the release workflow's images
job (`make foundation ENV=dev`, then images pushed into ECR), `make deploy ENV=dev
START_PIPELINE=1` with their digests; then a second deploy that changes nothing.

The fork is a copy of this working tree (a git repository of its own, sharing this venv) whose
configuration is untouched except for test-only override files and the backend's endpoint (all
pointing at moto). Where moto cannot evaluate a policy as AWS does, the copy says so:

- moto applies a bucket policy's Deny without evaluating its Condition (moto/s3/responses.py:
  bucket.get_permission), so the state bucket's TLS-only Deny and the artifact bucket's
  TLS-only/KMS-only Denies would refuse every object request. The copy swaps those two policies for
  inert ones; the requests they govern (state reads and writes over TLS, PutObject with and
  without the encryption header) are decided by the access proof, `make proof`
  (@cloud-copilot/iam-simulate on the policies Terraform renders).
- moto does not check IAM at all here (no INITIAL_NO_AUTH_ACTION_COUNT), so which role may do
  what is also the access proof's.

Run with `make test-integration` (several minutes on two cores).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
from pathlib import Path

import boto3
import pytest
import yaml

import code_bundle
from definition_check.create_pipeline import requests_from_terraform, validate_request
from local_moto.server import running_moto

# Bootstrap, a targeted and a full apply, a second deploy: minutes each on two shared cores.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

REPO_ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = Path("/opt/tf-plugins")
SERVICES = (
    "applicationautoscaling", "cloudwatch", "ecr", "events", "iam", "kms", "lambda", "logs", "s3",
    "sagemaker", "scheduler", "secretsmanager", "sns", "sqs", "sts",
)  # fmt: skip
# Attributes moto accepts but does not return, so the AWS provider plans them again on every run
# (on AWS both round-trip and the second plan is empty). Only these in-place updates are tolerated.
MOTO_ROUND_TRIP_GAPS = {
    # moto/events/responses.py: CreateConnection ignores KmsKeyIdentifier, DescribeConnection omits it
    "module.approval.aws_cloudwatch_event_connection.github[0]",
    # moto/s3: GetBucketNotificationConfiguration does not return EventBridgeConfiguration
    "module.storage.aws_s3_bucket_notification.artifacts",
}
INERT_POLICY = """resource "aws_s3_bucket_policy" "{name}" {{
  # Test-only (see tests/release): moto denies without evaluating conditions; `make proof`
  # evaluates the real policy.
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "MotoInertPlaceholder"
      Effect    = "Deny"
      Principal = {{ AWS = "arn:aws:iam::{account}:role/nobody" }}
      Action    = "s3:GetObject"
      Resource  = "${{{bucket}.arn}}/nothing"
    }}]
  }})
}}
"""


def fork_helpers():
    """tests/fork's helpers (copy of the working tree, shared venv, make in the copy)."""
    path = REPO_ROOT / "tests" / "fork" / "fork_helpers.py"
    spec = importlib.util.spec_from_file_location("fork_helpers_for_release", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dev() -> dict:
    return yaml.safe_load((REPO_ROOT / "environments" / "dev.yaml").read_text())


@pytest.fixture(scope="module")
def moto(dev, tmp_path_factory):
    """moto's server standing in for dev's fresh account, on a port of its own (local_moto)."""
    account = str(dev["aws"]["account_id"])
    with running_moto(account, tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


@pytest.fixture(scope="module")
def environment(moto, dev) -> dict[str, str]:
    """What a person (or CI after OIDC) has: credentials for the account, its region; here moto's
    endpoint too. Nothing of the caller's AWS profile, no make variables of a parent make."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "TF_", "MAKE", "MFLAGS")) and key != "PYTHONPATH"
    }
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": dev["aws"]["region"],
            "AWS_DEFAULT_REGION": dev["aws"]["region"],
            "AWS_ENDPOINT_URL": moto,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
        }
    )
    return env


def provider_override(moto: str, services: tuple[str, ...]) -> str:
    endpoints = "\n".join(f'    {service} = "{moto}"' for service in services)
    return (
        'provider "aws" {\n  access_key = "test"\n  secret_key = "test"\n'
        "  skip_metadata_api_check = true\n  s3_use_path_style = true\n"
        f"  endpoints {{\n{endpoints}\n  }}\n}}\n"
    )


@pytest.fixture(scope="module")
def fork(tmp_path_factory, moto, dev) -> Path:
    """A fresh fork: this tree in a git repository of its own, pointed at moto by override files."""
    helpers = fork_helpers()
    root = helpers.copy_working_tree(tmp_path_factory.mktemp("fork"))
    account = dev["aws"]["account_id"]
    terraform = root / "terraform"
    (terraform / "zz_moto_override.tf").write_text(provider_override(moto, SERVICES))
    (terraform / "bootstrap" / "zz_moto_override.tf").write_text(
        provider_override(moto, ("iam", "kms", "s3", "sts"))
        + INERT_POLICY.format(name="state", account=account, bucket="aws_s3_bucket.state")
    )
    (terraform / "modules" / "storage" / "zz_moto_override.tf").write_text(
        INERT_POLICY.format(name="artifacts", account=account, bucket="aws_s3_bucket.artifacts")
    )
    backend = root / "environments" / "dev.backend.hcl"
    backend.write_text(
        backend.read_text()
        + f'\n# Test-only: moto\nendpoints = {{ s3 = "{moto}", sts = "{moto}" }}\n'
        "use_path_style = true\nskip_credentials_validation = true\n"
        "skip_requesting_account_id = true\nskip_metadata_api_check = true\n"
    )
    return root


def run(root: Path, env: dict[str, str], *args: str, timeout: int = 1500):
    """A command in the fork, in a session of its own: if the test stops (failure, timeout), the
    whole group goes (make, terraform and its provider plugin), not only the first process."""
    process = subprocess.Popen(
        list(args), cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    result = subprocess.CompletedProcess(args, process.returncode, stdout, stderr)
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n{stdout[-6000:]}\n{stderr[-6000:]}"
        )
    return result


def terraform(root: Path, env: dict[str, str], directory: str, *args: str):
    return run(root, env, "terraform", f"-chdir={directory}", *args)


def push_image(ecr, repository: str, tag: str, label: str) -> str:
    """An image of this commit in moto's ECR (what the images job's docker push leaves there)."""
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "size": 7, "digest": "sha256:" + label * 64},
            "layers": [],
        }
    )  # fmt: skip
    image = ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)
    return image["image"]["imageId"]["imageDigest"]


def object_versions(s3, bucket: str, prefix: str) -> list[tuple[str, str]]:
    listed = s3.list_object_versions(Bucket=bucket, Prefix=prefix)
    return sorted((v["Key"], v["VersionId"]) for v in listed.get("Versions", []))


def test_first_deploy_of_a_fresh_fork_then_a_second_that_changes_nothing(
    fork, environment, moto, dev
):
    env, res = environment, dev["resources"]
    aws = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=dev["aws"]["region"]
    )

    def client(service: str):
        return aws.client(service, endpoint_url=moto)

    # 1. Bootstrap, once per account (docs/cicd.md "Setting up a fork", step 2).
    init = ["init", "-input=false", "-no-color"]
    if PLUGIN_DIR.is_dir():
        init.append(f"-plugin-dir={PLUGIN_DIR}")
    terraform(fork, env, "terraform/bootstrap", *init)
    applied = terraform(
        fork, env, "terraform/bootstrap", "apply", "-auto-approve", "-input=false", "-no-color"
    )
    # The role ARNs the docs ask to copy are not buried under the policy documents.
    summary = applied.stdout[applied.stdout.rindex("\nOutputs:") :]
    assert len(summary) < 5_000, f"bootstrap prints {len(summary)} characters of outputs"
    assert (
        f'"dev" = "arn:aws:iam::{dev["aws"]["account_id"]}:role/{dev["project"]}-dev-github-deploy"'
        in summary
    )
    assert "policy_documents = <sensitive>" in summary
    # The operator's one manual step (docs/cicd.md, "Approval dispatch"): the dispatch token in Secrets Manager.
    client("secretsmanager").create_secret(
        Name=f"{dev['project']}/dev/github-dispatch-token", SecretString="not-a-real-token"
    )

    # 2. A plan of dev from the fork (what a pull request shows).
    run(fork, env, "make", "definition", "ENV=dev")
    plan = run(fork, env, "make", "plan", "ENV=dev")
    assert "Plan:" in plan.stdout and "to add" in plan.stdout

    # 3. The release workflow's images job: dev's foundation first, then the push.
    foundation = run(fork, env, "make", "foundation", "ENV=dev", "AUTO_APPROVE=1")
    assert "applying module.storage and module.ecr first" in foundation.stdout
    sha = run(fork, env, "git", "rev-parse", "HEAD").stdout.strip()
    ecr = client("ecr")
    job = push_image(ecr, res["job_image_repository"], sha, "a")
    inference = push_image(ecr, res["inference_image_repository"], sha, "b")
    deploy = ("make", "deploy", "ENV=dev", "AUTO_APPROVE=1", f"IMAGE_TAG={sha}",
              f"JOB_IMAGE_DIGEST={job}", f"INFERENCE_IMAGE_DIGEST={inference}")  # fmt: skip

    # 4. The dev job: make deploy ENV=dev START_PIPELINE=1 with those digests.
    first = run(fork, env, *deploy, "START_PIPELINE=1")
    assert "ok: bucket and repositories exist" in first.stdout
    assert "wrote the sample set" in first.stdout

    sagemaker, s3 = client("sagemaker"), client("s3")
    definition_file = fork / "build" / "dev" / "pipeline-definition.json"
    definition = json.loads(definition_file.read_text())
    pipeline = sagemaker.describe_pipeline(PipelineName=res["pipeline_name"])
    assert json.loads(pipeline["PipelineDefinition"]) == definition
    assert f"{res['job_image_repository']}@{job}" in definition_file.read_text()

    # The code bundle is at the URI the definition names, every file of it.
    code_uri = next(
        i["S3Input"]["S3Uri"] for i in definition["Steps"][0]["Arguments"]["ProcessingInputs"]
        if i["InputName"] == "code"
    )  # fmt: skip
    bucket, prefix = code_uri[len("s3://") :].split("/", 1)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    expected = sorted(f.as_posix() for f in code_bundle.files(fork / "training_code"))
    assert sorted(o["Key"][len(prefix) :] for o in listed) == expected

    # The run has input data and was started.
    raw_bucket, raw_prefix = dev["pipeline"]["input_data_uri"][len("s3://") :].split("/", 1)
    assert s3.head_object(Bucket=raw_bucket, Key=raw_prefix + "sample/breast_cancer.csv")
    executions = sagemaker.list_pipeline_executions(PipelineName=res["pipeline_name"])
    assert len(executions["PipelineExecutionSummaries"]) == 1

    # The CreatePipeline request Terraform sent passes SageMaker's API model (definition_check).
    state = terraform(fork, env, "terraform", "show", "-json")
    document = json.loads(state.stdout)
    requests = requests_from_terraform(document)
    assert requests and all(validate_request(r) == [] for r in requests.values())

    # 5. A second deploy of the same commit changes nothing.
    state_key = "dev/terraform.tfstate"
    state_bucket = f"{dev['project']}-tfstate-{dev['aws']['account_id']}"
    before = {
        "state": object_versions(s3, state_bucket, state_key),
        "code": object_versions(s3, bucket, prefix),
        "raw": object_versions(s3, raw_bucket, raw_prefix),
    }
    second = run(fork, env, *deploy)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", second.stdout)  # terraform colours its summary
    changed = re.findall(r"# (\S+) (will be|must be) (\S+)", plain)
    unexpected = [c for c in changed if c[0] not in MOTO_ROUND_TRIP_GAPS or c[2] != "updated"]
    plan_text = plain[plain.find("Terraform will perform") :][:4000]
    assert not unexpected, f"the second deploy's plan changes something:\n{plan_text}"
    assert "No changes." in plain or "Plan: 0 to add," in plain
    assert "ok: bucket and repositories exist" in second.stdout
    assert f"0 files uploaded, {len(expected)} already there" in second.stdout
    after = {
        "state": object_versions(s3, state_bucket, state_key),
        "code": object_versions(s3, bucket, prefix),
        "raw": object_versions(s3, raw_bucket, raw_prefix),
    }
    if changed:  # only moto's round-trip gaps were re-applied: the state got a new version
        before.pop("state"), after.pop("state")
    assert after == before
    executions = sagemaker.list_pipeline_executions(PipelineName=res["pipeline_name"])
    assert len(executions["PipelineExecutionSummaries"]) == 1
