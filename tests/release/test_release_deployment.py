"""`make deploy ENV=dev|staging|prod` (release/): the dry run offline through make,
each preflight failure's message, and the order of the steps with fakes for AWS and processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from env_config import REPO_ROOT, load
from release import shell
from release.aws import Aws
from release.deployment import Deployment
from release.errors import DeployError
from release.options import Options, check_options

JOB = "sha256:" + "a" * 64
INFERENCE = "sha256:" + "b" * 64
SHA = "0123456789abcdef0123456789abcdef01234567"
# A region the credentials select that is not staging's (staging's is the fork's after make init).
STAGING_REGION = load("staging").region
OTHER_REGION = "eu-central-1" if STAGING_REGION == "eu-west-1" else "eu-west-1"


def offline_env() -> dict[str, str]:
    """No credentials, and any AWS call would go to a closed local port and fail."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    }
    env.update(
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def make(*arguments: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """make in this tree, offline (no AWS credentials or profile of the person running it)."""
    return subprocess.run(
        ["make", *arguments],
        cwd=REPO_ROOT,
        env=offline_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def make_deploy(*variables: str) -> subprocess.CompletedProcess:
    return make("deploy", *variables)


# ----------------------------------------------------------------------------------------------
# Through make, offline
# ----------------------------------------------------------------------------------------------
def test_dry_run_prints_every_step_and_the_plan_offline():
    result = make_deploy("ENV=dev", "DRY_RUN=1")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for line in (
        "DRY RUN",
        "Plan for ENV=dev:",
        "account              000000000000",
        "region               us-east-1",
        "pipeline             sagemaker-gitops-dev",
        "[1/6] preflight",
        "[2/6] foundation",
        "[3/6] images",
        "[4/6] definition",
        "[5/6] apply",
        "[6/6] code",
        "would run if missing: make plan ENV=dev TARGET=module.storage module.ecr "
        "PLAN_FILE=build/dev/foundation.tfplan",
        "would run: make plan ENV=dev PLAN_FILE=build/dev/terraform.tfplan",
        "would ask: Apply this plan? [y/N]",
        "would check: aws sts get-caller-identity gives account 000000000000",
        "would run: make apply ENV=dev PLAN_FILE=build/dev/terraform.tfplan",
        "would run: python -m code_bundle upload --env dev",
        "docker buildx build training_code --target job",
        "docker buildx build training_code --target inference",
        "DRY RUN complete: 6 steps planned, nothing changed.",
    ):
        assert line in out, f"missing {line!r} in:\n{out}"
    assert "start-pipeline-execution" not in out
    assert "Traceback" not in result.stderr


def test_dry_run_with_digests_and_a_pipeline_start():
    result = make_deploy(
        "ENV=prod", "DRY_RUN=1", "START_PIPELINE=1",
        f"JOB_IMAGE_DIGEST={JOB}", f"INFERENCE_IMAGE_DIGEST={INFERENCE}", f"IMAGE_TAG={SHA}",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"JOB_IMAGE_DIGEST={JOB} INFERENCE_IMAGE_DIGEST={INFERENCE}" in out
    assert f"imageDigest={JOB}" in out
    assert "[4/8] data" in out and "[8/8] pipeline" in out
    assert "stop: upload data first (pipeline.seed_sample_data is false)" in out
    assert "start-pipeline-execution --pipeline-name sagemaker-gitops-prod" in out
    assert "docker: not needed" in out
    assert "docker buildx build" not in out


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (["ENV=dev", f"JOB_IMAGE_DIGEST={JOB}"], "pass INFERENCE_IMAGE_DIGEST"),
        (["ENV=dev", "JOB_IMAGE_DIGEST=latest", "INFERENCE_IMAGE_DIGEST=x"], "not an image digest"),
        (["ENV=qa", "DRY_RUN=1"], "is not an environment"),
        (["ENV=dev", "DRY_RUN=1", "IMAGE_TAG=v1.0"], "not a git commit sha"),
    ],
)
def test_bad_variables_are_refused_with_the_fix(variables, message):
    result = make_deploy(*variables)
    assert result.returncode != 0
    assert message in result.stderr


def test_without_credentials_the_real_run_fails_in_preflight_with_a_clear_message():
    result = make_deploy(
        "ENV=dev", f"JOB_IMAGE_DIGEST={JOB}", f"INFERENCE_IMAGE_DIGEST={INFERENCE}"
    )
    assert result.returncode != 0
    assert "preflight failed" in result.stderr
    assert "credentials:" in result.stderr
    assert "aws sso login" in result.stderr
    assert "[2/6] foundation" not in result.stdout  # nothing ran after the failed preflight


# ----------------------------------------------------------------------------------------------
# With fakes: every check, and the steps in order
# ----------------------------------------------------------------------------------------------
class FakeAws:
    def __init__(
        self, account="000000000000", images=None, fail_credentials=False, fresh=False, data=True
    ):
        self.account = account
        self.images = dict(images or {})  # (repository, tag or digest) -> digest
        self.fail_credentials = fail_credentials
        self.started: list[tuple[str, str]] = []
        self.fresh = fresh  # a fresh account: no bucket, no repositories
        self.objects: dict[tuple[str, str], bytes] = {}
        self.data = data  # input data under raw/ already

    def missing_repositories(self, names):
        return list(names) if self.fresh else []

    def bucket_exists(self, bucket):
        return not self.fresh

    def has_objects(self, bucket, prefix):
        return self.data or any(k[0] == bucket and k[1].startswith(prefix) for k in self.objects)

    def put_object(self, bucket, key, body):
        self.objects[(bucket, key)] = body

    def account_id(self):
        if self.fail_credentials:
            raise DeployError("no usable AWS credentials (fake)")
        return self.account

    def image_digest(self, repository, *, tag=None, digest=None):
        return self.images.get((repository, tag or digest))

    def docker_password(self):
        return "secret-password"

    def start_pipeline(self, pipeline_name, display_name, description):
        self.started.append((pipeline_name, display_name))
        return f"arn:aws:sagemaker:us-east-1:000000000000:pipeline/{pipeline_name}/execution/x1"


class FakeRunner:
    def __init__(self, dirty=False, on_command=None):
        self.calls: list[tuple[list[str], str | None]] = []
        self.dirty = dirty
        self.on_command = on_command

    def __call__(self, argv, *, env=None, capture=False, stdin=None):
        argv = list(argv)
        if argv[:2] == ["git", "status"]:
            return " M training_code/train.py\n" if self.dirty else ""
        if argv[:2] == ["git", "rev-parse"]:
            return SHA + "\n"
        self.calls.append((argv, stdin))
        if self.on_command:
            self.on_command(argv)
        return ""

    @property
    def commands(self) -> list[str]:
        return [" ".join(argv) for argv, _ in self.calls]


def deployment(options: Options, aws=None, runner=None, **overrides) -> Deployment:
    questions: list[str] = []
    answer = overrides.pop("answer", False)

    def confirm(question: str) -> bool:
        questions.append(question)
        return answer

    fake = aws or FakeAws()
    out: list[str] = []
    made = Deployment(
        options,
        runner=runner or FakeRunner(),
        aws_factory=lambda region: fake,
        docker_available=overrides.pop("docker_available", lambda: False),
        which=overrides.pop("which", lambda name: f"/usr/bin/{name}"),
        configured_region=overrides.pop("configured_region", lambda: None),
        out=out.append,
        confirm=confirm,
    )
    made.output = out  # type: ignore[attr-defined]
    made.questions = questions  # type: ignore[attr-defined]
    return made


def given_digests(**extra) -> Options:
    return Options(
        env="dev", job_image_digest=JOB, inference_image_digest=INFERENCE, image_tag=SHA, **extra
    )


def in_ecr(*pairs):
    return {pair: pair[1] if pair[1].startswith("sha256:") else JOB for pair in pairs}


def test_preflight_reports_every_problem_with_its_fix():
    made = deployment(
        Options(env="staging"),
        aws=FakeAws(account="111111111111"),
        runner=FakeRunner(dirty=True),
        which=lambda name: None,
        configured_region=lambda: OTHER_REGION,
    )
    with pytest.raises(DeployError) as caught:
        made.preflight()
    message = str(caught.value)
    assert "terraform: not found on PATH" in message
    assert f"selects {OTHER_REGION} but staging.yaml says aws.region: {STAGING_REGION}" in message
    assert f"export AWS_REGION={STAGING_REGION}" in message
    assert "credentials are for account 111111111111" in message
    assert "aws.account_id: '000000000000'" in message
    assert "no Docker engine" in message and "JOB_IMAGE_DIGEST=sha256:" in message
    assert "uncommitted changes" in message


def test_preflight_passes_with_digests_and_no_docker_engine():
    made = deployment(given_digests())
    made.preflight()
    assert any(
        "ok: terraform, account 000000000000, region us-east-1" in line for line in made.output
    )


def test_preflight_reports_missing_credentials():
    made = deployment(given_digests(), aws=FakeAws(fail_credentials=True))
    with pytest.raises(DeployError, match="credentials: no usable AWS credentials"):
        made.preflight()


def test_steps_run_in_order_with_given_digests_and_start_the_pipeline(tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    aws = FakeAws(
        images=in_ecr(("sagemaker-gitops-jobs", JOB), ("sagemaker-gitops-inference", INFERENCE))
    )
    runner = FakeRunner()
    made = deployment(given_digests(start_pipeline=True, auto_approve=True), aws=aws, runner=runner)
    made.run()
    assert "  ok: bucket and repositories exist" in made.output
    assert (
        "  ok: s3://sagemaker-gitops-dev-artifacts-000000000000/dev/raw/ holds data" in made.output
    )
    assert runner.commands == [
        f"make definition ENV=dev IMAGE_TAG={SHA} JOB_IMAGE_DIGEST={JOB} "
        f"INFERENCE_IMAGE_DIGEST={INFERENCE}",
        "make plan ENV=dev PLAN_FILE=build/dev/terraform.tfplan",
        "make apply ENV=dev PLAN_FILE=build/dev/terraform.tfplan",
        f"{sys.executable} -m code_bundle upload --env dev",
    ]
    assert aws.started == [("sagemaker-gitops-dev", f"deploy-{SHA[:12]}")]
    text = summary.read_text()
    assert f"000000000000.dkr.ecr.us-east-1.amazonaws.com/sagemaker-gitops-jobs@{JOB}" in text
    assert "execution/x1" in text


def test_a_digest_missing_from_the_registry_is_refused_without_a_source():
    made = deployment(given_digests(), aws=FakeAws(images={}))
    with pytest.raises(DeployError, match=r"is not in 000000000000\.dkr\.ecr"):
        made.images()


def test_a_digest_missing_here_is_copied_from_the_source_registry_and_verified():
    source = "111111111111.dkr.ecr.us-east-1.amazonaws.com"
    aws = FakeAws(images={})
    runner = FakeRunner()

    def copy(argv):  # the copy lands in ECR under this commit's tag
        if argv[:3] == ["docker", "buildx", "imagetools"]:
            repository = argv[-1].split("/", 1)[1].split("@")[0]
            aws.images[(repository, SHA)] = argv[-1].split("@")[1]

    runner.on_command = copy
    made = deployment(given_digests(source_registry=source), aws=aws, runner=runner)
    made.images()
    assert runner.commands == [
        "docker buildx imagetools create --tag "
        f"000000000000.dkr.ecr.us-east-1.amazonaws.com/sagemaker-gitops-jobs:{SHA} "
        f"{source}/sagemaker-gitops-jobs@{JOB}",
        "docker buildx imagetools create --tag "
        f"000000000000.dkr.ecr.us-east-1.amazonaws.com/sagemaker-gitops-inference:{SHA} "
        f"{source}/sagemaker-gitops-inference@{INFERENCE}",
    ]


def test_a_copy_that_changes_the_digest_stops_the_deploy():
    aws = FakeAws(images={})
    runner = FakeRunner(
        on_command=lambda argv: aws.images.update(
            {("sagemaker-gitops-jobs", SHA): "sha256:" + "c" * 64}
        )
    )
    made = deployment(given_digests(source_registry="r.example"), aws=aws, runner=runner)
    with pytest.raises(DeployError, match="produced digest sha256:ccc"):
        made.images()


def test_images_are_built_and_pushed_with_the_commit_tag_when_docker_answers(tmp_path):
    runner = FakeRunner()
    built = {"job": "sha256:" + "1" * 64, "inference": "sha256:" + "2" * 64}

    def write_metadata(argv):
        if argv[:3] == ["docker", "buildx", "build"]:
            target = argv[argv.index("--target") + 1]
            metadata = Path(argv[argv.index("--metadata-file") + 1])
            metadata.write_text(json.dumps({"containerimage.digest": built[target]}))

    runner.on_command = write_metadata
    made = deployment(Options(env="dev"), runner=runner, docker_available=lambda: True)
    made.images()
    builds = [argv for argv, _ in runner.calls if argv[:3] == ["docker", "buildx", "build"]]
    assert [argv[argv.index("--target") + 1] for argv in builds] == ["job", "inference"]
    for argv in builds:
        assert f":{SHA}" in argv[argv.index("--tag") + 1]
        assert "--push" in argv and "--provenance=false" in argv
    logins = [(argv, stdin) for argv, stdin in runner.calls if argv[:2] == ["docker", "login"]]
    assert logins and all(stdin == "secret-password" for _, stdin in logins)
    assert all("secret-password" not in " ".join(argv) for argv, _ in runner.calls)
    assert made.digests == built


def test_an_image_already_in_ecr_for_this_commit_is_not_rebuilt():
    aws = FakeAws(
        images={("sagemaker-gitops-jobs", SHA): JOB, ("sagemaker-gitops-inference", SHA): INFERENCE}
    )
    runner = FakeRunner()
    made = deployment(Options(env="dev", image_tag=SHA), aws=aws, runner=runner)
    made.images()
    assert runner.calls == []
    assert made.digests == {"job": JOB, "inference": INFERENCE}


def test_local_is_not_deployed_by_this_script():
    with pytest.raises(DeployError, match=r"mk/local\.mk"):
        check_options(Options(env="local"))


def test_the_aws_seam_reads_identity_and_images_with_moto(monkeypatch):
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        import boto3

        aws = Aws("us-east-1")
        assert aws.account_id() == "123456789012"
        ecr = boto3.client("ecr", region_name="us-east-1")
        ecr.create_repository(repositoryName="jobs")
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {},
                "layers": [],
            }
        )
        digest = ecr.put_image(repositoryName="jobs", imageManifest=manifest, imageTag=SHA)[
            "image"
        ]["imageId"]["imageDigest"]
        assert aws.image_digest("jobs", tag=SHA) == digest
        assert aws.image_digest("jobs", digest=digest) == digest
        assert aws.image_digest("jobs", tag="f" * 40) is None
        with pytest.raises(DeployError, match="cannot read ECR repository 'missing'"):
            aws.image_digest("missing", tag=SHA)


def test_make_deploy_env_local_is_the_local_life_cycle():
    """`make -n` prints what would run: for ENV=local, mk/local.mk's local-deploy, not the script."""
    result = make("-n", "deploy", "ENV=local", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "-m local_runner deploy" in result.stdout
    assert "-m release" not in result.stdout
    dev = make("deploy", "ENV=dev", "DRY_RUN=1", "START_PIPELINE=1", "PY=echo", timeout=120)
    assert "-m release --env dev --dry-run 1 --start-pipeline 1" in dev.stdout


def test_the_parent_makes_variables_do_not_leak_into_step_commands(monkeypatch, capsys):
    monkeypatch.setenv("MAKEFLAGS", " -- DRY_RUN=1 START_PIPELINE=1")
    monkeypatch.setenv("KEEP_ME", "yes")
    out = shell.run_command(
        [
            sys.executable,
            "-c",
            "import os; print(os.environ.get('MAKEFLAGS'), os.environ['KEEP_ME'], os.environ['X'])",
        ],
        env={"X": "1"},
        capture=True,
    )
    assert out.strip() == "None yes 1"
    with pytest.raises(DeployError, match="exited with 3"):
        shell.run_command([sys.executable, "-c", "raise SystemExit(3)"])


def test_a_person_is_asked_before_the_plan_is_applied():
    runner = FakeRunner()
    declined = deployment(given_digests(), runner=runner, answer=False)
    with pytest.raises(DeployError, match="AUTO_APPROVE=1"):
        declined.apply()
    assert runner.commands == ["make plan ENV=dev PLAN_FILE=build/dev/terraform.tfplan"]
    assert declined.questions == ["Apply this plan to dev (account 000000000000)? [y/N] "]

    runner = FakeRunner()
    accepted = deployment(given_digests(), runner=runner, answer=True)
    accepted.apply()
    assert runner.commands[-1] == "make apply ENV=dev PLAN_FILE=build/dev/terraform.tfplan"

    runner = FakeRunner()
    automatic = deployment(given_digests(auto_approve=True), runner=runner, answer=False)
    automatic.apply()
    assert automatic.questions == []  # CI: no question
    assert len(runner.commands) == 2


def test_without_a_terminal_the_question_is_answered_no(monkeypatch, capsys):
    monkeypatch.setattr(shell.sys, "stdin", open(os.devnull))  # noqa: SIM115
    assert shell.ask("Apply? ") is False
    assert "no terminal" in capsys.readouterr().out


def test_the_dry_run_warns_about_uncommitted_image_sources():
    made = deployment(Options(env="dev", dry_run=True), runner=FakeRunner(dirty=True))
    made.run()
    assert any("uncommitted changes" in line for line in made.output)
    assert made.output[-1] == "DRY RUN complete: 6 steps planned, nothing changed."


# ----------------------------------------------------------------------------------------------
# A fresh account: the foundation comes first, dev gets the sample data
# ----------------------------------------------------------------------------------------------
def test_a_fresh_account_gets_bucket_key_and_repositories_before_images_are_checked():
    aws = FakeAws(
        fresh=True,
        images=in_ecr(("sagemaker-gitops-jobs", JOB), ("sagemaker-gitops-inference", INFERENCE)),
    )
    runner = FakeRunner()
    made = deployment(given_digests(auto_approve=True), aws=aws, runner=runner)
    made.run()
    assert runner.commands[:3] == [
        "make plan ENV=dev TARGET=module.storage module.ecr PLAN_FILE=build/dev/foundation.tfplan",
        "make apply ENV=dev PLAN_FILE=build/dev/foundation.tfplan",
        f"make definition ENV=dev IMAGE_TAG={SHA} JOB_IMAGE_DIGEST={JOB} "
        f"INFERENCE_IMAGE_DIGEST={INFERENCE}",
    ]
    assert any("missing: s3://sagemaker-gitops-dev-artifacts" in line for line in made.output)


def test_the_targeted_apply_is_asked_for_like_the_full_one():
    made = deployment(given_digests(), aws=FakeAws(fresh=True), answer=False)
    with pytest.raises(DeployError, match="the plan was not applied"):
        made.foundation()
    assert made.questions == ["Apply this targeted plan to dev (account 000000000000)? [y/N] "]


def test_repositories_owned_by_another_environment_are_not_created_here(tmp_path, monkeypatch):
    from env_config import load
    from release import foundation

    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "staging.tfvars").write_text(
        'environment = "staging"\nmanage_image_repositories = false\n'
    )
    config = load("staging")
    assert foundation.targets(config, tmp_path) == ["module.storage"]
    assert foundation.targets(config) == ["module.storage", "module.ecr"]  # the template's
    monkeypatch.setattr(foundation, "targets", lambda c: ["module.storage"])
    made = deployment(
        Options(
            env="staging", job_image_digest=JOB, inference_image_digest=INFERENCE, image_tag=SHA
        ),
        aws=FakeAws(fresh=True),
    )
    with pytest.raises(DeployError, match="manage_image_repositories = false"):
        made.foundation()


def test_only_the_foundation_step_for_the_release_workflows_images_job():
    runner = FakeRunner()
    made = deployment(
        Options(env="dev", only="foundation", auto_approve=True),
        aws=FakeAws(fresh=True),
        runner=runner,
    )
    made.run()
    assert [line.split(":")[0] for line in made.output if line.startswith("[")] == [
        "[1/1] foundation"
    ]
    assert made.output[-1] == "Done: foundation of ENV=dev."
    assert len(runner.commands) == 2


def test_an_empty_raw_prefix_in_dev_gets_the_sample_set():
    aws = FakeAws(data=False)
    made = deployment(given_digests(start_pipeline=True), aws=aws)
    made.input_data()
    [(bucket, key)] = aws.objects
    assert (bucket, key) == (
        "sagemaker-gitops-dev-artifacts-000000000000",
        "dev/raw/sample/breast_cancer.csv",
    )
    header = aws.objects[(bucket, key)].decode().splitlines()[0]
    assert header.endswith(",malignant")
    assert aws.objects[(bucket, key)].decode().count("\n") == 570  # header + 569 rows


def test_an_empty_raw_prefix_without_seeding_stops_before_anything_changes():
    runner = FakeRunner()
    made = deployment(
        Options(
            env="prod",
            start_pipeline=True,
            job_image_digest=JOB,
            inference_image_digest=INFERENCE,
            image_tag=SHA,
            auto_approve=True,
        ),
        aws=FakeAws(
            data=False,
            images=in_ecr(
                ("sagemaker-gitops-jobs", JOB), ("sagemaker-gitops-inference", INFERENCE)
            ),
        ),
        runner=runner,
    )
    with pytest.raises(DeployError, match=r"prod/raw/ is empty.*aws s3 cp"):
        made.run()
    assert runner.commands == []  # no definition, no apply
