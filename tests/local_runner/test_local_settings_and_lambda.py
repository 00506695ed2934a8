"""environments/local.yaml's local_runner section, and Lambda handlers from the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_runner import lambda_step
from local_runner.expressions import ExpressionError
from local_runner.settings import SettingsError, StepSettings

HANDLER = "tests/local_runner/fixtures/lambdas/notify.py:handler"


def test_the_section_is_optional_and_read_as_declared():
    assert StepSettings.from_mapping(None) == StepSettings()
    settings = StepSettings.from_mapping(
        {"lambdas": {"notify": HANDLER}, "stubs": {"Wait": {"OutputParameters": {"ok": True}}}}
    )
    assert settings.lambdas == {"notify": HANDLER}
    assert settings.stubs == {"Wait": {"OutputParameters": {"ok": True}}}
    # the jobs' image table lives in the same section (read by local_runner.jobs)
    assert StepSettings.from_mapping({"runtimes": {}}) == StepSettings()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"lambda": {}},
            r"local_runner\.lambda is not a setting .* \(known: lambdas, stubs, runtimes\)",
        ),
        ({"lambdas": {"f": "handler.py"}}, r"lambdas maps a function name or ARN to 'path/to/file"),
        ({"stubs": {"Wait": "yes"}}, r"stubs maps a step name to the properties it yields"),
        (["x"], r"local_runner must be a mapping"),
    ],
)
def test_a_wrong_section_is_one_clear_error(raw, message):
    with pytest.raises(SettingsError, match=message):
        StepSettings.from_mapping(raw, "environments/local.yaml")


def test_the_local_environment_file_loads():
    from env_config import load

    assert isinstance(StepSettings.from_config(load("local")), StepSettings)


def test_a_function_is_found_by_name_or_arn():
    lambdas = {"notify": HANDLER}
    arn = "arn:aws:lambda:us-east-1:123456789012:function:notify:live"
    assert lambda_step.handler_for(arn, lambdas) == HANDLER
    assert lambda_step.handler_for("notify", lambdas) == HANDLER
    assert lambda_step.handler_for("other", lambdas) is None


def test_the_handler_gets_the_event_and_a_clean_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret")
    handler = tmp_path / "h.py"
    handler.write_text(
        "import os\n"
        "def handler(event, context):\n"
        "    leaked = sorted(k for k in os.environ if k.startswith('AWS_'))\n"
        "    return {'leaked': ','.join(leaked), 'twice': event['n'] * 2}\n"
    )
    monkeypatch.setattr(lambda_step, "REPO_ROOT", tmp_path)
    properties = lambda_step.invoke(
        "h.py:handler",
        {"n": 21},
        [{"OutputName": "leaked"}, {"OutputName": "twice", "OutputType": "Integer"}],
        tmp_path / "run",
    )
    assert properties["OutputParameters"] == [
        {"Name": "leaked", "Value": ""},
        {"Name": "twice", "Value": 42},
    ]


def test_a_failing_handler_or_a_missing_output_is_named(tmp_path, monkeypatch):
    (tmp_path / "bad.py").write_text("def handler(event, context):\n    raise KeyError('id')\n")
    (tmp_path / "few.py").write_text("def handler(event, context):\n    return {'a': 1}\n")
    monkeypatch.setattr(lambda_step, "REPO_ROOT", tmp_path)
    with pytest.raises(
        lambda_step.LambdaFailed, match=r"handler bad\.py:handler failed .*KeyError"
    ):
        lambda_step.invoke("bad.py:handler", {}, [], tmp_path / "run")
    with pytest.raises(ExpressionError, match=r"returned no 'b' \(returned: \['a'\]\)"):
        lambda_step.invoke("few.py:handler", {}, [{"OutputName": "b"}], tmp_path / "run")


def test_a_handler_problem_is_found_before_running(tmp_path):
    assert "does not exist" in lambda_step.handler_problem("nope/missing.py:handler")
    assert lambda_step.handler_problem(HANDLER) is None
    assert "not a function name" in lambda_step.handler_problem(
        str(Path("tests/local_runner/fixtures/lambdas/notify.py")) + ":1x"
    )
