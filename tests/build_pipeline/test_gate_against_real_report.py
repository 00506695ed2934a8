"""The seeds warn that PropertyFile/json_path is where pipelines break: resolve every JsonGet of
the definition against an evaluation.json really written by evaluate.py."""

from __future__ import annotations

import json
from pathlib import Path


def json_gets(node):
    if isinstance(node, dict):
        if "Std:JsonGet" in node:
            yield node["Std:JsonGet"]
        for value in node.values():
            yield from json_gets(value)
    elif isinstance(node, list):
        for value in node:
            yield from json_gets(value)


def resolve(document: dict, path: str):
    node = document
    for part in path.split("."):
        node = node[part]
    return node


def test_every_json_get_resolves_to_a_number_in_a_real_report(definitions, run_script, opt_ml,
                                                               pack_model, trained_model):
    pack_model(trained_model, opt_ml / "processing" / "model" / "model.tar.gz")
    result = run_script("evaluate.py", opt_ml)
    assert result.returncode == 0, result.stderr
    report_path = opt_ml / "processing" / "evaluation" / "evaluation.json"
    report = json.loads(report_path.read_text())
    evaluate = next(s for s in definitions["dev"]["Steps"] if s["Name"] == "Evaluate")
    property_file = evaluate["PropertyFiles"][0]
    output = next(o for o in evaluate["Arguments"]["ProcessingOutputConfig"]["Outputs"]
                  if o["OutputName"] == property_file["OutputName"])
    local_file = Path(output["S3Output"]["LocalPath"]) / property_file["FilePath"]
    assert local_file == Path("/opt/ml/processing/evaluation/evaluation.json")
    paths = {get["Path"] for get in json_gets(definitions["dev"])}
    assert paths == {"binary_classification_metrics.accuracy.value", "champion_comparison.accuracy_drop"}
    for path in paths:
        assert isinstance(resolve(report, path), float), path
