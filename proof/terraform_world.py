"""Terraform's rendering of the real modules, and the requests Terraform makes, against moto.

One moto server stands in for a fresh account: bootstrap is applied first (as an administrator
would; not part of the proof), then each environment root is applied through the real S3 backend
of environments/<env>.backend.hcl (recorded: what the GitHub deploy role does), and dev is
planned again (recorded: what the read-only plan role does). `terraform show -json` of each
state is the policy source of the proof: every document exactly as Terraform rendered it.

Only the endpoints change (an override file in a copy under build/proof/); nothing test-only
lives in terraform/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from proof.moto_server import MotoServer, ProofError, moto_server

REPO_ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIR = Path("/opt/tf-plugins")
APPLIED_ENVIRONMENTS = ("dev", "staging")
SERVICES = (
    "applicationautoscaling", "cloudwatch", "ecr", "events", "iam", "kms", "lambda", "logs", "s3",
    "sagemaker", "scheduler", "secretsmanager", "sns", "sqs", "sts",
)  # fmt: skip
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "proof", "AWS_SECRET_ACCESS_KEY": "proof"}


@dataclass(frozen=True)
class World:
    """Where one render lives: states (terraform show -json) and raw recordings."""

    directory: Path

    def state(self, name: str) -> dict:
        path = self.directory / f"state-{name}.json"
        if not path.exists():
            raise ProofError(
                f"{path} is missing: the cache is incomplete, run `python -m proof --refresh`."
            )
        return json.loads(path.read_text())

    def planned(self, name: str) -> dict:
        """A plan's planned values, shaped like a state (`values.root_module`)."""
        path = self.directory / f"plan-{name}.json"
        if not path.exists():
            raise ProofError(
                f"{path} is missing: the cache is incomplete, run `python -m proof --refresh`."
            )
        return {"values": json.loads(path.read_text())["planned_values"]}

    def recording(self, name: str) -> Path:
        return self.directory / f"recording-{name}.jsonl"


def terraform_binary() -> str:
    path = shutil.which("terraform")
    if not path:
        raise ProofError("terraform not found on PATH: install Terraform >= 1.10 and rerun.")
    return path


def terraform_env(url: str, region: str, data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "TF_")) or key == "TF_PLUGIN_CACHE_DIR"
    }
    env.update(CREDENTIALS)
    env.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # set_github_token.py (the apply's helper) talks to the same moto server
            "AWS_ENDPOINT_URL": url,
            "TF_VAR_python": sys.executable,
            "TF_IN_AUTOMATION": "1",
            "TF_CLI_CONFIG_FILE": os.devnull,
            "CHECKPOINT_DISABLE": "1",
            "TF_DATA_DIR": str(data_dir),
        }
    )
    return env


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [terraform_binary(), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise ProofError(f"terraform {' '.join(args[:2])} in {cwd} failed:\n{tail}")
    return result.stdout


def provider_override(url: str) -> str:
    endpoints = "\n".join(f'    {service} = "{url}"' for service in SERVICES)
    return (
        'provider "aws" {\n'
        '  access_key                  = "proof"\n'
        '  secret_key                  = "proof"\n'
        "  skip_metadata_api_check     = true\n"
        "  skip_credentials_validation = true\n"
        "  s3_use_path_style           = true\n"
        f"  endpoints {{\n{endpoints}\n  }}\n"
        "}\n"
    )


def backend_override(url: str) -> str:
    """The S3 backend of environments/<env>.backend.hcl, pointed at moto (endpoints only)."""
    return (
        "terraform {\n"
        '  backend "s3" {\n'
        '    access_key                  = "proof"\n'
        '    secret_key                  = "proof"\n'
        "    skip_credentials_validation = true\n"
        "    skip_requesting_account_id  = true\n"
        "    skip_metadata_api_check     = true\n"
        "    use_path_style              = true\n"
        f'    endpoints = {{ s3 = "{url}", sts = "{url}" }}\n'
        "  }\n"
        "}\n"
    )


def copy_configuration(destination: Path, definitions: dict[str, Path]) -> Path:
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(REPO_ROOT / "environments", destination / "environments")
    shutil.copytree(
        REPO_ROOT / "terraform",
        destination / "terraform",
        ignore=shutil.ignore_patterns(".terraform", "tests", "*.tfstate*", "*.tfplan"),
    )
    # the root reads the feature names of the schema (monitoring's per-feature alarms)
    schema = destination / "training_code" / "schema.json"
    schema.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "training_code" / "schema.json", schema)
    for env, definition in definitions.items():
        target = destination / "build" / env / "pipeline-definition.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(definition, target)
        # the batch pipeline's definition: the fixture next to the training one
        batch = definition.with_name("batch-definition.json")
        if batch.exists():
            shutil.copyfile(batch, target.with_name("batch-definition.json"))
    return destination / "terraform"


def seed_operator_steps(moto: MotoServer, config: dict, environments: tuple[str, ...]) -> None:
    """What a person does once before the first apply: the GitHub token in Secrets Manager."""
    import boto3

    client = boto3.session.Session(**_session_args(config)).client(
        "secretsmanager", endpoint_url=moto.url
    )
    for env in environments:
        client.create_secret(
            Name=f"{config['project']}/{env}/github-dispatch-token", SecretString="proof-token"
        )


def _session_args(config: dict) -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": config["aws"]["region"],
    }


# The environment whose endpoint the proof monitors: its data capture is on. Model Monitor's
# schedule exists once deployments/<env>.json names an approved package, and moto 5.2 has no
# CreateMonitoringSchedule, so that state is planned (not applied) on top of the applied one:
# `terraform show -json` of the plan holds the job definition, endpoint configuration and
# alarms exactly as Terraform would create them.
MONITORED = "staging"


def _plan_monitoring(
    root: Path, env: dict[str, str], work: Path, config: dict, variables: list[str], into: Path
) -> None:
    region, account = config["aws"]["region"], config["aws"]["account_id"]
    group = config["project"] + f"-{MONITORED}"  # resources.model_package_group's default form
    deployment = work / f"{MONITORED}-deployment.json"
    package = f"arn:aws:sagemaker:{region}:{account}:model-package/{group}/1"
    deployment.write_text(json.dumps({"environment": MONITORED, "model_package_arn": package}))
    plan = work / f"{MONITORED}-monitoring.tfplan"
    with_package = [v for v in variables if not v.startswith("-var=deployments_file=")]
    with_package.append(f"-var=deployments_file={deployment}")
    run(["plan", "-input=false", "-no-color", "-lock=false", f"-out={plan}", *with_package],
        root, env)  # fmt: skip
    (into / f"plan-{MONITORED}-monitoring.json").write_text(
        run(["show", "-json", str(plan)], root, env)
    )


def init_args() -> list[str]:
    args = ["init", "-input=false", "-no-color"]
    if PLUGIN_DIR.is_dir():
        args.append(f"-plugin-dir={PLUGIN_DIR}")
    return args


def render(
    destination: Path,
    definitions: dict[str, Path],
    config: dict,
    after_apply=None,
) -> World:
    """Apply bootstrap and the environment roots on a fresh moto server; record and render.

    `after_apply(moto_url, world)` runs while the server is still up (the code recordings that
    need the applied account: the release orchestrator's steps)."""
    region = config["aws"]["region"]
    shared_account = True  # every environment of environments/ is applied into this one server
    work = destination / "work"
    root = copy_configuration(work, definitions)
    destination.mkdir(parents=True, exist_ok=True)
    world = World(destination)
    with moto_server(str(config["aws"]["account_id"]), destination / "moto") as moto:
        seed_operator_steps(moto, config, APPLIED_ENVIRONMENTS)
        bootstrap = root / "bootstrap"
        (bootstrap / "zz_proof_override.tf").write_text(provider_override(moto.url))
        env = terraform_env(moto.url, region, work / ".tf-bootstrap")
        run(init_args(), bootstrap, env)
        run(["apply", "-input=false", "-no-color", "-auto-approve"], bootstrap, env)
        (destination / "state-bootstrap.json").write_text(run(["show", "-json"], bootstrap, env))

        (root / "zz_proof_override.tf").write_text(
            provider_override(moto.url) + backend_override(moto.url)
        )
        for name in APPLIED_ENVIRONMENTS:
            env = terraform_env(moto.url, region, work / f".tf-{name}")
            backend = f"-backend-config=../environments/{name}.backend.hcl"
            run([*init_args(), "-reconfigure", backend], root, env)
            variables = [
                f"-var-file=../environments/{name}.tfvars",
                f"-var=deployments_file={work / 'no-deployment.json'}",
            ]
            if name != "dev" and shared_account:
                # docs/infrastructure.md: in one shared account dev's state owns the repositories
                variables.append("-var=manage_image_repositories=false")
            with moto.recording(world.recording(f"terraform-apply-{name}")):
                run(["apply", "-input=false", "-no-color", "-auto-approve", *variables], root, env)
            (destination / f"state-{name}.json").write_text(run(["show", "-json"], root, env))
            if name == MONITORED:
                _plan_monitoring(root, env, work, config, variables, destination)
            if name == "dev":
                # make plan's flags: a plan writes nothing and takes no lock
                with moto.recording(world.recording("terraform-plan-dev")):
                    run(["plan", "-input=false", "-no-color", "-lock=false", *variables], root, env)
        if after_apply is not None:
            after_apply(moto, world)
    return world
