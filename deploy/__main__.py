"""python -m deploy <command> --env <env>: roll out, roll back, verify and inspect an environment.

Every failure prints one line (what, and what to do) and exits non-zero, never a traceback:
1 failure, 2 refused (bad ARN, not Approved, other group/account/region), 3 another deploy holds
the lock, 4 smoke test failed (the rollout was rolled back), 5 AWS unreachable or access denied,
6 retry later (endpoint mid-update, throttled), 130 interrupted (deploy.errors.EXIT_CODES).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from deploy.errors import DeployError

if TYPE_CHECKING:
    from deploy.aws import Clients
    from deploy.rollout import Deployer
    from deploy.settings import Settings

COMMANDS = {
    "rollout": "deploy a model package (an ARN, or the latest Approved) to the endpoint",
    "rollback": "roll out the previous Approved package deployed here (or a named older one)",
    "status": "latest pipeline executions step by step, and what the endpoint serves",
    "logs": "print the CloudWatch logs of a pipeline step's job (latest execution)",
    "smoke-test": "invoke the endpoint with test-split rows; check answers and latency",
    "record": "write deployments/<env>.json from what the endpoint serves",
    "validate-event": "check an approval event's package: ARN, Approved, group; replay-safe",
    "prune": "delete leftover and old <endpoint>-v* models and endpoint configs",
}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.splitlines()[0])
    commands = main.add_subparsers(dest="command", required=True, metavar="command")
    for name, help_text in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--env", required=True, help="environment (environments/<env>.yaml)")
        if name in ("rollout", "validate-event"):
            sub.add_argument(
                "--model-package-arn",
                default="latest" if name == "rollout" else None,
                required=name == "validate-event",
                help="versioned model package ARN, or 'latest' (newest Approved in the group)",
            )
        if name == "validate-event":
            sub.add_argument(
                "--explicit-rollback",
                action="store_true",
                help="an older package than the serving one is wanted (a reverted record)",
            )
        if name == "rollback":
            sub.add_argument(
                "--model-package-arn",
                help="an older Approved package to go back to (default: the previous one)",
            )
        if name in ("rollout", "rollback"):
            sub.add_argument("--no-wait", action="store_true", help="start the update and return")
            sub.add_argument("--no-smoke-test", action="store_true", help="skip the smoke test")
            sub.add_argument(
                "--timeout", type=float, help="seconds to wait (default: canary + 30 min)"
            )
            sub.add_argument("--poll", type=float, default=30.0, help="seconds between polls")
        if name in ("rollout", "rollback", "smoke-test"):
            sub.add_argument("--test-data", help="S3 prefix or CSV path (default: TestDataUri)")
            sub.add_argument(
                "--max-latency-ms", type=int, help="default: endpoint.smoke_test.max_latency_ms"
            )
        if name == "prune":
            sub.add_argument(
                "--keep", type=int, help="older configs kept (default: endpoint.keep_old_configs)"
            )
        if name == "status":
            sub.add_argument("--limit", type=int, default=3, help="executions to show")
        if name == "logs":
            sub.add_argument("--step", required=True, help="step name, e.g. Train")
            sub.add_argument("--execution-arn", help="default: the latest execution")
        if name == "record":
            sub.add_argument("--out", help="default: deployments/<env>.json")
    return main


def github_output(**values: object) -> None:
    """Outputs for the deploy workflow's next steps (no-op outside GitHub Actions)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        for key, value in values.items():
            handle.write(f"{key}={value}\n")


def run(args: argparse.Namespace) -> int:
    from deploy.aws import Clients
    from deploy.settings import load

    settings = load(args.env)
    if getattr(args, "max_latency_ms", None):
        settings = dataclasses.replace(settings, smoke_max_latency_ms=args.max_latency_ms)
    clients = Clients(settings.region)
    if args.command in ("status", "logs") and settings.is_local:
        raise DeployError(f"ENV=local: use `python -m local_runner {args.command}` (make does).")
    command = {
        "status": show_status,
        "logs": show_logs,
        "record": write_record,
        "validate-event": lambda c, s, a: validate_event(
            c, s, a.model_package_arn, explicit_rollback=a.explicit_rollback
        ),
        "prune": prune,
        "smoke-test": smoke_test,
    }.get(args.command, deploy)
    return command(clients, settings, args)


def show_status(clients: Clients, settings: Settings, args: argparse.Namespace) -> int:
    from deploy.status import status

    print(status(clients, settings, args.limit))
    return 0


def show_logs(clients: Clients, settings: Settings, args: argparse.Namespace) -> int:
    from deploy.status import logs

    logs(clients, settings, args.step, args.execution_arn)
    return 0


def write_record(clients: Clients, settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from deploy import record
    from deploy.rollout import read_state

    entry = record.current_record(clients, settings, read_state(clients, settings))
    path = Path(args.out) if args.out else record.default_path(settings.environment)
    changed = record.write(entry, path)
    print(
        f"{path}: {'updated' if changed else 'unchanged'} (model package version "
        f"{entry['model_package_version']} on {entry['endpoint_config_name']})."
    )
    github_output(record_changed=str(changed).lower())
    return 0


def prune(clients: Clients, settings: Settings, args: argparse.Namespace) -> int:
    from deploy import registry
    from deploy.rollout import Deployer

    registry.ensure_not_local(settings, "prune")
    if not settings.endpoint_enabled:
        print(f"endpoint.enabled is false in {settings.environment}: nothing to prune.")
        return 0
    deployer = Deployer(clients, settings)
    with deployer.lock.held("prune"):
        deployer.reconcile(registry.serving(clients, settings.endpoint_name))
        deleted = deployer.prune(keep=args.keep)
    print(f"Pruned {len(deleted)} model(s)/endpoint config(s).")
    return 0


def make_deployer(clients: Clients, settings: Settings, args: argparse.Namespace) -> Deployer:
    from deploy.rollout import Deployer

    return Deployer(
        clients,
        settings,
        poll_seconds=getattr(args, "poll", 30.0),
        timeout_seconds=getattr(args, "timeout", None),
    )


def smoke_test(clients: Clients, settings: Settings, args: argparse.Namespace) -> int:
    result = make_deployer(clients, settings, args).smoke_test(args.test_data)
    return 0 if result.ok else 4


def deploy(clients: Clients, settings: Settings, args: argparse.Namespace) -> int:
    """rollout and rollback: one path, one set of outputs."""
    deployer = make_deployer(clients, settings, args)
    options = {
        "wait": not args.no_wait,
        "smoke_test": not args.no_smoke_test,
        "test_data": args.test_data,
    }
    if args.command == "rollback":
        outcome = deployer.rollback(args.model_package_arn, **options)
    else:
        outcome = deployer.rollout(args.model_package_arn, **options)
    print(outcome.message)
    github_output(
        action=outcome.action,
        rolled_back=str(outcome.rolled_back).lower(),
        endpoint_config_name=outcome.endpoint_config_name,
        model_package_arn=outcome.model_package_arn,
        model_package_version=outcome.model_package_version,
    )
    return 0


def validate_event(
    clients: Clients, settings: Settings, arn: str, *, explicit_rollback: bool = False
) -> int:
    """The workflow's gate: the package is Approved, in scope, and newer than what serves
    (or, for an explicit rollback, any Approved package that does not serve already)."""
    from deploy import registry
    from deploy.rollout import Deployer

    registry.ensure_not_local(settings, "validate-event")
    package = registry.resolve(clients, settings, arn)
    verdict = Deployer(clients, settings, out=lambda _line: None).verdict(package)
    if explicit_rollback and verdict is not None and verdict.action == "stale":
        verdict = None
    if verdict is None:
        print(
            f"OK: {package.arn} (version {package.version}) is Approved in {package.group}; "
            f"ready to deploy to {settings.environment}."
        )
    elif verdict.action == "noop":
        print(verdict.message.replace("Nothing to do: ", "Already deployed: ", 1))
    else:
        print(verdict.message)
    github_output(
        model_package_arn=package.arn,
        model_package_version=package.version,
        already_deployed=str(verdict is not None and verdict.action == "noop").lower(),
        stale=str(verdict is not None and verdict.action == "stale").lower(),
        skip=str(verdict is not None).lower(),
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from deploy.aws import translated_errors

    try:
        with translated_errors():
            return run(args)
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(
            "interrupted: whatever AWS already started goes on; the next rollout, rollback or "
            "prune reconciles the deploy state with the endpoint and deletes leftovers.",
            file=sys.stderr,
        )
        return 130
    except Exception as error:  # a bug: still one line, the traceback only on request
        if os.environ.get("DEPLOY_DEBUG"):
            raise
        print(
            f"error: unexpected {type(error).__name__}: {' '.join(str(error).split())[:300]}. "
            "This is a bug in deploy/: rerun with DEPLOY_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
