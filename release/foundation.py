"""What must exist before anything is pushed or uploaded into it: the environment's KMS key,
artifact bucket and ECR repositories (modules storage and ecr of terraform/).

On the first deploy of a fresh account none of them exist, yet the images step checks or pushes
images into ECR and the data step writes to the bucket, both before the full apply. So when one is
missing, `make deploy` applies just those two modules first (`terraform plan -target=module.storage
-target=module.ecr` to a file, then that plan). Afterwards they exist and the step only checks.

Why a targeted apply and not repositories in terraform/bootstrap: the repositories are encrypted
with the environment's key and follow its storage.force_destroy, so they belong to the
environment's state; bootstrap stays the same for every environment and knows no keys. Terraform
warns that -target is for exceptional use: it is, once per environment.
"""

from __future__ import annotations

import re
from pathlib import Path

from env_config import REPO_ROOT, EnvConfig

TARGETS = ("module.storage", "module.ecr")
_MANAGE = re.compile(r"^\s*manage_image_repositories\s*=\s*(true|false)\b", re.M)


def manages_repositories(config: EnvConfig, root: Path = REPO_ROOT) -> bool:
    """`manage_image_repositories` of environments/<env>.tfvars (Terraform's default: true)."""
    path = root / "environments" / f"{config.name}.tfvars"
    match = _MANAGE.search(path.read_text(encoding="utf-8")) if path.exists() else None
    return match is None or match.group(1) == "true"


def targets(config: EnvConfig, root: Path = REPO_ROOT) -> list[str]:
    """The modules the first apply targets (no ecr when another environment owns the repositories)."""
    return [t for t in TARGETS if t != "module.ecr" or manages_repositories(config, root)]


def repository_names(config: EnvConfig) -> list[str]:
    return [config.get(f"resources.{kind}_image_repository") for kind in ("job", "inference")]
