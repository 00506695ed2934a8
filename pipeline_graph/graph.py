"""The pipeline definition as a graph: steps, and the edges that order or feed them.

Nodes are every step of `Steps`, including the steps nested in a Condition's IfSteps/ElseSteps.
Edges, from the definition alone (no SDK):

- `depends`: an explicit `DependsOn` entry;
- `data`: a `{"Get": "Steps.X...."}` anywhere in a step's arguments (SageMaker orders a step after
  every step whose properties it reads);
- `property`: a `Std:JsonGet` on a PropertyFile of step X (`{"Get": "Steps.X.PropertyFiles.F"}`),
  labelled with the file's name;
- `if` / `else`: from a Condition to the steps of its two branches.

A branch step's reads of earlier steps are drawn dashed (`reads`): the branch, not the read,
decides when it runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

STEP_REF = re.compile(r"^Steps\.([A-Za-z0-9_-]+)(\.|$)")
PROPERTY_FILE_REF = re.compile(r"^Steps\.([A-Za-z0-9_-]+)\.PropertyFiles\.([A-Za-z0-9_-]+)")


class GraphError(ValueError):
    """A definition this module cannot read as a DAG; the message names the step."""


@dataclass(frozen=True)
class Node:
    name: str
    type: str
    branch: tuple[str, str] | None = None  # (condition step, "if" | "else")


@dataclass
class Edge:
    source: str
    target: str
    kinds: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)

    @property
    def kind(self) -> str:
        """The one kind the pictures draw: branch, then order, then reads."""
        for kind in ("if", "else", "depends", "property", "data"):
            if kind in self.kinds:
                return kind
        return "reads"

    @property
    def label(self) -> str:
        parts = [kind for kind in ("if", "else") if kind in self.kinds]
        return ", ".join(parts + sorted(self.labels))


@dataclass
class Graph:
    nodes: dict[str, Node]
    edges: dict[tuple[str, str], Edge]

    def add_edge(self, source: str, target: str, kind: str, label: str = "") -> None:
        if source == target:
            return
        edge = self.edges.setdefault((source, target), Edge(source, target))
        edge.kinds.add(kind)
        if label:
            edge.labels.add(label)


def _references(value: Any) -> list[tuple[str, str]]:
    """(step, property file or "") for every Steps.* reference inside a JSON value."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        get = value.get("Get")
        if isinstance(get, str):
            file_match = PROPERTY_FILE_REF.match(get)
            step_match = STEP_REF.match(get)
            if file_match:
                found.append((file_match.group(1), file_match.group(2)))
            elif step_match:
                found.append((step_match.group(1), ""))
        for key, item in value.items():
            if key in ("IfSteps", "ElseSteps"):
                continue  # nested steps are nodes of their own
            found.extend(_references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_references(item))
    return found


def _walk(steps: list[dict], branch: tuple[str, str] | None, out: list[tuple[dict, Node]]) -> None:
    for step in steps:
        name, kind = step.get("Name"), step.get("Type")
        if not isinstance(name, str) or not isinstance(kind, str):
            raise GraphError(f"A step without a Name or Type: {str(step)[:120]}")
        out.append((step, Node(name, kind, branch)))
        if kind == "Condition":
            arguments = step.get("Arguments") or {}
            _walk(arguments.get("IfSteps") or [], (name, "if"), out)
            _walk(arguments.get("ElseSteps") or [], (name, "else"), out)


def build_graph(definition: dict) -> Graph:
    """The DAG of a pipeline definition (the JSON of `make definition`)."""
    steps = definition.get("Steps")
    if not isinstance(steps, list) or not steps:
        raise GraphError("The definition has no Steps: is this a pipeline definition JSON?")
    found: list[tuple[dict, Node]] = []
    _walk(steps, None, found)
    graph = Graph(nodes={}, edges={})
    for _, node in found:
        if node.name in graph.nodes:
            raise GraphError(f"Two steps are named {node.name}: step names must be unique.")
        graph.nodes[node.name] = node
    for step, node in found:
        for dependency in step.get("DependsOn") or []:
            _known(graph, dependency, node.name, "DependsOn")
            graph.add_edge(dependency, node.name, "depends")
        for source, property_file in _references(step.get("Arguments") or {}):
            _known(graph, source, node.name, "a Steps reference")
            if node.branch is not None:
                graph.add_edge(source, node.name, "reads", property_file)
            elif property_file:
                graph.add_edge(source, node.name, "property", property_file)
            else:
                graph.add_edge(source, node.name, "data")
        if node.branch is not None:
            graph.add_edge(node.branch[0], node.name, node.branch[1])
    return graph


def _known(graph: Graph, source: str, target: str, what: str) -> None:
    if source not in graph.nodes:
        raise GraphError(
            f"Step {target}: {what} names step {source!r}, which is not in the definition "
            f"(steps: {', '.join(graph.nodes)})."
        )


def layers(graph: Graph) -> list[list[str]]:
    """Longest-path layering (a step sits one layer right of its latest predecessor); steps keep
    definition order within a layer. A cycle is an error that names the steps on it."""
    incoming: dict[str, list[str]] = {name: [] for name in graph.nodes}
    for source, target in graph.edges:
        incoming[target].append(source)
    depth: dict[str, int] = {}
    visiting: list[str] = []

    def visit(name: str) -> int:
        if name in depth:
            return depth[name]
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise GraphError("The steps form a cycle: " + " -> ".join(cycle))
        visiting.append(name)
        depth[name] = 1 + max((visit(source) for source in incoming[name]), default=-1)
        visiting.pop()
        return depth[name]

    for name in graph.nodes:
        visit(name)
    result: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for name in graph.nodes:
        result[depth[name]].append(name)
    return result
