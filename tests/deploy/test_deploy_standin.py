"""The stand-in speaks SageMaker's language: every status it reports and every field it adds to
DescribeEndpoint exist in botocore's service model (the model stands behind these assertions),
and its state machine moves as documented (unit level; the server-level run is in
test_deploy_moto_server.py)."""

from __future__ import annotations

import pytest

from .sagemaker_standin import Lifecycle


@pytest.fixture(scope="module")
def describe_endpoint_output():
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model("DescribeEndpoint").output_shape


def walk(life: Lifecycle, steps: int = 6) -> list[str]:
    seen = []
    for _ in range(steps):
        life.settle(now=1e9, seconds=0.0)
        seen.append(life.status)
        life.seen = True
    return seen


@pytest.mark.parametrize(
    "outcome, statuses, config",
    [
        ("ok", ["Updating", "InService"], "new"),
        ("fail", ["Updating", "InService"], "old"),
        ("alarm", ["Updating", "RollingBack", "InService"], "old"),
    ],
)
def test_an_update_moves_through_sagemakers_states(
    describe_endpoint_output, outcome, statuses, config
):
    life = Lifecycle(config="old", status="Updating", pending="new", outcome=outcome, reason="r")
    walked = walk(life)
    assert [s for i, s in enumerate(walked) if i == 0 or walked[i - 1] != s] == statuses
    assert life.config == config and life.pending == ""
    assert (life.failure_reason == "r") == (outcome == "fail")
    enum = describe_endpoint_output.members["EndpointStatus"].enum
    assert set(statuses) <= set(enum)


def test_a_state_is_shown_before_it_ends():
    life = Lifecycle(config="old", status="Updating", pending="new")
    life.settle(now=1e9, seconds=0.0)
    assert life.status == "Updating", "never described yet: still Updating"


def test_the_fields_it_adds_are_in_the_model(describe_endpoint_output):
    members = describe_endpoint_output.members
    assert {"EndpointStatus", "EndpointConfigName", "FailureReason"} <= set(members)
    pending = members["PendingDeploymentSummary"]
    assert {"EndpointConfigName", "StartTime"} <= set(pending.members)
    assert set(pending.required_members) <= {"EndpointConfigName", "StartTime"}
