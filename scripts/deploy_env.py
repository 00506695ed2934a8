"""`make deploy ENV=dev|staging|prod`: what the release workflow does, for a person at a terminal.

The steps, in the order CI runs them (.github/workflows/release.yml calls this same script):

  1. preflight   terraform on PATH, AWS credentials, the account and region of
                 environments/<env>.yaml, a Docker engine (or the image digests given instead)
  2. images      build and push the job and inference images (tag = git sha, immutable), or take
                 JOB_IMAGE_DIGEST / INFERENCE_IMAGE_DIGEST and check that ECR holds them
  3. definition  `make definition` with those digests -> build/<env>/pipeline-definition.json
  4. apply       `make apply` (Terraform: the pipeline, triggers, endpoint, ... of the environment)
  5. code        upload training_code/ to the content-addressed code URI the definition names
  6. pipeline    start a pipeline execution (only with START_PIPELINE=1; CI does it for dev)

DRY_RUN=1 prints every step, its commands and the values it would use, calls nothing on AWS or
Docker, and exits 0: the plan is readable offline. Each failing check says what is wrong and what
to do next.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(REPO_ROOT))

from env_config import EnvConfig, EnvConfigError, load  # noqa: E402

DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")
SHA_PATTERN = re.compile(r"^[0-9a-f]{7,40}$")
IMAGE_KINDS = ("job", "inference")
DEPLOYABLE = ("dev", "staging", "prod")


class DeployError(RuntimeError):
    """A check or a step that failed; the message says what to do next."""


# ---------------------------------------------------------------------------------------------
# The seams: everything that leaves the process goes through one of these two, so tests can
# replace them and a dry run never reaches them.
# ---------------------------------------------------------------------------------------------
class Runner(Protocol):
    def __call__(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        capture: bool = False,
        stdin: str | None = None,
    ) -> str: ...


def run_command(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    capture: bool = False,
    stdin: str | None = None,
) -> str:
    """Run a command from the repository root; a non-zero exit becomes a DeployError.

    stdin carries secrets (the ECR password) so that they never appear on a command line.
    """
    if not capture:  # a captured command is a question (git sha), not a step worth echoing
        print(f"  $ {' '.join(argv)}", flush=True)
    # The parent make's command-line variables (MAKEFLAGS) must not leak into the steps' makes:
    # each step gets exactly the variables this script passes.
    inherited = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS")}
    result = subprocess.run(
        list(argv),
        cwd=REPO_ROOT,
        env={**inherited, **(env or {})},
        text=True,
        input=stdin,
        stdout=subprocess.PIPE if capture else None,
        check=False,
    )
    if result.returncode != 0:
        raise DeployError(f"`{' '.join(argv)}` exited with {result.returncode} (output above).")
    return result.stdout or ""


class Aws:
    """The few AWS calls make deploy needs, through boto3 (honours AWS_ENDPOINT_URL)."""

    def __init__(self, region: str):
        import boto3  # deferred: a dry run never imports it

        self._session = boto3.Session(region_name=region)
        self.region = region

    @staticmethod
    def configured_region() -> str | None:
        """The region the person's AWS configuration selects (env or profile), if any."""
        import boto3

        return boto3.Session().region_name

    def account_id(self) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self._session.client("sts").get_caller_identity()["Account"]
        except (BotoCoreError, ClientError) as error:
            raise DeployError(
                f"no usable AWS credentials ({error}). Log in first, for example "
                "`aws sso login --profile <profile>` and `export AWS_PROFILE=<profile>`; CI gets "
                "them by OIDC (vars.AWS_DEPLOY_ROLE_ARN of the GitHub environment)."
            ) from error

    def image_digest(self, repository: str, *, tag: str | None = None, digest: str | None = None):
        """The digest ECR holds for a tag or a digest, or None when the image is not there."""
        from botocore.exceptions import ClientError

        image_id = {"imageTag": tag} if tag else {"imageDigest": digest}
        try:
            response = self._session.client("ecr").describe_images(
                repositoryName=repository, imageIds=[image_id]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in ("ImageNotFoundException",):
                return None
            raise DeployError(
                f"cannot read ECR repository '{repository}' ({error}). Run `make apply` once "
                "(Terraform creates it) or check the role's ecr:DescribeImages permission."
            ) from error
        details = response.get("imageDetails") or []
        return details[0]["imageDigest"] if details else None

    def docker_password(self) -> str:
        import base64

        token = self._session.client("ecr").get_authorization_token()["authorizationData"][0]
        return base64.b64decode(token["authorizationToken"]).decode().split(":", 1)[1]

    def start_pipeline(self, pipeline_name: str, display_name: str, description: str) -> str:
        response = self._session.client("sagemaker").start_pipeline_execution(
            PipelineName=pipeline_name,
            PipelineExecutionDisplayName=display_name,
            PipelineExecutionDescription=description,
        )
        return response["PipelineExecutionArn"]


# ---------------------------------------------------------------------------------------------
# Options and the plan
# ---------------------------------------------------------------------------------------------
@dataclass
class Options:
    env: str
    dry_run: bool = False
    start_pipeline: bool = False
    image_tag: str | None = None
    job_image_digest: str | None = None
    inference_image_digest: str | None = None
    # A registry (<account>.dkr.ecr.<region>.amazonaws.com) that already holds the digests: when
    # this environment's registry lacks them (another account), they are copied from it by digest.
    source_registry: str | None = None
    # Apply the saved plan without asking (CI sets it; a person is shown the plan and asked).
    auto_approve: bool = False
    make: str = "make"

    @property
    def digests(self) -> dict[str, str | None]:
        return {"job": self.job_image_digest, "inference": self.inference_image_digest}

    @property
    def digests_given(self) -> bool:
        return all(self.digests.values())


@dataclass
class Step:
    key: str
    title: str
    commands: list[str]
    action: Callable[[], None] | None = field(default=None, repr=False)


def check_options(options: Options) -> None:
    """Offline checks of what the person typed; each error names the variable to fix."""
    if options.env == "local":
        raise DeployError("ENV=local is deployed by `make deploy ENV=local` (mk/local.mk).")
    if options.env not in DEPLOYABLE:
        raise DeployError(f"ENV='{options.env}' cannot be deployed: use one of {DEPLOYABLE}.")
    given = {kind: value for kind, value in options.digests.items() if value}
    if len(given) == 1:
        missing = "INFERENCE" if "job" in given else "JOB"
        raise DeployError(
            f"only one image digest was given: pass {missing}_IMAGE_DIGEST=sha256:... too (both "
            "images come from the same commit), or neither to build both."
        )
    for kind, value in given.items():
        if not DIGEST_PATTERN.match(value):
            raise DeployError(
                f"{kind.upper()}_IMAGE_DIGEST='{value}' is not an image digest: expected "
                "sha256:<64 hex digits> (the 'digest' of the release workflow's summary, or "
                "`aws ecr describe-images`)."
            )
    if options.image_tag and not SHA_PATTERN.match(options.image_tag):
        raise DeployError(
            f"IMAGE_TAG='{options.image_tag}' is not a git commit sha: tags are immutable and "
            "name the commit the images were built from."
        )


def git_sha(runner: Runner = run_command) -> str:
    try:
        return runner(["git", "rev-parse", "HEAD"], capture=True).strip()
    except DeployError as error:
        raise DeployError(
            "cannot read the git commit (not a git checkout?): pass IMAGE_TAG=<commit sha>."
        ) from error


def training_code_dirty(runner: Runner = run_command) -> bool:
    out = runner(["git", "status", "--porcelain", "--", "training_code"], capture=True)
    return bool(out.strip())


def docker_engine_available() -> bool:
    """True when a Docker engine answers (`docker info`), not merely when the CLI is installed."""
    if not shutil.which("docker"):
        return False
    result = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


def ask(question: str) -> bool:
    """A yes/no question on the terminal; without a terminal the answer is no."""
    if not sys.stdin.isatty():
        print(f"{question}(no terminal to answer: treated as no)", flush=True)
        return False
    return input(question).strip().lower() in ("y", "yes")


def registry(config: EnvConfig) -> str:
    return config.image_repository_uri("job").split("/", 1)[0]


def plan_values(config: EnvConfig, options: Options, tag: str) -> dict[str, Any]:
    """The values every step uses, all derived from environments/<env>.yaml and the options."""
    from build_pipeline import code_bundle

    values: dict[str, Any] = {
        "environment": config.name,
        "environment file": str(config.path.relative_to(REPO_ROOT)),
        "account": config.account_id,
        "region": config.region,
        "image tag": tag,
        "job image": f"{config.image_repository_uri('job')}:{tag}",
        "inference image": f"{config.image_repository_uri('inference')}:{tag}",
        "definition": f"build/{config.name}/pipeline-definition.json",
        "code uri": code_bundle.code_uri(config),
        "pipeline": config.get("resources.pipeline_name"),
        "model package group": config.model_package_group,
        "endpoint": (
            config.get("resources.endpoint_name")
            if config.get("endpoint.enabled")
            else "(disabled in this environment)"
        ),
        "start pipeline": "yes" if options.start_pipeline else "no (START_PIPELINE=1 to start one)",
    }
    for kind in IMAGE_KINDS:
        digest = options.digests[kind]
        values[f"{kind} digest"] = digest or "(from the build)"
    return values


class Deployment:
    """Builds the list of steps for one environment and runs them (or prints them)."""

    def __init__(
        self,
        options: Options,
        *,
        runner: Runner = run_command,
        aws_factory: Callable[[str], Aws] = Aws,
        docker_available: Callable[[], bool] = docker_engine_available,
        which: Callable[[str], str | None] = shutil.which,
        configured_region: Callable[[], str | None] = Aws.configured_region,
        out: Callable[[str], None] = print,
        confirm: Callable[[str], bool] | None = None,
    ):
        check_options(options)
        self.options = options
        self.runner = runner
        self.aws_factory = aws_factory
        self.docker_available = docker_available
        self.which = which
        self.configured_region = configured_region
        self.out = out
        self.confirm = confirm or ask
        try:
            self.config = load(options.env)
        except EnvConfigError as error:
            raise DeployError(str(error)) from error
        self.tag = options.image_tag or git_sha(runner)
        self.digests: dict[str, str | None] = dict(options.digests)
        self.execution_arn: str | None = None
        self._aws: Aws | None = None

    # -- helpers --------------------------------------------------------------------------------
    @property
    def aws(self) -> Aws:
        if self._aws is None:
            self._aws = self.aws_factory(self.config.region)
        return self._aws

    def make(self, target: str, **variables: str | None) -> list[str]:
        argv = [self.options.make, target, f"ENV={self.config.name}"]
        argv += [f"{name}={value}" for name, value in variables.items() if value]
        return argv

    @property
    def subprocess_env(self) -> dict[str, str]:
        # The YAML's region wins for every tool the steps start (terraform, aws, boto3).
        return {"AWS_REGION": self.config.region, "AWS_DEFAULT_REGION": self.config.region}

    # -- steps -----------------------------------------------------------------------------------
    def steps(self) -> list[Step]:
        c, tag = self.config, self.tag
        repos = {kind: c.get(f"resources.{kind}_image_repository") for kind in IMAGE_KINDS}
        if self.options.digests_given:
            image_commands = [
                f"aws ecr describe-images --repository-name {repos[k]} "
                f"--image-ids imageDigest={self.digests[k]}  # must exist"
                for k in IMAGE_KINDS
            ]
            if self.options.source_registry:
                image_commands.append(
                    f"docker buildx imagetools create --tag <{registry(c)}/<repo>:{tag}> "
                    f"{self.options.source_registry}/<repo>@<digest>  # only if missing here"
                )
        else:
            image_commands = [f"docker login {registry(c)} (ECR token)"]
            for kind in IMAGE_KINDS:
                image_commands.append(
                    f"docker buildx build training_code --target {kind} --provenance=false "
                    f"--tag {c.image_repository_uri(kind)}:{tag} --push  "
                    "# skipped when ECR already holds the tag"
                )
        definition = self.make(
            "definition",
            IMAGE_TAG=tag,
            JOB_IMAGE_DIGEST=self.digests["job"] or "<job digest>",
            INFERENCE_IMAGE_DIGEST=self.digests["inference"] or "<inference digest>",
        )
        steps = [
            Step(
                "preflight",
                "Preflight: terraform, AWS credentials, account, region, Docker engine",
                [
                    "check: terraform is on PATH",
                    f"check: aws sts get-caller-identity gives account {c.account_id}",
                    f"check: the AWS region (AWS_REGION or the profile) is {c.region} or unset",
                    "check: docker info answers (or JOB_IMAGE_DIGEST + INFERENCE_IMAGE_DIGEST)",
                ],
                self.preflight,
            ),
            Step("images", "Images: job and inference in ECR", image_commands, self.images),
            Step(
                "definition",
                "Pipeline definition with the image digests",
                [" ".join(definition)],
                self.definition,
            ),
            Step(
                "apply",
                "Terraform: plan to a file, confirm, apply exactly that plan",
                [
                    " ".join(self.make("plan", PLAN_FILE=self.plan_file)),
                    (
                        "check: AUTO_APPROVE=1, so no question"
                        if self.options.auto_approve
                        else "ask: Apply this plan? [y/N] (AUTO_APPROVE=1 skips the question)"
                    ),
                    " ".join(self.make("apply", PLAN_FILE=self.plan_file)),
                ],
                self.apply,
            ),
            Step(
                "code",
                "Upload the step code the definition names",
                [f"python -m build_pipeline.code_bundle upload --env {c.name}"],
                self.upload_code,
            ),
        ]
        if self.options.start_pipeline:
            steps.append(
                Step(
                    "pipeline",
                    "Start a pipeline execution",
                    [
                        "aws sagemaker start-pipeline-execution --pipeline-name "
                        f"{c.get('resources.pipeline_name')}"
                    ],
                    self.start_pipeline,
                )
            )
        return steps

    def preflight(self) -> None:
        """Every check runs; all failures are reported together, each with its fix."""
        c = self.config
        problems: list[str] = []
        if not self.which("terraform"):
            problems.append(
                "terraform: not found on PATH. Install Terraform (the version in "
                ".github/workflows/release.yml) and retry."
            )
        configured = self.configured_region()
        if configured and configured != c.region:
            problems.append(
                f"region: your AWS configuration selects {configured} but {c.path.name} says "
                f"aws.region: {c.region}. Run `export AWS_REGION={c.region}` (or fix the YAML)."
            )
        try:
            account = self.aws.account_id()
        except DeployError as error:
            problems.append(f"credentials: {error}")
        else:
            if account != c.account_id:
                problems.append(
                    f"account: your credentials are for account {account} but {c.path.name} "
                    f"says aws.account_id: '{c.account_id}'. Switch to that account's profile "
                    "(AWS_PROFILE) or correct the YAML."
                )
        if not self.options.digests_given and not self.docker_available():
            problems.append(
                "docker: no Docker engine answers `docker info`, so the images cannot be built "
                "here. Start one, or pass JOB_IMAGE_DIGEST=sha256:... and "
                "INFERENCE_IMAGE_DIGEST=sha256:... of images already in ECR (the release "
                "workflow's summary lists them)."
            )
        building = not self.options.digests_given and not self.options.image_tag
        if building and training_code_dirty(self.runner):
            problems.append(
                "git: training_code/ has uncommitted changes, but image tags are the commit "
                "sha and immutable. Commit (or stash) them first."
            )
        if problems:
            raise DeployError(
                "preflight failed:\n" + "\n".join(f"  - {problem}" for problem in problems)
            )
        self.out(f"  ok: terraform, account {c.account_id}, region {c.region}")

    def images(self) -> None:
        c = self.config
        for kind in IMAGE_KINDS:
            repository = c.get(f"resources.{kind}_image_repository")
            uri = c.image_repository_uri(kind)
            given = self.digests[kind]
            if given:
                if self.aws.image_digest(repository, digest=given):
                    self.out(f"  {kind}: {uri}@{given} is in ECR")
                    continue
                if not self.options.source_registry:
                    raise DeployError(
                        f"{kind} image {given} is not in {uri}. Pass the digest of an image "
                        "pushed to this environment's registry, or SOURCE_REGISTRY=<registry> "
                        "holding it to copy it here."
                    )
                source = f"{self.options.source_registry}/{repository}@{given}"
                self.runner(
                    [
                        "docker",
                        "buildx",
                        "imagetools",
                        "create",
                        "--tag",
                        f"{uri}:{self.tag}",
                        source,
                    ]
                )
                copied = self.aws.image_digest(repository, tag=self.tag)
                if copied != given:
                    raise DeployError(
                        f"copying {source} to {uri}:{self.tag} produced digest {copied}, not "
                        f"{given}: the definition would name an image that differs from the one "
                        "tested. Stop and inspect both registries."
                    )
                continue
            existing = self.aws.image_digest(repository, tag=self.tag)
            if existing:
                self.out(f"  {kind}: {uri}:{self.tag} already in ECR ({existing}); not rebuilt")
                self.digests[kind] = existing
                continue
            self._docker_login()
            metadata = REPO_ROOT / "build" / c.name / f"image-{kind}.json"
            metadata.parent.mkdir(parents=True, exist_ok=True)
            self.runner(
                [
                    "docker",
                    "buildx",
                    "build",
                    "--target",
                    kind,
                    "--provenance=false",
                    "--sbom=false",
                    "--tag",
                    f"{uri}:{self.tag}",
                    "--metadata-file",
                    str(metadata),
                    "--push",
                    "training_code",
                ]
            )
            digest = json.loads(metadata.read_text())["containerimage.digest"]
            self.out(f"  {kind}: pushed {uri}:{self.tag} ({digest})")
            self.digests[kind] = digest

    def _docker_login(self) -> None:
        self.runner(
            ["docker", "login", "--username", "AWS", "--password-stdin", registry(self.config)],
            stdin=self.aws.docker_password(),
        )

    def definition(self) -> None:
        self.runner(
            self.make(
                "definition",
                IMAGE_TAG=self.tag,
                JOB_IMAGE_DIGEST=self.digests["job"],
                INFERENCE_IMAGE_DIGEST=self.digests["inference"],
            ),
            env=self.subprocess_env,
        )

    @property
    def plan_file(self) -> str:
        return f"build/{self.config.name}/terraform.tfplan"

    def apply(self) -> None:
        """Plan to a file, then apply exactly that plan: what was shown is what changes."""
        self.runner(self.make("plan", PLAN_FILE=self.plan_file), env=self.subprocess_env)
        if not self.options.auto_approve and not self.confirm(
            f"Apply this plan to {self.config.name} (account {self.config.account_id})? [y/N] "
        ):
            raise DeployError(
                "the plan was not applied (answer y, or pass AUTO_APPROVE=1 to apply without "
                "a question, as CI does)."
            )
        self.runner(self.make("apply", PLAN_FILE=self.plan_file), env=self.subprocess_env)

    def upload_code(self) -> None:
        self.runner(
            [
                sys.executable,
                "-m",
                "build_pipeline.code_bundle",
                "upload",
                "--env",
                self.config.name,
            ],
            env=self.subprocess_env,
        )

    def start_pipeline(self) -> None:
        name = self.config.get("resources.pipeline_name")
        self.execution_arn = self.aws.start_pipeline(
            name,
            display_name=f"deploy-{self.tag[:12]}",
            description=f"make deploy ENV={self.config.name} at commit {self.tag}",
        )
        self.out(f"  started {self.execution_arn}")
        self.out(
            f"  follow it: make status ENV={self.config.name}, or the console: "
            f"https://{self.config.region}.console.aws.amazon.com/sagemaker/home"
            f"?region={self.config.region}#/pipelines"
        )

    # -- driver ----------------------------------------------------------------------------------
    def print_plan(self) -> None:
        values = plan_values(self.config, self.options, self.tag)
        width = max(len(key) for key in values)
        self.out(f"Plan for ENV={self.config.name}:")
        for key, value in values.items():
            self.out(f"  {key:<{width}}  {value}")

    def run(self) -> None:
        steps = self.steps()
        if self.options.dry_run:
            self.out("DRY RUN: prints the steps; calls nothing on AWS, Docker or Terraform.")
        self.print_plan()
        if self.options.dry_run:
            self.out("Local tools (informational in a dry run):")
            terraform = self.which("terraform")
            self.out(f"  terraform: {terraform or 'NOT FOUND on PATH (needed for the apply)'}")
            building = not self.options.digests_given and not self.options.image_tag
            if building and training_code_dirty(self.runner):
                self.out(
                    "  git: training_code/ has uncommitted changes: a real build refuses them "
                    "(tags name a commit)"
                )
            if self.options.digests_given:
                self.out("  docker: not needed (both image digests given)")
            else:
                self.out(
                    "  docker: "
                    + (
                        "engine answers"
                        if self.docker_available()
                        else "NO ENGINE: a real run needs JOB_IMAGE_DIGEST and "
                        "INFERENCE_IMAGE_DIGEST"
                    )
                )
        for number, step in enumerate(steps, start=1):
            self.out(f"[{number}/{len(steps)}] {step.key}: {step.title}")
            if self.options.dry_run:
                for command in step.commands:
                    verb, _, rest = command.partition(": ")
                    if verb in ("check", "ask"):
                        self.out(f"  would {verb}: {rest}")
                    else:
                        self.out(f"  would run: {command}")
                continue
            assert step.action is not None
            step.action()
        if self.options.dry_run:
            self.out(f"DRY RUN complete: {len(steps)} steps planned, nothing changed.")
        else:
            self.out(f"Deployed ENV={self.config.name} at {self.tag}.")
            write_summary(self)


def write_summary(deployment: Deployment) -> None:
    """In GitHub Actions, append what was deployed to the job summary."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    c = deployment.config
    lines = [
        f"### Deployed `{c.name}` at `{deployment.tag}`",
        "",
        "| what | value |",
        "|---|---|",
    ]
    for kind in IMAGE_KINDS:
        lines.append(
            f"| {kind} image | `{c.image_repository_uri(kind)}@{deployment.digests[kind]}` |"
        )
    lines.append(f"| pipeline | `{c.get('resources.pipeline_name')}` |")
    if deployment.execution_arn:
        lines.append(f"| execution | `{deployment.execution_arn}` |")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n\n")


def flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--dry-run", default=os.environ.get("DRY_RUN"))
    parser.add_argument("--start-pipeline", default=os.environ.get("START_PIPELINE"))
    parser.add_argument("--image-tag", default=os.environ.get("IMAGE_TAG") or None)
    parser.add_argument("--job-image-digest", default=os.environ.get("JOB_IMAGE_DIGEST") or None)
    parser.add_argument(
        "--inference-image-digest", default=os.environ.get("INFERENCE_IMAGE_DIGEST") or None
    )
    parser.add_argument("--source-registry", default=os.environ.get("SOURCE_REGISTRY") or None)
    parser.add_argument("--auto-approve", default=os.environ.get("AUTO_APPROVE"))
    args = parser.parse_args(argv)
    return Options(
        env=args.env,
        dry_run=flag(args.dry_run),
        start_pipeline=flag(args.start_pipeline),
        image_tag=args.image_tag,
        job_image_digest=args.job_image_digest,
        inference_image_digest=args.inference_image_digest,
        source_registry=args.source_registry,
        auto_approve=flag(args.auto_approve),
        make=os.environ.get("MAKE", "make"),
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        Deployment(parse_args(argv)).run()
    except DeployError as error:
        print(f"make deploy: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
