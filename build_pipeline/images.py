"""Image references for the definition: by digest when CI knows it, by tag otherwise.

A digest pins the exact bytes a step runs (tags are immutable in our ECR repositories, but a digest
also survives a repository being recreated). The tag is the git sha that built the image.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from env_config import REPO_ROOT, EnvConfig

DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")
TAG_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class ImageReferenceError(ValueError):
    pass


@dataclass(frozen=True)
class Images:
    job: str
    inference: str


def git_sha() -> str:
    """HEAD's sha, or 'unversioned' outside a git checkout (a tarball download, say)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unversioned"
    return result.stdout.strip()


def reference(repository_uri: str, tag: str, digest: str | None) -> str:
    if digest:
        if not DIGEST_PATTERN.match(digest):
            raise ImageReferenceError(
                f"image digest '{digest}' is not of the form sha256:<64 hex>. Pass the digest "
                "that `docker buildx build --push` printed (or leave it out to use the tag)."
            )
        return f"{repository_uri}@{digest}"
    if not TAG_PATTERN.match(tag):
        raise ImageReferenceError(f"image tag '{tag}' is not a valid Docker tag.")
    return f"{repository_uri}:{tag}"


def resolve(config: EnvConfig, tag: str, job_digest: str | None = None,
            inference_digest: str | None = None) -> Images:
    return Images(
        job=reference(config.image_repository_uri("job"), tag, job_digest),
        inference=reference(config.image_repository_uri("inference"), tag, inference_digest),
    )
