"""python -m pipeline_graph.docs_images --definition build/dev/pipeline-definition.json [--out DIR]

Writes docs/images/: the architecture pictures (pipeline_graph/architecture.py) and pipeline.svg,
the DAG of the given definition. `make docs-images` runs it; tests/docs checks that the committed
files are what it writes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline_graph.architecture import DIAGRAMS
from pipeline_graph.graph import build_graph
from pipeline_graph.render import pipeline_diagram, to_svg

REPO_ROOT = Path(__file__).resolve().parent.parent
PIPELINE_TITLE = "The pipeline (make dag ENV=<env>)"


def architecture_images() -> dict[str, str]:
    return {f"{name}.svg": to_svg(build()) for name, build in DIAGRAMS.items()}


def pipeline_image(definition: dict) -> str:
    return to_svg(pipeline_diagram(build_graph(definition), PIPELINE_TITLE))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--definition", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    images = architecture_images()
    images["pipeline.svg"] = pipeline_image(json.loads(args.definition.read_text("utf-8")))
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in images.items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
