"""Checks `make plan|apply|destroy ENV=<env>` runs before Terraform: every problem at once, each
with the command that fixes it.

    python terraform/scripts/preflight.py --env dev [--skip-credentials]

1. ENV is an AWS environment (dev, staging, prod; local has no AWS side);
2. terraform is installed (>= 1.10: S3 native locking);
3. AWS credentials work (sts:GetCallerIdentity) and belong to aws.account_id of the YAML;
4. build/<env>/pipeline-definition.json exists (`make definition ENV=<env>`).
Exit 0 when all pass, 2 otherwise.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
AWS_ENVIRONMENTS = ("dev", "staging", "prod")
MIN_TERRAFORM = (1, 10)


def check_environment(env: str) -> list[str]:
    if env == "local":
        return [
            "ENV=local has no AWS infrastructure: Terraform is for dev, staging and prod. "
            "Run the local life cycle with `make deploy ENV=local`."
        ]
    if env not in AWS_ENVIRONMENTS:
        return [
            f"ENV='{env}' is not an AWS environment. Use one of: {', '.join(AWS_ENVIRONMENTS)}."
        ]
    return []


def check_terraform() -> list[str]:
    path = shutil.which("terraform")
    if not path:
        return [
            "terraform is not on PATH. Install Terraform >= 1.10 "
            "(https://developer.hashicorp.com/terraform/install, or `brew install terraform`, "
            "or the hashicorp apt repository), then run the command again."
        ]
    try:
        out = subprocess.run(
            [path, "version"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired) as error:
        return [f"terraform at {path} does not run ({error}). Reinstall Terraform >= 1.10."]
    match = re.search(r"Terraform v(\d+)\.(\d+)", out)
    if match and tuple(int(part) for part in match.groups()) < MIN_TERRAFORM:
        return [
            f"terraform {match.group(0)} at {path} is too old: the S3 backend's use_lockfile needs "
            "Terraform >= 1.10. Upgrade it."
        ]
    return []


def expected_account(env: str) -> str | None:
    path = REPO_ROOT / "environments" / f"{env}.yaml"
    match = re.search(r"^\s*account_id:\s*\"?(\d+)\"?", path.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else None


def check_credentials(env: str) -> list[str]:
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
    except ImportError:
        return ["boto3 is missing from the virtualenv: run `make setup`."]
    how = (
        "Give Terraform AWS credentials for the environment's account: locally "
        "`export AWS_PROFILE=<profile>` (after `aws sso login --profile <profile>` or with keys in "
        "~/.aws/credentials); in GitHub Actions the workflow assumes the environment's role through "
        "OIDC (aws-actions/configure-aws-credentials with vars.AWS_DEPLOY_ROLE_ARN)."
    )
    try:
        client = boto3.client(
            "sts", config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 1})
        )
        account = client.get_caller_identity()["Account"]
    except NoCredentialsError:
        return [f"No AWS credentials found. {how}"]
    except (ClientError, BotoCoreError) as error:
        return [f"AWS credentials do not work ({error}). {how}"]
    wanted = expected_account(env)
    if wanted and account != wanted:
        return [
            f"The AWS credentials are for account {account}, but environments/{env}.yaml says "
            f'aws.account_id: "{wanted}". Switch AWS_PROFILE (or role) to the {env} account, or '
            "fix the YAML."
        ]
    return []


def check_definition(env: str) -> list[str]:
    definition = REPO_ROOT / "build" / env / "pipeline-definition.json"
    if not definition.is_file():
        return [
            f"{definition.relative_to(REPO_ROOT)} does not exist: Terraform registers the generated "
            f"pipeline definition. Run `make definition ENV={env}` first."
        ]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--skip-credentials", action="store_true", help="offline checks only")
    parser.add_argument("--skip-definition", action="store_true", help="destroy of a broken env")
    args = parser.parse_args(argv)

    problems = check_environment(args.env)
    if not problems:
        problems += check_terraform()
        if not args.skip_credentials:
            problems += check_credentials(args.env)
        if not args.skip_definition:
            problems += check_definition(args.env)
    for problem in problems:
        print(f"preflight ({args.env}): {problem}", file=sys.stderr)
    if problems:
        return 2
    print(
        f"preflight ({args.env}): terraform, AWS credentials and the pipeline definition are ready."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
