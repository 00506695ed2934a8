"""python -m pipeline_graph DEFINITION [--mermaid PATH] [--svg PATH] [--statuses JSON | --local-run]

Prints the Mermaid flowchart (or writes it to --mermaid); writes an SVG with --svg. Statuses
colour the steps: --statuses takes a local run's execution.json, the output of `aws sagemaker
list-pipeline-execution-steps` or {"Step": "Status"}; --local-run takes the newest local run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline_graph.graph import GraphError, build_graph
from pipeline_graph.render import pipeline_diagram, to_mermaid, to_svg
from pipeline_graph.statuses import StatusError, latest_local_run, load_statuses

REPO_ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline_graph", description=__doc__.split("\n\n")[1]
    )
    parser.add_argument("definition", type=Path, help="build/<env>/pipeline-definition.json")
    parser.add_argument("--mermaid", type=Path, help="write the Mermaid text here")
    parser.add_argument("--svg", type=Path, help="write the SVG picture here")
    parser.add_argument("--print", action="store_true", help="print the Mermaid text too")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--statuses", type=Path, help="a JSON of step statuses (see above)")
    source.add_argument("--local-run", action="store_true", help="statuses of the newest local run")
    parser.add_argument("--title", default="", help="the SVG's title (default: the file's name)")
    args = parser.parse_args(argv)
    try:
        try:
            definition = json.loads(args.definition.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise GraphError(
                f"{args.definition}: no such file. Generate it: make definition ENV=<env>."
            ) from None
        except ValueError as error:
            raise GraphError(f"{args.definition}: not JSON ({error}).") from None
        graph = build_graph(definition)
        statuses = None
        status_source = ""
        if args.local_run:
            record = latest_local_run(REPO_ROOT)
            statuses, status_source = load_statuses(record), str(record.parent.name)
        elif args.statuses:
            statuses, status_source = load_statuses(args.statuses), str(args.statuses)
    except (GraphError, StatusError) as error:
        print(f"pipeline_graph: {error}", file=sys.stderr)
        return 2
    mermaid = to_mermaid(graph, statuses)
    if args.mermaid:
        write(args.mermaid, mermaid)
        print(f"wrote {args.mermaid}", file=sys.stderr)
    if args.svg:
        title = args.title or args.definition.parent.name + " pipeline"
        if status_source:
            title += f" · run {status_source}"
        write(args.svg, to_svg(pipeline_diagram(graph, title, statuses)))
        print(f"wrote {args.svg}", file=sys.stderr)
    if args.print or not (args.mermaid or args.svg):
        sys.stdout.write(mermaid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
