"""Build build/lambda/deploy.zip: the deploy/ package for the approval Lambda.

Deterministic (sorted entries, fixed timestamps and permissions), so the same code gives the same
bytes and Terraform's source_code_hash changes only when the code does. boto3 is not bundled: the
Lambda Python runtime provides it. Handler: deploy.lambda_handler.handler.
"""

from __future__ import annotations

import argparse
import hashlib
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = REPO_ROOT / "deploy"
DEFAULT_OUT = REPO_ROOT / "build" / "lambda" / "deploy.zip"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
SKIPPED_PARTS = {"__pycache__"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}


def files(package: Path = PACKAGE) -> list[Path]:
    selected = []
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package.parent)
        if path.is_dir() or SKIPPED_PARTS.intersection(relative.parts):
            continue
        if path.suffix in SKIPPED_SUFFIXES:
            continue
        selected.append(relative)
    return sorted(selected, key=lambda p: p.as_posix())


def build(out: Path = DEFAULT_OUT, package: Path = PACKAGE) -> str:
    """Write the zip; return its SHA-256 (hex)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for relative in files(package):
            info = zipfile.ZipInfo(relative.as_posix(), date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, so the permissions above are honoured
            zf.writestr(info, (package.parent / relative).read_bytes(), compresslevel=9)
    temporary.replace(out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    digest = build(args.out)
    shown = args.out.relative_to(REPO_ROOT) if args.out.is_relative_to(REPO_ROOT) else args.out
    print(f"{shown} sha256={digest}")
    return 0


if __name__ == "__main__":  # `python -m release.lambda_zip` (make lambda-zip)
    raise SystemExit(main())
