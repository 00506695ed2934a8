"""pipeline_graph: the DAG read from a definition (edges from DependsOn, Steps references,
JsonGet property files and Condition branches), its Mermaid and SVG, and step statuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pipeline_graph import (
    GraphError,
    StatusError,
    build_graph,
    layers,
    load_statuses,
    pipeline_diagram,
    to_mermaid,
    to_svg,
)
from pipeline_graph.statuses import COLOURS, parse_statuses

REPO_ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def step(name, kind="Processing", depends=None, **arguments):
    found = {"Name": name, "Type": kind, "Arguments": arguments}
    if depends:
        found["DependsOn"] = depends
    return found


def small_definition():
    report = {"Get": "Steps.Check.PropertyFiles.Report"}
    return {
        "Steps": [
            step("Load"),
            step(
                "Fit", "Training", Input={"Get": "Steps.Load.ProcessingOutputConfig.Outputs['x']"}
            ),
            step("Check", depends=["Fit"]),
            step("Audit", depends=["Load"]),
            step(
                "Gate",
                "Condition",
                Conditions=[{"LeftValue": {"Std:JsonGet": {"PropertyFile": report, "Path": "a"}}}],
                IfSteps=[step("Keep", "RegisterModel", Model={"Get": "Steps.Fit.ModelArtifacts"})],
                ElseSteps=[
                    step("Drop", "Fail", ErrorMessage={"Std:JsonGet": {"PropertyFile": report}})
                ],
            ),
        ]
    }


def kinds(graph):
    return {(e.source, e.target): e.kind for e in graph.edges.values()}


def test_every_kind_of_edge_is_read_from_the_definition():
    graph = build_graph(small_definition())
    assert list(graph.nodes) == ["Load", "Fit", "Check", "Audit", "Gate", "Keep", "Drop"]
    assert kinds(graph) == {
        ("Load", "Fit"): "data",
        ("Fit", "Check"): "depends",
        ("Load", "Audit"): "depends",
        ("Check", "Gate"): "property",
        ("Gate", "Keep"): "if",
        ("Fit", "Keep"): "reads",
        ("Gate", "Drop"): "else",
        ("Check", "Drop"): "reads",
    }
    assert graph.edges[("Check", "Gate")].label == "Report"
    assert graph.nodes["Keep"].branch == ("Gate", "if")
    assert layers(graph) == [["Load"], ["Fit", "Audit"], ["Check"], ["Gate"], ["Keep", "Drop"]]


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"Steps": []}, "no Steps"),
        ({"Steps": [step("A", depends=["Nope"])]}, "DependsOn names step 'Nope'"),
        ({"Steps": [step("A", X={"Get": "Steps.Ghost.Out"})]}, "names step 'Ghost'"),
        ({"Steps": [step("A"), step("A")]}, "Two steps are named A"),
        ({"Steps": [step("A", depends=["B"]), step("B", depends=["A"])]}, "cycle: A -> B -> A"),
        ({"Steps": [{"Name": "A"}]}, "without a Name or Type"),
    ],
)
def test_a_definition_that_is_not_a_dag_is_refused_by_name(definition, message):
    with pytest.raises(GraphError, match=message):
        layers(build_graph(definition))


def test_the_real_definition(dev_definition):
    graph = build_graph(dev_definition)
    assert set(graph.nodes) == {
        "Preprocess",
        "Train",
        "Evaluate",
        "QualityGate",
        "RegisterModel",
        "RejectModel",
        "Baseline",
    }
    edges = kinds(graph)
    assert edges[("Preprocess", "Train")] == "data"
    assert edges[("Preprocess", "Baseline")] == "data"
    assert edges[("Train", "Evaluate")] == "data"
    assert edges[("Evaluate", "QualityGate")] == "property"
    assert graph.edges[("Evaluate", "QualityGate")].label == "EvaluationReport"
    assert edges[("QualityGate", "RegisterModel")] == "if"
    assert edges[("QualityGate", "RejectModel")] == "else"
    mermaid = to_mermaid(graph)
    assert mermaid.startswith("flowchart LR\n")
    assert "  Evaluate -->|EvaluationReport| QualityGate" in mermaid
    assert '  QualityGate{"QualityGate<br/><small>Condition</small>"}' in mermaid


def test_the_batch_definition(generated_definition):
    import json

    graph = build_graph(json.loads(generated_definition("dev", "batch")))
    assert set(graph.nodes) == {"Score"} and not graph.edges
    assert 'Score["Score<br/><small>Processing</small>"]' in to_mermaid(graph)


LOCAL_RUN = {
    "PipelineExecutionId": "20260101-000000-abcdef",
    "Steps": {
        "Load": {"Status": "Cached"},
        "Fit": {"Status": "Succeeded"},
        "Check": {"Status": "Failed"},
        "Gate": {"Status": "NotRun"},
    },
}


def test_statuses_from_a_local_run_from_sagemaker_or_a_plain_mapping(tmp_path):
    expected = {"Load": "Cached", "Fit": "Succeeded", "Check": "Failed", "Gate": "NotRun"}
    assert parse_statuses(LOCAL_RUN) == expected
    listed = {
        "PipelineExecutionSteps": [{"StepName": k, "StepStatus": v} for k, v in expected.items()]
    }
    assert parse_statuses(listed) == expected
    assert parse_statuses(expected) == expected
    with pytest.raises(StatusError, match=r"expected a local run's execution\.json"):
        parse_statuses([1, 2])
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(StatusError, match="not JSON"):
        load_statuses(tmp_path / "bad.json")
    with pytest.raises(StatusError, match="no such file"):
        load_statuses(tmp_path / "missing.json")


def test_statuses_colour_the_mermaid_and_the_svg():
    graph = build_graph(small_definition())
    statuses = parse_statuses(LOCAL_RUN)
    mermaid = to_mermaid(graph, statuses)
    assert "  class Check statusFailed" in mermaid
    assert f"classDef statusFailed fill:{COLOURS['Failed'][0]}" in mermaid
    assert '  Fit["Fit<br/><small>Training</small><br/><b>Succeeded</b>"]' in mermaid
    svg = ET.fromstring(to_svg(pipeline_diagram(graph, "t", statuses)))  # noqa: S314 (our own SVG)
    fills, shape = {}, None
    for element in svg:
        if element.get("stroke-width") == "1.6":
            shape = element
        elif element.tag == SVG + "text" and element.get("font-weight") and shape is not None:
            fills[element.text], shape = shape.get("fill"), None
    assert fills["Check"] == COLOURS["Failed"][0]
    assert fills["Load"] == COLOURS["Cached"][0]
    assert fills["Keep"] == "#ffffff"  # no status: not run yet or not in the record
    legend = [t.text for t in svg.iter(SVG + "text")]
    assert {"Succeeded", "Cached", "Failed", "NotRun"} <= set(legend)


def boxes(svg_text):
    svg = ET.fromstring(svg_text)  # noqa: S314 (our own SVG)
    found = []
    for element in svg.iter():
        if element.tag == SVG + "rect" and element.get("stroke-width") == "1.6":
            x, y = float(element.get("x")), float(element.get("y"))
            found.append((x, y, x + float(element.get("width")), y + float(element.get("height"))))
        if element.tag == SVG + "polygon":
            points = [tuple(map(float, p.split(","))) for p in element.get("points").split()]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            found.append((min(xs), min(ys), max(xs), max(ys)))
    return found, float(svg.get("width")), float(svg.get("height"))


def test_svg_is_deterministic_with_every_node_inside_and_none_overlapping(dev_definition):
    graph = build_graph(dev_definition)
    first = to_svg(pipeline_diagram(graph, "dev"))
    assert first == to_svg(pipeline_diagram(build_graph(dev_definition), "dev"))
    found, width, height = boxes(first)
    assert len(found) == len(graph.nodes)
    for index, (x1, y1, x2, y2) in enumerate(found):
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
        for ox1, oy1, ox2, oy2 in found[index + 1 :]:
            assert x2 <= ox1 or ox2 <= x1 or y2 <= oy1 or oy2 <= y1, "two nodes overlap"


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "pipeline_graph", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
    )


def test_cli_writes_mermaid_and_svg_and_colours_by_the_newest_local_run(tmp_path):
    definition = tmp_path / "pipeline-definition.json"
    definition.write_text(json.dumps(small_definition()))
    home = tmp_path / "local"
    for run_id, status in (
        ("20260101-000000-aaaaaa", "Succeeded"),
        ("20260102-000000-bbbbbb", "Failed"),
    ):
        (home / "runs" / run_id).mkdir(parents=True)
        record = {"Steps": {"Check": {"Status": status}}}
        (home / "runs" / run_id / "execution.json").write_text(json.dumps(record))
    result = run_cli(
        definition,
        "--local-run",
        "--svg",
        tmp_path / "d.svg",
        "--mermaid",
        tmp_path / "d.mmd",
        "--print",
        env={"LOCAL_RUNNER_HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr
    assert "class Check statusFailed" in result.stdout  # the newer run
    assert (tmp_path / "d.mmd").read_text() == result.stdout
    assert "run 20260102-000000-bbbbbb" in (tmp_path / "d.svg").read_text()

    empty = run_cli(definition, "--local-run", env={"LOCAL_RUNNER_HOME": str(tmp_path / "none")})
    assert empty.returncode == 2 and "make run ENV=local" in empty.stderr
    missing = run_cli(tmp_path / "nope.json")
    assert missing.returncode == 2 and "make definition ENV=<env>" in missing.stderr


@pytest.mark.parametrize(
    ("status", "expected"),
    [("1", "--local-run"), ("build/x.json", "--statuses build/x.json"), ("", "")],
)
def test_make_dag_passes_status_on(status, expected):
    result = subprocess.run(
        # for real with PY=echo: STATUS reaches the CLI as the shell's "$STATUS", not recipe text
        ["make", "--no-print-directory", "dag", "ENV=local", f"STATUS={status}", "PY=echo"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    line = next(text for text in result.stdout.splitlines() if "-m pipeline_graph" in text)
    assert line.rstrip().endswith(f"--svg build/local/pipeline-dag.svg {expected}".rstrip())


def test_a_stubbed_step_has_a_colour_of_its_own_in_the_picture():
    graph = build_graph(small_definition())
    statuses = {"Load": "Succeeded", "Fit": "Stubbed"}
    mermaid = to_mermaid(graph, statuses)
    assert "  class Fit statusStubbed" in mermaid
    assert f"classDef statusStubbed fill:{COLOURS['Stubbed'][0]}" in mermaid
    assert COLOURS["Stubbed"] not in (COLOURS["Succeeded"], COLOURS["NotRun"])
