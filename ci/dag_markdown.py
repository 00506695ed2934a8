"""Write the pipeline's DAG as a collapsed Mermaid block for a PR comment or a job summary.

`python -m ci dag-markdown --env dev --out build/pr/dev-dag.md` reads
build/<env>/pipeline-definition.json (run `make definition ENV=<env>` first).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from env_config import REPO_ROOT
from pipeline_graph.graph import build_graph
from pipeline_graph.render import to_mermaid


def dag_markdown(definition: dict, env: str) -> str:
    mermaid = to_mermaid(build_graph(definition), None).strip()
    return (
        f"<details><summary>Pipeline DAG ({env})</summary>\n\n"
        f"```mermaid\n{mermaid}\n```\n\n</details>\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    path = REPO_ROOT / "build" / args.env / "pipeline-definition.json"
    if not path.exists():
        print(f"{path} not found: run `make definition ENV={args.env}` first.", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dag_markdown(json.loads(path.read_text()), args.env), encoding="utf-8")
    return 0
