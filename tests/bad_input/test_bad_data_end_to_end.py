"""The damage case of the report, end to end: a non-finite feature value in the raw data once
went through validation and was trained, registered, approved and served. Now the real local
pipeline (the generated definition, the real step scripts) stops at Preprocess with the row and
column named, and nothing is registered, approved or served."""

from __future__ import annotations

import pytest

from local_runner import endpoint, lifecycle, objectstore
from local_runner.executor import EXIT_STEP_FAILED

pytestmark = pytest.mark.slow  # generates the definition and runs Preprocess for real


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOCAL_RUNNER_HOME", str(tmp_path_factory.mktemp("bad-e2e") / "home"))
        patch.delenv("LOCAL_RUNNER_SERVE_SCRIPT", raising=False)
        yield lifecycle.Local.load()


@pytest.mark.parametrize(("case", "value"), [("inf", "inf"), ("overflow", "1e999")])
def test_a_non_finite_value_stops_the_run_at_preprocess(case, value, local, sample_frame):
    frame = sample_frame.astype({"worst_area": object})
    frame.loc[frame.index[41], "worst_area"] = value
    data = local.config.s3_uri("bad", case) + "/"
    objectstore.put_bytes(data + "data.csv", frame.to_csv(index=False).encode())
    lines: list[str] = []
    result = lifecycle.run(local, {"InputDataUri": data}, out=lines.append)
    assert result.exit_code == EXIT_STEP_FAILED and result.failed_step == "Preprocess"
    assert "column 'worst_area' holds a non-finite value (inf" in result.failure
    assert "in data row 42" in result.failure
    assert "Traceback" not in "\n".join(lines)
    assert local.registry.versions(local.group) == []
    assert local.registry.champion(local.group)["version"] is None
    assert endpoint.status()["running"] is False
