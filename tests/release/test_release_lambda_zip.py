"""release/lambda_zip.py: the deploy/ package, deterministic, importable, without boto3."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from release import lambda_zip as build_lambda_zip

REPO = Path(__file__).resolve().parents[2]


def test_zip_is_deterministic_and_holds_only_the_package(tmp_path):
    first, second = tmp_path / "a" / "deploy.zip", tmp_path / "b" / "deploy.zip"
    assert build_lambda_zip.build(first) == build_lambda_zip.build(second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert names == sorted(names)
    assert "deploy/lambda_handler.py" in names and "deploy/__init__.py" in names
    assert all(name.startswith("deploy/") for name in names)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    assert not any(name.startswith(("boto3/", "botocore/")) for name in names)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_handler_imports_from_the_zip_alone(tmp_path):
    """The zip alone on the import path, as Lambda puts /var/task (no site-packages, so neither the
    repository's editable install nor PyYAML), exposes the handler."""
    archive = tmp_path / "deploy.zip"
    build_lambda_zip.build(archive)
    probe = (
        "import sys; import deploy.lambda_handler as h; assert callable(h.handler);"
        "assert h.__file__.startswith(sys.argv[1]), h.__file__;"
        "assert 'yaml' not in sys.modules; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", probe, str(archive)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(archive)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_cli_prints_the_path_and_digest(tmp_path, capsys):
    out = tmp_path / "deploy.zip"
    assert build_lambda_zip.main(["--out", str(out)]) == 0
    assert "sha256=" in capsys.readouterr().out and out.exists()
