"""`make batch ENV=local INPUT=...`: the batch-scoring definition run by the local runner.

Generates build/local/batch-definition.json when stale (python -m build_pipeline --kind batch),
stages training_code/ as CI does, copies INPUT (a CSV file or a folder of them) to
<prefix>/batch/input/<file stem or folder name>/ and runs the definition with InputDataUri pointing there; without
INPUT it scores everything under <prefix>/batch/input/, as a scheduled run on AWS does. The
predictions land in <prefix>/batch/output/<date>/ of the local object store and are printed
with the path of the folder.

Exit codes: 0 scored; 1 the Score step failed (its one-line reason is printed); 2 a usage or
definition error.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from env_config import REPO_ROOT, EnvConfigError
from local_runner import fsutil, lifecycle, objectstore
from local_runner.executor import EXIT_DEFINITION, DefinitionError, Executor, load_definition
from local_runner.expressions import ExpressionError, UnsupportedError

DEFINITION = REPO_ROOT / "build" / "local" / "batch-definition.json"
SOURCES = ("build_pipeline", "env_config", "training_code")


def ensure_definition(path: Path = DEFINITION, out=print) -> Path:
    """Regenerate the batch definition when it is missing or older than its sources."""
    newest = (REPO_ROOT / "environments" / "local.yaml").stat().st_mtime
    for folder in SOURCES:
        for source in (REPO_ROOT / folder).rglob("*.py"):
            newest = max(newest, source.stat().st_mtime)
    if path.is_file() and path.stat().st_mtime >= newest:
        import code_bundle

        if f"/code/{code_bundle.digest()}/" in path.read_text(encoding="utf-8"):
            return path
    out("Generating the batch definition: python -m build_pipeline --env local --kind batch")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "build_pipeline",
            "--env",
            "local",
            "--kind",
            "batch",
            "--out",
            str(path),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise lifecycle.LocalError(
            "`python -m build_pipeline --env local --kind batch` failed:\n"
            + (completed.stderr or completed.stdout).strip()
        )
    return path


def stage_input(local: lifecycle.Local, source: Path) -> str:
    """Copy a CSV file or a folder of them to <prefix>/batch/input/<stem or name>/; its URI."""
    if not source.exists():
        raise lifecycle.LocalError(f"INPUT={source}: no such file or folder.")
    files = [source] if source.is_file() else sorted(source.rglob("*.csv"))
    if not files or (source.is_file() and source.suffix.lower() != ".csv"):
        raise lifecycle.LocalError(
            f"INPUT={source}: give a .csv file (header row with the schema's features) or a "
            "folder holding .csv files."
        )
    # its own folder, a prefix ending in '/' (what InputDataUri must be): batch/input/<name>/
    uri = local.config.s3_uri("batch", "input", source.stem if source.is_file() else source.name)
    for stale, _file in objectstore.list_objects(uri + "/"):
        objectstore.delete(objectstore.uri_for(local.config.bucket, stale))
    for file in files:
        relative = file.name if source.is_file() else file.relative_to(source).as_posix()
        objectstore.put_file(file, f"{uri}/{relative}")
    return uri + "/"


def run(input_path: Path | None, date: str = "", use_cache: bool = True, out=print) -> int:
    local = lifecycle.Local.load()
    definition_path = ensure_definition(out=out)
    overrides = {"BatchDate": date} if date else {}
    if input_path is not None:
        overrides["InputDataUri"] = stage_input(local, input_path)
    definition = load_definition(definition_path)
    executor = Executor(
        definition,
        overrides=overrides,
        pipeline_name=definition_pipeline_name(local),
        region=local.config.region,
        account=local.config.account_id,
        registry=local.registry,
        use_cache=use_cache,
        out=out,
        definition_sha256=fsutil.sha256_bytes(definition_path.read_bytes()),
    )
    code_uri = lifecycle.stage_code(local)
    if code_uri not in definition_path.read_text(encoding="utf-8"):
        raise DefinitionError(f"{definition_path} does not use the current code bundle {code_uri}.")
    local.registry.ensure_champion_marker()
    result = executor.run()
    if result.status != "Succeeded":
        out(f"Logs: make logs ENV=local STEP=Score EXECUTION={result.execution_id}")
        return result.exit_code
    out(describe_output(local))
    return 0


def definition_pipeline_name(local: lifecycle.Local) -> str:
    return f"{local.config.get('resources.pipeline_name')}-batch"


def describe_output(local: lifecycle.Local) -> str:
    """Where the newest scoring landed, and what scored it."""
    found = [
        (key, file)
        for key, file in objectstore.list_objects(local.config.s3_uri("batch", "output") + "/")
        if key.endswith("/_metadata.json")
    ]
    if not found:
        return "No _metadata.json under batch/output/: the Score step wrote nothing."
    _key, file = max(found, key=lambda item: item[1].stat().st_mtime)
    metadata = json.loads(file.read_text(encoding="utf-8"))
    return (
        f"Scored {metadata['rows']} row(s) in {len(metadata['files'])} file(s) with "
        f"{metadata['model_package_arn']}\nPredictions: {file.parent}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local_runner.batch", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--input", type=Path, help="a CSV file or a folder of CSV files")
    parser.add_argument(
        "--date", default="", help="YYYY-MM-DD of the output folder (default today)"
    )
    parser.add_argument("--no-cache", action="store_true", help="score again even if cached")
    args = parser.parse_args(argv)
    try:
        return run(args.input, args.date, use_cache=not args.no_cache)
    except (DefinitionError, UnsupportedError, ExpressionError, EnvConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_DEFINITION
    except lifecycle.LocalError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
