"""The PR comment carries each environment's pipeline as a collapsed Mermaid picture."""

from __future__ import annotations

import json

from ci import dag_markdown, pr_comment


def test_the_picture_names_every_step_and_the_gate_branches(generated_definition):
    definition = json.loads(generated_definition("dev"))
    text = dag_markdown.dag_markdown(definition, "dev")
    assert text.startswith("<details><summary>Pipeline DAG (dev)</summary>")
    assert "```mermaid\nflowchart" in text
    for step in ("Preprocess", "Train", "Evaluate", "QualityGate", "RegisterModel", "RejectModel"):
        assert step in text


def test_the_comment_includes_the_picture_when_the_job_wrote_one(tmp_path):
    (tmp_path / "dev-dag.md").write_text("<details>PICTURE</details>\n")
    text = pr_comment.render({"lint": {"result": "success"}}, tmp_path, {})
    assert "<details>PICTURE</details>" in text
    assert text.count("PICTURE") == 1


def test_a_missing_definition_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(dag_markdown, "REPO_ROOT", tmp_path)
    assert dag_markdown.main(["--env", "dev", "--out", str(tmp_path / "x.md")]) == 2
    assert "make definition ENV=dev" in capsys.readouterr().err
