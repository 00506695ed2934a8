"""The layout is the architecture: packages import only what docs/architecture.md draws, nothing
manipulates sys.path outside tests' conftest files, and scripts/ holds no code."""

from __future__ import annotations

import ast
import os
import tomllib
from pathlib import Path

from env_config import REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES = PYPROJECT["tool"]["setuptools"]["packages"]
SKIPPED = {".venv", "node_modules", "build", ".local", ".git", ".terraform"}


def python_files(root: Path = REPO_ROOT) -> list[Path]:
    """Every .py file outside SKIPPED folders, which are pruned, not walked (.venv alone holds
    tens of thousands of files: walking then filtering took seconds per test)."""
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED]
        found.extend(Path(folder) / name for name in files if name.endswith(".py"))
    return found


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_every_top_level_package_is_installed_and_has_its_tests_folder():
    on_disk = {p.parent.name for p in REPO_ROOT.glob("*/__init__.py")}
    assert on_disk == set(PACKAGES), "add new packages to [tool.setuptools] packages"
    missing = [name for name in PACKAGES if not (REPO_ROOT / "tests" / name).is_dir()]
    assert missing == [], "tests mirror the layout: tests/<package>/"


def test_nothing_manipulates_sys_path_outside_tests_conftest():
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in python_files()
        if "sys.path" in path.read_text(encoding="utf-8")
        and not (path.name == "conftest.py" and "tests" in path.parts)
        and path != Path(__file__)
    ]
    assert offenders == []


def test_scripts_folder_holds_no_code():
    assert not list((REPO_ROOT / "scripts").glob("**/*.py"))


def test_the_local_runner_never_imports_the_sdk_or_its_package():
    """ENV=local runs with no SDK: only build_pipeline may import sagemaker."""
    for path in (REPO_ROOT / "local_runner").rglob("*.py"):
        assert not imported_roots(path) & {"sagemaker", "build_pipeline"}, path


def test_only_build_pipeline_imports_the_sdk():
    importers = {
        path.relative_to(REPO_ROOT).parts[0]
        for path in python_files()
        if "sagemaker" in imported_roots(path) and path.relative_to(REPO_ROOT).parts[0] != "tests"
    }
    assert importers <= {"build_pipeline"}, importers


def test_no_merge_conflict_marker_was_committed():
    import subprocess

    found = subprocess.run(
        ["git", "grep", "-nE", "^(<<<<<<< |>>>>>>> |=======$)", "--", ".", ":!*.lock"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert found == ""
