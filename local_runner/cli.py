"""python -m local_runner: run, stage, models, approve, reject, rollback, serve, undeploy, status, logs,
deploy, smoke-test (ENV=local).

Exit codes: 0 success; 1 a step or command failed; 2 a definition or usage error (unsupported step
type or function, unknown parameter, ...); 3 the run reached a Fail step (the quality gate rejected
the model: nothing was registered).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from env_config import EnvConfigError
from local_runner import endpoint, lifecycle, objectstore, params
from local_runner.executor import DefinitionError
from local_runner.expressions import ExpressionError, UnsupportedError
from local_runner.registry import RegistryError
from local_runner.settings import SettingsError


def _overrides(text: str | None) -> dict[str, str]:
    return params.parse(text)


def port_number(text: str) -> int:
    """--port/PORT: a whole number (its range is checked before anything is stopped)."""
    try:
        return endpoint.check_port(int(text))
    except (ValueError, endpoint.EndpointError):
        raise argparse.ArgumentTypeError(
            f"PORT={text!r} is not a usable port: give a number from 1024 to 65535."
        ) from None


class Parser(argparse.ArgumentParser):
    """Usage errors as one line that starts with the problem (argparse leads with the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m local_runner", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the pipeline definition locally")
    run.add_argument("--params", help='overrides, e.g. "AccuracyThreshold=0.95 MaxIter=50"')
    run.add_argument("--definition", type=Path, default=lifecycle.DEFINITION)
    run.add_argument("--no-cache", action="store_true", help="run every step, ignore the cache")
    run.add_argument(
        "--max-parallel",
        type=int,
        help="ParallelismConfiguration.MaxParallelExecutionSteps (as StartPipelineExecution takes it)",
    )
    stage = commands.add_parser(
        "stage", help="put a local file or folder into the object store (code, data)"
    )
    stage.add_argument("source", type=Path)
    stage.add_argument("uri", help="s3://<bucket>/<key or prefix/>")
    commands.add_parser("models", help="list model package versions, status, metrics, lineage")
    group_help = "model package group (default: the template's, from environments/local.yaml)"
    for name in ("approve", "reject"):
        sub = commands.add_parser(name, help=f"{name} a model package version")
        sub.add_argument("version", type=int)
        sub.add_argument("--group", help=group_help)
    rollback = commands.add_parser(
        "rollback", help="reject the champion; the previous one is served again"
    )
    rollback.add_argument("--group", help=group_help)
    commands.add_parser(
        "repair", help="set unreadable registry files aside and rebuild champion.json"
    )
    serve = commands.add_parser("serve", help="serve the champion on 127.0.0.1:PORT")
    serve.add_argument("--port", type=port_number)
    serve.add_argument("--group", help=group_help)
    commands.add_parser("undeploy", help="stop the local endpoint")
    commands.add_parser("status", help="last execution, champion, endpoint")
    logs = commands.add_parser("logs", help="a step's logs (latest execution by default)")
    logs.add_argument("--step", required=True)
    logs.add_argument("--execution")
    logs.add_argument("--lines", type=int)
    deploy = commands.add_parser("deploy", help="the whole life cycle (make deploy ENV=local)")
    deploy.add_argument("--port", type=port_number)
    deploy.add_argument("--params")
    smoke = commands.add_parser("smoke-test", help="invoke the endpoint with test rows")
    smoke.add_argument("--port", type=port_number)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return dispatch(args)
    except (
        DefinitionError,
        UnsupportedError,
        ExpressionError,
        EnvConfigError,
        SettingsError,
        objectstore.ObjectStoreError,
        params.ParamsError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (lifecycle.LocalError, RegistryError, endpoint.EndpointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def dispatch(args: argparse.Namespace) -> int:
    local = lifecycle.Local.load(getattr(args, "group", None))
    registry = local.registry
    if args.command == "run":
        result = lifecycle.run(
            local,
            _overrides(args.params),
            definition_path=args.definition,
            use_cache=not args.no_cache,
            max_parallel=args.max_parallel,
        )
        for item in result.registered:
            note = " (already registered)" if item.get("duplicate") else ""
            print(f"Registered {item['group']} version {item['version']}: {item['status']}{note}")
            if item["status"] != "Approved":
                group = "" if item["group"] == local.group else f" GROUP={item['group']}"
                print(f"  approve it: make approve ENV=local VERSION={item['version']}{group}")
        if result.status != "Succeeded" and result.failed_step:
            print(f"Logs: make logs ENV=local STEP={result.failed_step}")
        if any(item["status"] == "Approved" for item in result.registered):
            lifecycle.follow_champion(local)  # a running endpoint serves the new champion
        return result.exit_code
    if args.command == "stage":
        count = lifecycle.stage_path(args.source, args.uri)
        print(f"Staged {count} file(s) at {args.uri} ({objectstore.path_for(args.uri)}).")
        return 0
    if args.command == "models":
        print(lifecycle.describe_versions(local))
        return 0
    if args.command == "approve":
        record = registry.approve(local.group, args.version, "approved by make approve")
        print(f"Version {record['ModelPackageVersion']} is Approved and is the champion.")
        lifecycle.follow_champion(local)
        return 0
    if args.command == "reject":
        record = registry.reject(local.group, args.version, "rejected by make reject")
        champion = registry.champion(local.group)["version"]
        print(
            f"Version {record['ModelPackageVersion']} is Rejected; champion: {champion or 'none'}."
        )
        lifecycle.follow_champion(local)
        return 0
    if args.command == "rollback":
        record, champion = registry.rollback(local.group)
        print(
            f"Rolled back: version {record['ModelPackageVersion']} is Rejected; champion: "
            f"{champion or 'none'}."
        )
        lifecycle.follow_champion(local)
        return 0
    if args.command == "repair":
        from local_runner.registry import repair

        repair(registry)
        return 0
    if args.command == "serve":
        if lifecycle.serve_champion(local, args.port or local.port) is None:
            print("error: no approved version to serve (make deploy ENV=local).", file=sys.stderr)
            return 1
        return 0
    if args.command == "undeploy":
        endpoint.undeploy()
        return 0
    if args.command == "status":
        print(lifecycle.status_text(local))
        return 0
    if args.command == "logs":
        print(lifecycle.read_log(args.step, args.execution, args.lines), end="")
        return 0
    if args.command == "deploy":
        limit = float(local.config.get("endpoint.smoke_test.max_latency_ms"))
        return lifecycle.deploy(local, args.port or local.port, _overrides(args.params), limit)
    if args.command == "smoke-test":
        port = args.port or (endpoint.status()["proxy"] or {}).get("port") or local.port
        limit = float(local.config.get("endpoint.smoke_test.max_latency_ms"))
        lifecycle.run_smoke_test(local, port, limit)
        return 0
    raise AssertionError(args.command)
