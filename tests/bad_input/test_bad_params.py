"""Bad PARAMS: `python -m local_runner run --params ...` on the real generated local definition
exits 2 with one line naming the parameter and the allowed form (its Type and EnumValues from the
definition, its range from environments/schema.json) before anything runs: no run folder, no
object written, nothing registered."""

from __future__ import annotations

import pytest
from matrix_helpers import assert_refused, tree_digest

from local_runner import cli


@pytest.fixture(scope="module")
def definition(tmp_path_factory, generated_definition):
    path = tmp_path_factory.mktemp("definition") / "pipeline-definition.json"
    path.write_text(generated_definition("local"), encoding="utf-8")
    return path


ROWS = {
    # class: (PARAMS text, first-line fragment)
    "unbalanced-quote": ("MaxIter='50", 'PARAMS="MaxIter=\'50": No closing quotation'),
    "no-equals-sign": ("MaxIter 50", "PARAMS item 'MaxIter' is not Name=Value"),
    "empty-name": ("=50", "PARAMS item '=50' is not Name=Value"),
    "name-given-twice": ("MaxIter=5 MaxIter=6", "PARAMS gives MaxIter twice"),
    "unknown-name-typo": ("MaxIters=50", "unknown parameter MaxIters; did you mean MaxIter?"),
    "unknown-name-lowercase": (
        "accuracythreshold=0.9",
        "unknown parameter accuracythreshold; did you mean AccuracyThreshold?",
    ),
    "threshold-above-one": (
        "AccuracyThreshold=2",
        "PARAMS AccuracyThreshold=2: is above the maximum 1",
    ),
    "threshold-zero": ("AccuracyThreshold=0", "PARAMS AccuracyThreshold=0: must be greater than 0"),
    "threshold-nan": ("AccuracyThreshold=nan", "PARAMS AccuracyThreshold=nan: not a finite number"),
    "threshold-infinite": (
        "AccuracyThreshold=1e999",
        "PARAMS AccuracyThreshold=1e999: not a finite number",
    ),
    "threshold-text": (
        "AccuracyThreshold=high",
        "PARAMS AccuracyThreshold=high: not a finite number",
    ),
    "margin-one": ("ChampionMargin=1", "PARAMS ChampionMargin=1: must be less than 1"),
    "integer-as-text": ("MaxIter=many", "PARAMS MaxIter=many: not a whole number"),
    "integer-as-fraction": ("MaxIter=2.5", "PARAMS MaxIter=2.5: not a whole number"),
    "integer-zero": ("MaxIter=0", "PARAMS MaxIter=0: is below the minimum 1"),
    "learning-rate-zero": ("LearningRate=0", "PARAMS LearningRate=0: must be greater than 0"),
    "approval-status-unknown": (
        "ModelApprovalStatus=Yes",
        "PARAMS ModelApprovalStatus=Yes: is not one of Approved, PendingManualApproval, Rejected",
    ),
    "instance-type-wrong": (
        "TrainingInstanceType=m5.large",
        "PARAMS TrainingInstanceType=m5.large: has the wrong form",
    ),
    "instance-count-zero": (
        "ProcessingInstanceCount=0",
        "PARAMS ProcessingInstanceCount=0: is below the minimum 1",
    ),
    "input-uri-not-s3": (
        "InputDataUri=/tmp/data",
        "PARAMS InputDataUri=/tmp/data: has the wrong form",
    ),
    "shell-text": ("MaxIter=$(reboot)", "PARAMS MaxIter=$(reboot): not a whole number"),
}


@pytest.mark.parametrize("case", sorted(ROWS))
def test_bad_params_are_refused_before_anything_runs(case, definition, home, capsys):
    text, fragment = ROWS[case]
    before = tree_digest(home)
    code = cli.main(["run", "--params", text, "--definition", str(definition)])
    captured = capsys.readouterr()
    line = assert_refused(code, 2, captured.err, fragment)
    assert line.startswith("error: "), line
    assert tree_digest(home) == before, "nothing ran, nothing was registered"
    assert not (home / "registry").exists()
