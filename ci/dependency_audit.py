"""Known vulnerabilities in every pinned dependency: pip-audit over each hashed lock.

`python -m ci dependency-audit [--strict]`. A vulnerability fails the check unless requirements/
audit-ignore.txt lists its id with a reason. pip-audit asks PyPI's JSON API for advisories; where
that service cannot be reached (an air-gapped machine: every package comes back "not audited"),
the check says so loudly and, with --strict (what GitHub Actions runs), fails instead of passing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from env_config import REPO_ROOT

LOCKS = (
    "requirements/dev.lock",
    "training_code/requirements.lock",
    "training_code/requirements-inference.lock",
)
IGNORE_FILE = REPO_ROOT / "requirements" / "audit-ignore.txt"


def ignored_ids(path: Path = IGNORE_FILE) -> dict[str, str]:
    """`<advisory id>  <reason>` per line; a line without a reason is refused."""
    ids: dict[str, str] = {}
    if not path.exists():
        return ids
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        advisory, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit(f"{path.name}:{number}: '{advisory}' needs a reason after the id.")
        ids[advisory] = reason.strip()
    return ids


def audit(lock: str) -> dict:
    argv = [sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "--disable-pip"]
    argv += ["--require-hashes", "-r", lock, "-f", "json"]
    result = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"pip-audit failed on {lock}: {result.stderr.strip()[-500:]}") from None


def findings(report: dict, ignored: dict[str, str]) -> tuple[list[str], int, int]:
    """(problems, audited count, not-audited count) of one pip-audit report."""
    problems, audited, skipped = [], 0, 0
    for dependency in report.get("dependencies", []):
        if "skip_reason" in dependency:
            skipped += 1
            continue
        audited += 1
        for vuln in dependency.get("vulns", []):
            names = {vuln["id"], *vuln.get("aliases", [])}
            if names & ignored.keys():
                continue
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release yet"
            problems.append(
                f"{dependency['name']}=={dependency['version']}: {vuln['id']} (fixed in {fixed}); "
                "upgrade it in the .in file and run `make lock`, or list the id with a reason in "
                "requirements/audit-ignore.txt"
            )
    return problems, audited, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="fail when a lock cannot be audited")
    args = parser.parse_args(argv)
    ignored, problems, unaudited = ignored_ids(), [], []
    for lock in LOCKS:
        found, audited, skipped = findings(audit(lock), ignored)
        problems += [f"{lock}: {problem}" for problem in found]
        print(f"dependency audit: {lock}: {audited} audited, {skipped} not audited")
        if skipped:
            unaudited.append(lock)
    for problem in problems:
        print(f"VULNERABLE {problem}", file=sys.stderr)
    if unaudited:
        print(
            "NOT AUDITED: the advisory service (PyPI's JSON API) could not be reached for "
            f"{', '.join(unaudited)}. GitHub Actions' lint job runs `make pip-audit STRICT=1`, "
            "which fails in that case.",
            file=sys.stderr,
        )
    return 1 if problems or (unaudited and args.strict) else 0
