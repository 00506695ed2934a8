"""The botocore model as the checker reads it: every pattern compiles, whole-value matching, and
the package stays light (botocore only: the local runner and CI import it on every run)."""

from __future__ import annotations

import subprocess
import sys

from definition_check import service_model


def test_every_sagemaker_pattern_compiles():
    model = service_model.service("sagemaker")
    patterns = {
        model.shape_for(name).metadata["pattern"]
        for name in model.shape_names
        if "pattern" in model.shape_for(name).metadata
    }
    assert len(patterns) > 100
    for pattern in patterns:
        service_model.compiled_pattern(pattern)  # raises on a pattern it could not check


def test_patterns_match_the_whole_value_as_aws_does():
    role = service_model.input_shape("CreatePipeline").members["RoleArn"].metadata["pattern"]
    assert service_model.matches_pattern(role, "arn:aws:iam::123456789012:role/x")
    assert not service_model.matches_pattern(role, "arn:aws:iam::123456789012:role/x y")
    name = service_model.input_shape("CreatePipeline").members["PipelineName"].metadata["pattern"]
    assert not service_model.matches_pattern(name, "my_pipeline")


def test_java_unicode_classes_and_surrogate_ranges_are_understood():
    tag = service_model.shape("TagValue").metadata["pattern"]
    assert service_model.matches_pattern(tag, "Grüße 1")
    catalog = service_model.shape("AthenaCatalog").metadata["pattern"]
    assert service_model.matches_pattern(catalog, "catalog \U0001f600")


def test_checking_imports_neither_the_sagemaker_sdk_nor_boto3(tmp_path):
    code = (
        "import sys, definition_check;"
        "definition_check.validate({'Version': '2020-12-01', 'Steps': []});"
        "heavy = [m for m in ('sagemaker', 'boto3') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
