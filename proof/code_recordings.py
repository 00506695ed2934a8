"""The AWS calls of the template's Python code, recorded with boto3's hooks while it runs
against moto:

- the release orchestrator (`make deploy ENV=dev`: image check, code upload, pipeline start),
  run step by step against the moto server Terraform just applied (its `make` sub-steps are the
  Terraform runs, recorded by moto's recorder instead);
- deploy/ (rollout, rollback, lock, state, champion copy, smoke test, status, logs, the Lambda),
  through its own moto-backed test suite with the recording plugin proof.pytest_recorder: every
  call made from deploy/ code counts, the tests' setup calls do not.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from proof.boto_recorder import BotoRecorder
from proof.moto_server import MotoServer, ProofError

REPO_ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def aws_environment(url: str, region: str) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "proof",
            "AWS_SECRET_ACCESS_KEY": "proof",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _push_images(config, url: str) -> dict[str, str]:
    """What the release workflow's image job leaves in ECR (setup, not recorded)."""
    import boto3

    ecr = boto3.session.Session().client("ecr", endpoint_url=url)
    digests = {}
    for kind in ("job", "inference"):
        manifest = (
            '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",'
            f' "config": {{"digest": "sha256:{hashlib.sha256(kind.encode()).hexdigest()}"}}}}'
        )
        image = ecr.put_image(
            repositoryName=config.get(f"resources.{kind}_image_repository"),
            imageManifest=manifest,
            imageTag=f"proof-{kind}",
        )["image"]
        digests[kind] = image["imageId"]["imageDigest"]
    return digests


def record_release(moto: MotoServer, env: str, into: Path) -> None:
    """Run `make deploy ENV=<env> START_PIPELINE=1 AUTO_APPROVE=1` with image digests, its
    Terraform and definition sub-steps left out (recorded elsewhere), the rest for real."""
    import code_bundle
    from env_config import load
    from release import deployment
    from release.options import Options

    config = load(env)
    recorder = BotoRecorder([REPO_ROOT / "release", REPO_ROOT / "code_bundle"], any_thread=True)
    recorder.install()
    recorder.active = False

    def runner(argv: Sequence[str], *, env=None, capture=False, stdin=None) -> str:
        argv = list(argv)
        if argv[1:3] == ["-m", "code_bundle"]:
            with contextlib.redirect_stdout(io.StringIO()):
                code_bundle.main(argv[3:])  # in this process, so its S3 calls are recorded
            return ""
        if argv[:1] == ["git"]:
            return "0" * 40 + "\n"
        return ""  # make definition / plan / apply: Terraform's requests are moto's recording

    with aws_environment(moto.url, config.region):
        digests = _push_images(config, moto.url)
        options = Options(
            env=env,
            start_pipeline=True,
            auto_approve=True,
            image_tag="0" * 40,
            job_image_digest=digests["job"],
            inference_image_digest=digests["inference"],
        )
        run = deployment.Deployment(
            options,
            runner=runner,
            which=lambda name: f"/usr/bin/{name}",
            configured_region=lambda: config.region,
            out=lambda line: None,
        )
        recorder.active = True
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                run.run()
        finally:
            recorder.active = False
    recorder.write(into)


def record_deploy_tests(into: Path) -> None:
    """deploy/'s moto-backed tests with the recording plugin (one subprocess)."""
    env = dict(os.environ, PROOF_RECORD_TO=str(into.resolve()), PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/deploy", "-q", "-x", "-p", "proof.pytest_recorder",
         "-p", "no:cacheprovider"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-15:])
        raise ProofError(f"tests/deploy failed while recording deploy/'s requests:\n{tail}")
