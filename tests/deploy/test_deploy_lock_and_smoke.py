"""The S3 lock (conditional writes, expiry, ownership) and the smoke test's pure checks."""

from __future__ import annotations

import json

import pytest

from deploy import smoke
from deploy.errors import DeployError, LockHeldError
from deploy.lock import Lock

# -- lock ------------------------------------------------------------------------------------------


def lock(world, owner: str, now: float = 1_000.0, ttl: int = 600) -> Lock:
    return Lock(
        clients=world.clients,
        settings=world.settings,
        owner=owner,
        ttl_seconds=ttl,
        clock=lambda: now,
    )


def held_by(world) -> dict:
    return json.loads(world.read("staging/deploy/lock"))


def test_second_acquire_is_refused_until_release(world):
    first, second = lock(world, "a"), lock(world, "b")
    first.acquire("rollout v1")
    with pytest.raises(LockHeldError, match=r"rollout v1 by a, lock until 1970-01-01T00:26:40Z"):
        second.acquire("rollout v2")
    assert held_by(world)["owner"] == "a"
    first.release()
    second.acquire("rollout v2")
    assert held_by(world)["owner"] == "b"


def test_an_expired_lock_is_taken_over(world):
    lock(world, "crashed", now=1_000.0, ttl=600).acquire("rollout")
    lock(world, "next", now=1_601.0).acquire("rollout")
    assert held_by(world) == {
        "owner": "next",
        "purpose": "rollout",
        "acquired_at": 1601,
        "expires_at": 2201,
    }


def test_release_leaves_someone_elses_lock_alone(world):
    lock(world, "a").acquire("x")
    lock(world, "b").release()
    assert held_by(world)["owner"] == "a"


def test_held_releases_on_error(world):
    with pytest.raises(RuntimeError), lock(world, "a").held("x"):
        raise RuntimeError("boom")
    assert not world.object_exists("staging/deploy/lock")


def test_missing_bucket_says_to_apply(world):
    from dataclasses import replace

    other = Lock(
        clients=world.clients,
        settings=replace(world.settings, bucket="no-such-bucket-here"),
        owner="a",
    )
    with pytest.raises(
        DeployError, match="Bucket no-such-bucket-here does not exist: run `make apply"
    ):
        other.acquire("x")


# -- smoke: pure checks ----------------------------------------------------------------------------


def test_check_predictions_accepts_the_contract():
    body = json.dumps(
        {"predictions": [{"label": 0, "probability": 0.1}, {"label": 1, "probability": 1.0}]}
    )
    assert smoke.check_predictions(body, 2) == []


@pytest.mark.parametrize(
    "body, expected, problem",
    [
        ("<html>", 1, "not JSON"),
        (json.dumps({"result": []}), 1, 'no "predictions" list'),
        (
            json.dumps({"predictions": [{"label": 1, "probability": 0.5}]}),
            2,
            "1 predictions for 2 rows",
        ),
        (
            json.dumps({"predictions": [{"label": 2, "probability": 0.5}]}),
            1,
            "label 2 is not 0 or 1",
        ),
        (json.dumps({"predictions": [{"label": True, "probability": 0.5}]}), 1, "label True"),
        (
            json.dumps({"predictions": [{"label": 1, "probability": 1.5}]}),
            1,
            "probability 1.5 is not in",
        ),
        (json.dumps({"predictions": [{"label": 1}]}), 1, "probability None"),
        (json.dumps({"predictions": [[1, 0.5]]}), 1, "is not an object"),
    ],
)
def test_check_predictions_names_each_problem(body, expected, problem):
    problems = smoke.check_predictions(body, expected)
    assert any(problem in p for p in problems), problems


def test_rows_follow_the_schema_order_and_drop_the_label(world):
    features, label = smoke.schema()
    assert label == "malignant" and len(features) == 30
    header = ["malignant", *reversed(features)]
    values = [1, *reversed(range(30))]
    text = ",".join(header) + "\n" + ",".join(map(str, values)) + "\n"
    rows = smoke.rows_from_csv(text, 5, features, label)
    assert rows == [[float(i) for i in range(30)]]


def test_rows_errors_are_clear():
    with pytest.raises(DeployError, match="lacks feature column"):
        smoke.rows_from_csv("a,b\n1,2\n", 5, ["a", "c"], "y")
    with pytest.raises(DeployError, match="no rows"):
        smoke.rows_from_csv("a,b\n", 5, None, "y")
    with pytest.raises(DeployError, match="Bad row 2"):
        smoke.rows_from_csv("a,b\n1,x\n", 5, None, "y")
    assert smoke.rows_from_csv("a,y\n1,0\n2,1\n3,0\n", 2, None, "y") == [[1.0], [2.0]]


def test_payloads_match_the_serving_contract():
    assert smoke.csv_payload([[1.0, 2.5], [3.0, 4.0]]) == b"1.0,2.5\n3.0,4.0\n"
    assert json.loads(smoke.json_payload([[1.0, 2.5]])) == {"instances": [[1.0, 2.5]]}


def test_read_test_csv_from_an_s3_prefix_and_a_local_path(world, tmp_path):
    text = smoke.read_test_csv(
        world.clients, f"s3://{world.settings.bucket}/staging/processed/exec-1/test/"
    )
    assert text.startswith("mean_radius,")
    (tmp_path / "test.csv").write_text("a,malignant\n1,0\n")
    assert smoke.read_test_csv(world.clients, str(tmp_path)) == "a,malignant\n1,0\n"
    with pytest.raises(DeployError, match=r"No \.csv object under"):
        smoke.read_test_csv(world.clients, f"s3://{world.settings.bucket}/staging/nothing/")


def test_smoke_test_of_the_serving_endpoint(world, deployer_for):
    arn = world.add_package()
    world.good_answers()
    deployer_for().rollout(arn)
    world.answer(world.predictions(world.settings.smoke_rows), world.predictions(1))
    assert deployer_for().smoke_test().ok
    world.answer(world.predictions(3), world.predictions(1))
    result = deployer_for().smoke_test()
    assert not result.ok and "3 predictions for 20 rows" in result.summary()


def test_smoke_test_without_an_endpoint(world, deployer_for):
    with pytest.raises(DeployError, match="does not exist: nothing to smoke-test"):
        deployer_for().smoke_test()


def test_not_found_errors_are_recognised():
    from botocore.exceptions import ClientError

    from deploy.aws import is_not_found

    def error(code: str, message: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": message}}, "Op")

    assert is_not_found(error("ValidationException", 'Could not find endpoint "x".'))
    assert is_not_found(error("ValidationException", "ModelPackage arn:... does not exist."))
    assert is_not_found(error("NoSuchKey", "The specified key does not exist."))
    assert is_not_found(error("ResourceNotFound", "Pipeline p not found"))
    assert not is_not_found(error("ValidationException", "1 validation error detected"))
    assert not is_not_found(error("AccessDeniedException", "not authorized"))
