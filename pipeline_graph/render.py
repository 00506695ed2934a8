"""Mermaid text and SVG pictures, in pure Python (no graphviz, no browser) and deterministic:
the same graph gives the same bytes, so the pictures in docs/images/ can be checked for drift.

The SVG side is a small layered layout (left to right): columns from the longest path, rows
ordered by the mean row of each node's predecessors, straight-ish cubic edges with labels.
It draws any `Diagram`; `pipeline_diagram` turns a pipeline graph into one, and docs/images'
architecture pictures are `Diagram`s written in pipeline_graph/architecture.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from pipeline_graph.graph import Graph, layers
from pipeline_graph.statuses import COLOURS, DEFAULT_COLOURS

FONT = "Helvetica, Arial, sans-serif"
TITLE_SIZE, SUB_SIZE = 13, 11
CHAR_WIDTH = {TITLE_SIZE: 7.4, SUB_SIZE: 6.2}  # mean glyph width of the font, in px
COLUMN_GAP, ROW_GAP, MARGIN, LANE_GAP = 64, 26, 20, 16
SHAPE_OF_TYPE = {"Condition": "diamond", "Fail": "stop", "RegisterModel": "store"}


@dataclass
class DNode:
    id: str
    title: str
    subtitle: str = ""
    shape: str = "box"  # box | diamond | stop | store
    fill: str = DEFAULT_COLOURS[0]
    stroke: str = DEFAULT_COLOURS[1]


@dataclass
class DEdge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass
class Diagram:
    title: str
    nodes: list[DNode]
    edges: list[DEdge]
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # (text, fill, stroke)


# ----------------------------------------------------------------------------------------------
# Pipeline graph -> Mermaid / Diagram
# ----------------------------------------------------------------------------------------------
def _status_class(status: str) -> str:
    return "status" + "".join(ch for ch in status if ch.isalnum())


def to_mermaid(graph: Graph, statuses: dict[str, str] | None = None) -> str:
    """A `flowchart LR` for PR comments and job summaries (GitHub renders ```mermaid blocks)."""
    statuses = statuses or {}
    lines = ["flowchart LR"]
    for node in graph.nodes.values():
        text = f"{node.name}<br/><small>{node.type}</small>"
        if node.name in statuses:
            text += f"<br/><b>{statuses[node.name]}</b>"
        shape = SHAPE_OF_TYPE.get(node.type, "box")
        open_, close = {"diamond": ("{", "}"), "stop": ("[[", "]]"), "store": ("[(", ")]")}.get(
            shape, ("[", "]")
        )
        lines.append(f'  {node.name}{open_}"{text}"{close}')
    for edge in graph.edges.values():
        arrow = "-.->" if edge.kind == "reads" else "-->"
        label = f"|{edge.label}|" if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    used = sorted({statuses[name] for name in graph.nodes if name in statuses})
    for status in used:
        fill, stroke = COLOURS.get(status, DEFAULT_COLOURS)
        lines.append(
            f"  classDef {_status_class(status)} fill:{fill},stroke:{stroke},color:#202124"
        )
        members = ",".join(name for name in graph.nodes if statuses.get(name) == status)
        lines.append(f"  class {members} {_status_class(status)}")
    return "\n".join(lines) + "\n"


def pipeline_diagram(graph: Graph, title: str, statuses: dict[str, str] | None = None) -> Diagram:
    statuses = statuses or {}
    nodes = []
    for node in graph.nodes.values():
        status = statuses.get(node.name)
        fill, stroke = COLOURS.get(status, DEFAULT_COLOURS) if status else DEFAULT_COLOURS
        subtitle = node.type + (f" · {status}" if status else "")
        nodes.append(
            DNode(node.name, node.name, subtitle, SHAPE_OF_TYPE.get(node.type, "box"), fill, stroke)
        )
    edges = [
        DEdge(edge.source, edge.target, edge.label, edge.kind == "reads")
        for edge in graph.edges.values()
    ]
    legend = [(status, *COLOURS.get(status, DEFAULT_COLOURS)) for status in _ordered(statuses)]
    return Diagram(title, nodes, edges, legend)


def _ordered(statuses: dict[str, str]) -> list[str]:
    seen = dict.fromkeys(statuses.values())
    known = [status for status in COLOURS if status in seen]
    return known + sorted(status for status in seen if status not in COLOURS)


# ----------------------------------------------------------------------------------------------
# Diagram -> SVG
# ----------------------------------------------------------------------------------------------
def _text_width(text: str, size: int) -> float:
    return len(text) * CHAR_WIDTH[size]


def _size(node: DNode) -> tuple[float, float]:
    width = max(_text_width(node.title, TITLE_SIZE), _text_width(node.subtitle, SUB_SIZE)) + 28
    height = 46 if node.subtitle else 34
    if node.shape == "diamond":
        return width * 1.25 + 10, height * 1.45
    return max(width, 90), height


def _order(columns: list[list[str]], edges: list[DEdge]) -> list[list[str]]:
    """Two barycenter sweeps: each node moves towards the mean row of its predecessors."""
    row = {name: index for column in columns for index, name in enumerate(column)}
    predecessors: dict[str, list[str]] = {}
    for edge in edges:
        predecessors.setdefault(edge.target, []).append(edge.source)
    for _ in range(2):
        for column in columns[1:]:
            keyed = []
            for index, name in enumerate(column):
                sources = [row[source] for source in predecessors.get(name, []) if source in row]
                keyed.append((sum(sources) / len(sources) if sources else index, index, name))
            column[:] = [name for *_, name in sorted(keyed)]
            row.update({name: index for index, name in enumerate(column)})
    return columns


def _node_svg(node: DNode, x: float, y: float, width: float, height: float) -> list[str]:
    attrs = f'fill="{node.fill}" stroke="{node.stroke}" stroke-width="1.6"'
    if node.shape == "diamond":
        cx, cy = x + width / 2, y + height / 2
        points = (
            f"{cx:.1f},{y:.1f} {x + width:.1f},{cy:.1f} {cx:.1f},{y + height:.1f} {x:.1f},{cy:.1f}"
        )
        parts = [f'<polygon points="{points}" {attrs}/>']
    elif node.shape == "store":
        parts = [
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" rx="14" {attrs}/>',
            f'<line x1="{x + 8:.1f}" y1="{y + 7:.1f}" x2="{x + width - 8:.1f}" y2="{y + 7:.1f}" '
            f'stroke="{node.stroke}" stroke-width="1"/>',
        ]
    else:
        dash = ' stroke-dasharray="5,3"' if node.shape == "stop" else ""
        parts = [
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" rx="6" '
            f"{attrs}{dash}/>"
        ]
    cx = x + width / 2
    if node.subtitle:
        parts.append(_text(cx, y + height / 2 - 3, node.title, TITLE_SIZE, bold=True))
        parts.append(_text(cx, y + height / 2 + 13, node.subtitle, SUB_SIZE, colour="#5f6368"))
    else:
        parts.append(_text(cx, y + height / 2 + 4.5, node.title, TITLE_SIZE, bold=True))
    return parts


def _text(
    x: float,
    y: float,
    text: str,
    size: int,
    bold: bool = False,
    colour: str = "#202124",
    anchor: str = "middle",
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{colour}"{weight}>{escape(text)}</text>'
    )


def _lane_path(x1: float, y1: float, x2: float, y2: float, lane: float) -> str:
    """From the source to a lane above (or below) every node, along it, then onto the target."""
    r = 8 if lane < y1 else -8
    return (
        f"M {x1:.1f} {y1:.1f} L {x1:.1f} {lane + r:.1f} Q {x1:.1f} {lane:.1f} {x1 + abs(r):.1f} "
        f"{lane:.1f} L {x2 - abs(r):.1f} {lane:.1f} Q {x2:.1f} {lane:.1f} {x2:.1f} {lane + r:.1f} "
        f"L {x2:.1f} {y2:.1f}"
    )


def to_svg(diagram: Diagram) -> str:
    """Edges between neighbouring columns are curves; longer ones take a lane above the nodes,
    so no edge crosses a node."""
    by_id = {node.id: node for node in diagram.nodes}
    graph_like = Graph(nodes={n.id: n for n in diagram.nodes}, edges={})  # type: ignore[arg-type]
    for edge in diagram.edges:
        graph_like.add_edge(edge.source, edge.target, "data")
    columns = _order(layers(graph_like), diagram.edges)
    column_of = {name: index for index, column in enumerate(columns) for name in column}
    long_edges = sorted(
        (e for e in diagram.edges if column_of[e.target] - column_of[e.source] > 1),
        key=lambda e: (column_of[e.target] - column_of[e.source], column_of[e.source]),
    )
    row_of = {name: index for column in columns for index, name in enumerate(column)}

    def last(name: str) -> bool:
        return row_of[name] == len(columns[column_of[name]]) - 1

    def below(edge: DEdge) -> bool:
        """Above the nodes when both ends are top of their columns, else below when both are
        bottom, so that the lane's vertical parts cross no other node."""
        on_top = row_of[edge.source] == 0 and row_of[edge.target] == 0
        return not on_top and last(edge.source) and last(edge.target)

    lanes: dict[int, int] = {}
    for side in (False, True):
        for edge in (e for e in long_edges if below(e) == side):
            lanes[id(edge)] = sum(1 for e in long_edges if id(e) in lanes and below(e) == side)
    above_count = sum(1 for e in long_edges if not below(e))
    below_count = len(long_edges) - above_count
    sizes = {node.id: _size(node) for node in diagram.nodes}
    widths = [max(sizes[name][0] for name in column) for column in columns]
    heights = [
        sum(sizes[name][1] for name in column) + ROW_GAP * (len(column) - 1) for column in columns
    ]
    top = MARGIN + 24 + (LANE_GAP * (above_count + 1) if above_count else 0)
    bottom = top + max(heights)
    canvas_height = (
        bottom
        + (LANE_GAP * (below_count + 1) if below_count else 0)
        + MARGIN
        + (30 if diagram.legend else 0)
    )
    # A column gap is wide enough for the labels of the edges that cross it.
    gaps = [COLUMN_GAP] * len(columns)
    for edge in diagram.edges:
        if edge.label and column_of[edge.target] - column_of[edge.source] == 1:
            index = column_of[edge.source]
            gaps[index] = max(gaps[index], _text_width(edge.label, SUB_SIZE) + 36)
    box: dict[str, tuple[float, float, float, float]] = {}
    x = MARGIN
    for column, width, height, gap in zip(columns, widths, heights, gaps, strict=True):
        y = top + (max(heights) - height) / 2
        for name in column:
            w, h = sizes[name]
            box[name] = (x + (width - w) / 2, y, w, h)
            y += h + ROW_GAP
        x += width + gap
    canvas_width = max(x - gaps[-1] + MARGIN, _text_width(diagram.title, TITLE_SIZE) + 2 * MARGIN)
    # Where long edges leave and reach a node's top: spread over the middle of the node.
    ports: dict[tuple[str, bool], list[int]] = {}
    for edge in long_edges:
        ports.setdefault((edge.source, below(edge)), []).append(id(edge))
        ports.setdefault((edge.target, below(edge)), []).append(id(edge))

    def port_x(name: str, side: bool, edge_id: int) -> float:
        bx, _, bw, _ = box[name]
        slots = ports[(name, side)]
        return bx + bw * (slots.index(edge_id) + 1) / (len(slots) + 1)

    def port_y(name: str, side: bool) -> float:
        node, (_, by, _, bh) = by_id[name], box[name]
        half = bh / 2 * (0.55 if node.shape == "diamond" else 1)  # a diamond's port: its edges
        return by + bh / 2 + (half if side else -half)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{canvas_width:.0f}" '
        f'height="{canvas_height:.0f}" viewBox="0 0 {canvas_width:.0f} {canvas_height:.0f}" '
        f'font-family="{FONT}">',
        f"<title>{escape(diagram.title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#5f6368"/></marker></defs>',
        f'<rect width="{canvas_width:.0f}" height="{canvas_height:.0f}" fill="#ffffff"/>',
        _text(MARGIN, MARGIN + 8, diagram.title, TITLE_SIZE, bold=True, anchor="start"),
    ]
    labels = []
    for edge in diagram.edges:
        sx, sy, sw, sh = box[edge.source]
        tx, ty, _, th = box[edge.target]
        if id(edge) in lanes:
            side = below(edge)
            offset = LANE_GAP * (lanes[id(edge)] + 1)
            lane = bottom + offset if side else top - offset
            x1, x2 = port_x(edge.source, side, id(edge)), port_x(edge.target, side, id(edge))
            path = _lane_path(x1, port_y(edge.source, side), x2, port_y(edge.target, side), lane)
            mx, my = (x1 + x2) / 2, lane
        else:
            x1, y1, x2, y2 = sx + sw, sy + sh / 2, tx, ty + th / 2
            bend = max((x2 - x1) / 2, 20)
            path = (
                f"M {x1:.1f} {y1:.1f} C {x1 + bend:.1f} {y1:.1f}, {x2 - bend:.1f} {y2:.1f}, "
                f"{x2:.1f} {y2:.1f}"
            )
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dash = ' stroke-dasharray="4,4"' if edge.dashed else ""
        out.append(
            f'<path d="{path}" fill="none" stroke="#5f6368" stroke-width="1.3"{dash} '
            'marker-end="url(#arrow)"/>'
        )
        if edge.label:
            width = _text_width(edge.label, SUB_SIZE) + 8
            labels.append(
                f'<rect x="{mx - width / 2:.1f}" y="{my - 8:.1f}" width="{width:.1f}" height="15" '
                'rx="3" fill="#ffffff" fill-opacity="0.9"/>'
            )
            labels.append(_text(mx, my + 3.5, edge.label, SUB_SIZE, colour="#3c4043"))
    for node in diagram.nodes:
        out.extend(_node_svg(by_id[node.id], *box[node.id]))
    out.extend(labels)
    x = MARGIN
    for text, fill, stroke in diagram.legend:
        y = canvas_height - MARGIN - 4
        out.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="14" height="14" rx="3" fill="{fill}" '
            f'stroke="{stroke}"/>'
        )
        out.append(_text(x + 20, y + 1, text, SUB_SIZE, anchor="start"))
        x += 34 + _text_width(text, SUB_SIZE)
    out.append("</svg>")
    return "\n".join(out) + "\n"
