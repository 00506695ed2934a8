"""`make deploy ENV=dev|staging|prod`: what the release workflow does, for a person at a terminal.

The steps, in the order CI runs them (.github/workflows/release.yml calls this same script):

  1. preflight   terraform on PATH, AWS credentials, the account and region of
                 environments/<env>.yaml, a Docker engine (or the image digests given instead)
  2. foundation  the key, bucket and ECR repositories exist; on a fresh account a targeted apply
                 of modules storage and ecr creates them first (release/foundation.py)
  3. images      build and push the job and inference images (tag = git sha, immutable), or take
                 JOB_IMAGE_DIGEST / INFERENCE_IMAGE_DIGEST and check that ECR holds them
  4. data        (START_PIPELINE=1) input data under pipeline.input_data_uri, or the sample set
                 where pipeline.seed_sample_data is true (release/input_data.py)
  5. definition  `make definition` with those digests -> build/<env>/pipeline-definition.json
  6. apply       `make apply` (Terraform: the pipeline, triggers, endpoint, ... of the environment)
  7. code        upload training_code/ to the content-addressed code URI the definition names
                 (files already there are not uploaded again)
  8. pipeline    start a pipeline execution (only with START_PIPELINE=1; CI does it for dev)

DRY_RUN=1 prints every step, its commands and the values it would use, calls nothing on AWS or
Docker, and exits 0: the plan is readable offline. Each failing check says what is wrong and what
to do next.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from env_config import REPO_ROOT, EnvConfig, EnvConfigError, load
from release import foundation, input_data
from release.aws import Aws
from release.errors import DeployError
from release.options import IMAGE_KINDS, Options, check_options
from release.shell import (
    Runner,
    ask,
    docker_engine_available,
    git_sha,
    run_command,
    training_code_dirty,
)


@dataclass
class Step:
    key: str
    title: str
    commands: list[str]
    action: Callable[[], None] | None = field(default=None, repr=False)


def registry(config: EnvConfig) -> str:
    return config.image_repository_uri("job").split("/", 1)[0]


def plan_values(config: EnvConfig, options: Options, tag: str) -> dict[str, Any]:
    """The values every step uses, all derived from environments/<env>.yaml and the options."""
    import code_bundle

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
            Step(
                "foundation",
                "Key, bucket and ECR repositories exist (a targeted first apply creates them)",
                self._foundation_commands(),
                self.foundation,
            ),
            Step("images", "Images: job and inference in ECR", image_commands, self.images),
        ]
        if self.options.start_pipeline:
            steps.append(
                Step(
                    "data",
                    "Input data for the run under pipeline.input_data_uri",
                    self._data_commands(),
                    self.input_data,
                )
            )
        steps += [
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
                [f"python -m code_bundle upload --env {c.name}"],
                self.upload_code,
            ),
        ]
        if self.options.only:
            return [step for step in steps if step.key == self.options.only]
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

    def _foundation_commands(self) -> list[str]:
        c = self.config
        plan = self.make(
            "plan", TARGET=" ".join(foundation.targets(c)), PLAN_FILE=self.foundation_plan_file
        )
        return [
            f"check: s3 bucket {c.bucket} and ecr repositories "
            f"{', '.join(foundation.repository_names(c))} exist",
            f"if missing: {' '.join(plan)}",
            f"if missing: {' '.join(self.make('apply', PLAN_FILE=self.foundation_plan_file))}",
        ]

    def _data_commands(self) -> list[str]:
        uri = self.config.get("pipeline.input_data_uri")
        if input_data.seeding_enabled(self.config):
            fallback = f"upload the sample set to {uri}{input_data.SAMPLE_KEY}"
        else:
            fallback = "stop: upload data first (pipeline.seed_sample_data is false)"
        return [f"check: {uri} holds at least one object; if empty: {fallback}"]

    @property
    def foundation_plan_file(self) -> str:
        return f"build/{self.config.name}/foundation.tfplan"

    def foundation(self) -> None:
        """Create the key, bucket and repositories first when a fresh account lacks them."""
        c = self.config
        missing = self.aws.missing_repositories(foundation.repository_names(c))
        if not self.aws.bucket_exists(c.bucket):
            missing.insert(0, f"s3://{c.bucket}")
        if not missing:
            self.out("  ok: bucket and repositories exist")
            return
        targets = foundation.targets(c)
        unmanaged = "module.ecr" not in targets and any(not m.startswith("s3://") for m in missing)
        if unmanaged:
            raise DeployError(
                f"ECR repositories {', '.join(m for m in missing if not m.startswith('s3://'))} "
                f"do not exist, and environments/{c.name}.tfvars says "
                "manage_image_repositories = false (another environment in this account owns "
                "them). Deploy that environment (dev) first."
            )
        self.out(f"  missing: {', '.join(missing)}: applying {' and '.join(targets)} first")
        self.runner(
            self.make("plan", TARGET=" ".join(targets), PLAN_FILE=self.foundation_plan_file),
            env=self.subprocess_env,
        )
        self._confirm_apply("this targeted plan")
        self.runner(
            self.make("apply", PLAN_FILE=self.foundation_plan_file), env=self.subprocess_env
        )

    def input_data(self) -> None:
        """A started run needs input: check it, or seed the sample set where the YAML allows."""
        uri = self.config.get("pipeline.input_data_uri")
        bucket, prefix = input_data.split_uri(uri)
        if self.aws.has_objects(bucket, prefix):
            self.out(f"  ok: {uri} holds data")
            return
        if not input_data.seeding_enabled(self.config):
            raise DeployError(
                f"{uri} is empty, so the run START_PIPELINE=1 asks for would fail at Preprocess. "
                f"Upload the data first (aws s3 cp <file.csv> {uri}), or deploy without "
                "START_PIPELINE=1."
            )
        body = input_data.sample_csv()
        self.aws.put_object(bucket, prefix + input_data.SAMPLE_KEY, body)
        self.out(
            f"  {uri} was empty: wrote the sample set ({len(body)} bytes) to "
            f"{uri}{input_data.SAMPLE_KEY} (pipeline.seed_sample_data: true)"
        )

    def _confirm_apply(self, what: str) -> None:
        if not self.options.auto_approve and not self.confirm(
            f"Apply {what} to {self.config.name} (account {self.config.account_id})? [y/N] "
        ):
            raise DeployError(
                "the plan was not applied (answer y, or pass AUTO_APPROVE=1 to apply without "
                "a question, as CI does)."
            )

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
        self._confirm_apply("this plan")
        self.runner(self.make("apply", PLAN_FILE=self.plan_file), env=self.subprocess_env)

    def upload_code(self) -> None:
        self.runner(
            [
                sys.executable,
                "-m",
                "code_bundle",
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
                    elif verb == "if missing":
                        self.out(f"  would run if missing: {rest}")
                    else:
                        self.out(f"  would run: {command}")
                continue
            assert step.action is not None
            step.action()
        if self.options.dry_run:
            self.out(f"DRY RUN complete: {len(steps)} steps planned, nothing changed.")
        elif self.options.only:
            self.out(f"Done: {self.options.only} of ENV={self.config.name}.")
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
