"""Instance counts per environment: whole numbers within SageMaker's bounds (environments/schema.json),
refused otherwise with the key, the value and the allowed form."""

from __future__ import annotations

import shutil

import pytest

import env_config
from env_config import EnvConfigError, load


def with_value(tmp_path, key: str, value: str):
    shutil.copytree(env_config.ENVIRONMENTS_DIR, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "dev.yaml"
    text = path.read_text()
    assert f"  {key}: 1\n" in text
    path.write_text(text.replace(f"  {key}: 1\n", f"  {key}: {value}\n", 1))
    return tmp_path


@pytest.mark.parametrize("key", ["processing_instance_count", "training_instance_count"])
@pytest.mark.parametrize("value", ["0", "2.5", "'2'", "true", "101"])
def test_a_count_that_is_not_1_to_100_instances_is_refused(tmp_path, key, value):
    with pytest.raises(EnvConfigError, match=rf"pipeline.{key} = .*an integer 1-100"):
        load("dev", with_value(tmp_path, key, value))


@pytest.mark.parametrize("key", ["processing_instance_count", "training_instance_count"])
def test_several_instances_are_accepted(tmp_path, key):
    assert load("dev", with_value(tmp_path, key, "4")).get(f"pipeline.{key}") == 4


def test_every_environment_states_both_counts():
    for name in env_config.available_environments():
        pipeline = load(name).get("pipeline")
        assert pipeline["processing_instance_count"] >= 1
        assert pipeline["training_instance_count"] >= 1
