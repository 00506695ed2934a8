"""`python -m local_runner run --definition FILE` on a definition the template did not write: a
v2-style one checked in as JSON (fixtures/v2_pipeline.json: the shapes SDK v2 wrote, including
RegisterModel, a PropertyFile condition, script-mode style inference environment, a batch
transform with filters). Its code is staged with `stage`; nothing of the template is needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sdk_pipelines as sdk

from definition_check import validate
from local_runner import cli, endpoint, lifecycle, objectstore, paths, smoke
from local_runner.registry import Registry

V2 = Path(__file__).parent / "fixtures" / "v2_pipeline.json"


@pytest.fixture
def raw(home: Path) -> Path:
    objectstore.put_bytes(sdk.RAW_URI + "rows.csv", sdk.raw_rows().encode())
    return home


def test_the_checked_in_v2_definition_is_one_sagemaker_accepts():
    """botocore's model of SageMaker (definition_check) stands behind the fixture: the runner
    is tested on a definition AWS would take."""
    definition = json.loads(V2.read_text(encoding="utf-8"))
    assert [str(problem) for problem in validate(definition)] == []


def test_missing_code_is_refused_up_front_naming_the_step_and_the_fix(raw, capsys):
    assert cli.main(["run", "--definition", str(V2)]) == 2
    error = capsys.readouterr().err
    assert "step PrepareData: code location s3://any-bucket/code/ is not in the local object " in (
        error
    )
    assert "python -m local_runner stage <file or folder> s3://any-bucket/code/" in error
    assert not (paths.runs_dir()).exists()  # nothing ran


def test_a_v2_definition_runs_end_to_end_and_its_model_serves(raw, capsys):
    assert cli.main(["stage", str(sdk.CODE), sdk.CODE_URI]) == 0
    assert (
        cli.main(["run", "--definition", str(V2), "--params", "ModelApprovalStatus=Approved"]) == 0
    )
    output = capsys.readouterr().out
    execution = json.loads(
        next(paths.runs_dir().glob("*/execution.json")).read_text(encoding="utf-8")
    )
    assert execution["PipelineName"] == "v2-pipeline"
    assert {name: step["Status"] for name, step in execution["Steps"].items()} == {
        "PrepareData": "Succeeded",
        "TrainModel": "Succeeded",
        "CheckData": "Succeeded",
        "CreateModel": "Succeeded",
        "BatchScore": "Succeeded",
        "RegisterModel-RegisterModel": "Succeeded",
        "DataTooSkewed": "NotRun",
    }
    assert "Registered v2-group version 1: Approved" in output
    # another group's champion never lands where the template's Evaluate reads its champion
    template_champion = lifecycle.Local.load().champion_uri
    assert not objectstore.exists(template_champion + "model.tar.gz")
    scored = execution["Steps"]["BatchScore"]["Properties"]["TransformOutput"]["S3OutputPath"]
    lines = objectstore.read_bytes(scored + "/test.csv.out").decode().splitlines()
    assert len(lines) == 20
    assert all(line.count(",") == 1 for line in lines)  # OutputFilter $[0,2]: label, prediction
    assert all(line.split(",")[0] == line.split(",")[1] for line in lines)  # a perfect model

    assert cli.main(["models"]) == 0
    models = capsys.readouterr().out
    assert "Model package group v2-group: 1 version(s), champion: 1" in models
    assert "rows=40.0000" in models and "positive_share=0.5000" in models


def test_the_champion_of_another_definition_is_served_and_smoke_tested(raw, capsys):
    assert cli.main(["stage", str(sdk.CODE), sdk.CODE_URI]) == 0
    assert (
        cli.main(["run", "--definition", str(V2), "--params", "ModelApprovalStatus=Approved"]) == 0
    )
    record = Registry().get("v2-group", 1)
    port = endpoint.free_port()
    try:
        backend = endpoint.deploy(record, port, lambda line: None)
        assert backend["marker"] == "local_runner.handler_server"  # its own inference.py
        status, payload, _ = endpoint.request(port, "POST", "/invocations", b"0.9\n0.1\n")
        assert (status, payload) == (200, b"1\n0\n")
        # the smoke test's rows: the package's TestDataUri, headerless, label first
        rows = smoke.read_rows(smoke.test_uri(record), 5)
        assert rows.labels is None and len(rows.rows) == 5 and len(rows.rows[0]) == 1
        lines: list[str] = []
        result = smoke.smoke_test(port, rows, None, lines.append)
        assert result["rows"] == 5 and "Smoke test passed: 5 test rows -> 5 predictions" in lines[0]
    finally:
        endpoint.undeploy(lambda line: None)


def test_a_package_without_a_test_split_skips_the_smoke_test_saying_why(home):
    record = {"ModelPackageVersion": 4, "CustomerMetadataProperties": {}, "Lineage": {}}
    with pytest.raises(smoke.Skipped, match="version 4 names no test split"):
        smoke.test_uri(record)


def test_a_test_split_with_a_foreign_header_is_skipped_saying_why(home):
    objectstore.put_bytes("s3://b/test/t.csv", b"colour,size\nred,1\n")
    with pytest.raises(smoke.Skipped, match="has a header \\(colour, size"):
        smoke.read_rows("s3://b/test/", 5)


def test_what_sagemakers_api_model_refuses_stops_the_run_up_front(raw, capsys, tmp_path):
    """run checks the definition with the real definition_check (botocore's model of SageMaker:
    AlgorithmSpecification.TrainingInputMode is required) before it stages or runs anything.
    The runner alone would take File mode and run it: only the API model stops it here."""
    definition = json.loads(V2.read_text(encoding="utf-8"))
    train = next(step for step in definition["Steps"] if step["Name"] == "TrainModel")
    del train["Arguments"]["AlgorithmSpecification"]["TrainingInputMode"]
    invalid = tmp_path / "v2_without_input_mode.json"  # deliberately invalid
    invalid.write_text(json.dumps(definition), encoding="utf-8")
    assert cli.main(["run", "--definition", str(invalid)]) == 2
    error = capsys.readouterr().err
    assert f"{invalid} is not a definition SageMaker accepts (nothing has run):" in error
    assert (
        "step TrainModel: Arguments.AlgorithmSpecification.TrainingInputMode: required by "
        "AlgorithmSpecification but missing"
    ) in error
    assert "Traceback" not in error
    # refused before the code check (the code is not staged, yet that is not what it says),
    # nothing staged, nothing run
    assert "is not in the local object store" not in error
    assert objectstore.list_objects(sdk.CODE_URI) == []
    assert not paths.runs_dir().exists()


def test_another_groups_versions_are_approved_with_group(raw, capsys):
    assert cli.main(["stage", str(sdk.CODE), sdk.CODE_URI]) == 0
    assert cli.main(["run", "--definition", str(V2)]) == 0
    assert "approve it: make approve ENV=local VERSION=1 GROUP=v2-group" in capsys.readouterr().out
    assert cli.main(["approve", "1", "--group", "v2-group"]) == 0
    assert Registry().champion("v2-group")["version"] == 1
    assert cli.main(["rollback", "--group", "v2-group"]) == 0
    assert Registry().get("v2-group", 1)["ModelApprovalStatus"] == "Rejected"
    template_champion = lifecycle.Local.load().champion_uri
    assert not objectstore.exists(template_champion + "model.tar.gz")
