"""`make definition` fails fast on a definition SageMaker's API model refuses (definition_check),
and writes nothing where plan, deploy and the local runner would pick it up."""

from __future__ import annotations

import json

import build_pipeline.__main__ as cli


def test_an_invalid_generated_definition_is_not_written(tmp_path, monkeypatch, capsys):
    def generate_with_a_typo(*args, **kwargs):
        definition = json.loads(real_generate("dev", git_sha="0" * 40))
        definition["Steps"][0]["Arguments"]["AppSpecification"]["ImageUrl"] = "x"
        return json.dumps(definition)

    real_generate = cli.generate
    monkeypatch.setattr(cli, "generate", generate_with_a_typo)
    out = tmp_path / "pipeline-definition.json"
    assert cli.main(["--env", "dev", "--out", str(out)]) == 1
    assert not out.exists()
    assert (tmp_path / "pipeline-definition.invalid.json").exists()
    error = capsys.readouterr().err
    assert "error: step Preprocess: Arguments.AppSpecification.ImageUrl: unknown field" in error
