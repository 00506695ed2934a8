"""Pictures of the pipeline: the DAG of a pipeline definition JSON as Mermaid (PR comments, job
summaries) and as SVG (docs), optionally coloured with each step's status. `python -m
pipeline_graph --help`; `make dag ENV=<env>` and `make docs-images` call it."""

from pipeline_graph.graph import Graph, GraphError, build_graph, layers
from pipeline_graph.render import pipeline_diagram, to_mermaid, to_svg
from pipeline_graph.statuses import StatusError, latest_local_run, load_statuses

__all__ = [
    "Graph",
    "GraphError",
    "StatusError",
    "build_graph",
    "latest_local_run",
    "layers",
    "load_statuses",
    "pipeline_diagram",
    "to_mermaid",
    "to_svg",
]
