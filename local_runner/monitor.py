"""`make monitor ENV=local [RETRAIN=1]`: the endpoint's captured requests against the champion's
data-quality baseline, per feature, with a pass/violation verdict.

The comparison is training_code/data_monitor.py, run as a job would run (a process with this
Python), on the champion's baseline (<prefix>/champion/current/baseline/) and the requests the
local endpoint captured (<prefix>/datacapture/<endpoint>/) since the champion was approved. Its
reports (constraint_violations.json in Model Monitor's format, drift_report.json) are kept under
<prefix>/monitoring/<time>/. --retrain: on a violation, run the training pipeline on the latest
data (pipeline.input_data_uri), as the drift alarm does on AWS.

Exit codes: 0 pass (or a retrain that registered a model); 1 an error (the message says what to
do); 3 violation (without --retrain, or a retrain that did not register a model).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from env_config import REPO_ROOT, EnvConfigError
from local_runner import capture, lifecycle, objectstore
from local_runner.champion import BASELINE
from local_runner.executor import DefinitionError
from local_runner.expressions import ExpressionError, UnsupportedError
from local_runner.registry import APPROVED, RegistryError

MONITOR_SCRIPT = REPO_ROOT / "training_code" / "data_monitor.py"
EXIT_PASS, EXIT_ERROR, EXIT_VIOLATION = 0, 1, 3


def champion_since(local: lifecycle.Local) -> tuple[int, str]:
    """The champion's version and when it was (last) approved: its traffic starts then."""
    version = local.registry.champion(local.group)["version"]
    if version is None:
        raise lifecycle.LocalError(
            "no champion to monitor: approve a model first (make deploy ENV=local)."
        )
    record = local.registry.get(local.group, version)
    approvals = [e["time"] for e in record.get("ApprovalHistory", []) if e["status"] == APPROVED]
    return version, approvals[-1] if approvals else record["CreationTime"]


def run_check(local: lifecycle.Local, since: str) -> tuple[dict[str, Any], str]:
    """Run the monitoring job; returns its drift report and the URI of the reports."""
    champion = local.config.s3_uri("champion", "current") + "/"
    captured = capture.capture_uri(local.config) + "/"
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    reports = local.config.s3_uri("monitoring", stamp) + "/"
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for relative in BASELINE.values():
            if not objectstore.exists(champion + relative):
                raise lifecycle.LocalError(
                    f"{champion}{relative} not found: the champion has no data-quality baseline "
                    "(it was trained before the pipeline had a Baseline step). Run and approve a "
                    "new model: make run ENV=local."
                )
            objectstore.download_prefix(champion + relative, folder / "baseline")
        objectstore.download_prefix(captured, folder / "capture")
        completed = subprocess.run(
            [
                sys.executable,
                str(MONITOR_SCRIPT),
                "--baseline-dir",
                str(folder / "baseline"),
                "--capture-dir",
                str(folder / "capture"),
                "--output-dir",
                str(folder / "output"),
                "--since",
                since,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "SM_OPT_ML": str(folder / "opt_ml")},
        )
        if completed.returncode != 0:
            reason = completed.stderr.strip().splitlines()
            raise lifecycle.LocalError(
                (reason[-1] if reason else "the monitoring job failed").removeprefix("ERROR: ")
            )
        objectstore.upload_dir(folder / "output", reports)
        report = json.loads((folder / "output" / "drift_report.json").read_text(encoding="utf-8"))
    return report, reports


def render(report: dict[str, Any], version: int, reports: str) -> str:
    lines = [
        f"Champion version {version}: {report['rows']} captured row(s) since {report['since']} "
        "against its training baseline",
        f"  {'feature':<26} {'column':<6} {'distance':>8} {'limit':>7} {'baseline':>10} "
        f"{'now':>10}  verdict",
    ]
    for item in report["features"]:
        limit = max(item["threshold"], item["noise"])
        now = item["current_mean"]
        lines.append(
            f"  {item['feature']:<26} {item['column']:<6} {item['distance']:>8.4f} {limit:>7.4f} "
            f"{item['baseline_mean']:>10.4g} {now if now is None else format(now, '>10.4g')}  "
            f"{'DRIFT' if item['drift'] else 'ok'}"
        )
    for violation in report["violations"]:
        if violation["constraint_check_type"] != "baseline_drift_check":
            lines.append(
                f"  {violation['feature'] or violation['feature_name']}: "
                f"{violation['constraint_check_type']}: {violation['description']}"
            )
    drifted = sorted({v["feature"] or v["feature_name"] for v in report["violations"]})
    verdict = f"violation ({len(drifted)} feature(s): {', '.join(drifted)})" if drifted else "pass"
    lines.append(f"Verdict: {verdict}. Reports: {reports}")
    return "\n".join(lines)


def retrain(local: lifecycle.Local, out=print) -> int:
    """The drift alarm's action, locally: a training run on the latest data."""
    out("Drift: starting a training run on the latest data (pipeline.input_data_uri).")
    result = lifecycle.run(local, {}, out=out)
    for item in result.registered:
        out(f"Registered {item['group']} version {item['version']}: {item['status']}")
    if any(item["status"] == APPROVED for item in result.registered):
        lifecycle.follow_champion(local, out)
    return EXIT_PASS if result.registered else EXIT_VIOLATION


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local_runner.monitor", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--since", help="ISO time (default: when the champion was approved)")
    parser.add_argument("--retrain", action="store_true", help="on a violation, run training")
    args = parser.parse_args(argv)
    try:
        local = lifecycle.Local.load()
        version, approved = champion_since(local)
        report, reports = run_check(local, args.since or approved)
        print(render(report, version, reports))
        if report["verdict"] == "pass":
            return EXIT_PASS
        return retrain(local) if args.retrain else EXIT_VIOLATION
    except (DefinitionError, UnsupportedError, ExpressionError, EnvConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (lifecycle.LocalError, RegistryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
