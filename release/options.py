"""What the person asked for: the command-line options of `python -m release`, checked offline."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from release.errors import DeployError

DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")
SHA_PATTERN = re.compile(r"^[0-9a-f]{7,40}$")
IMAGE_KINDS = ("job", "inference")
DEPLOYABLE = ("dev", "staging", "prod")
ONLY_STEPS = ("foundation",)


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
    # Run only this step (CI's images job: `foundation` before it pushes into ECR).
    only: str | None = None
    make: str = "make"

    @property
    def digests(self) -> dict[str, str | None]:
        return {"job": self.job_image_digest, "inference": self.inference_image_digest}

    @property
    def digests_given(self) -> bool:
        return all(self.digests.values())


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


def flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m release",
        description="Deploy an environment: images, definition, apply, code, pipeline.",
    )
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
    parser.add_argument(
        "--only",
        choices=ONLY_STEPS,
        help="run only this step (foundation: the first apply of bucket, key and repositories)",
    )
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
        only=args.only,
        make=os.environ.get("MAKE", "make"),
    )
