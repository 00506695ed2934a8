"""Fixtures shared by every test folder: the sample dataset, a fake /opt/ml tree, and the step
scripts run the way a container runs them (as processes, under /opt/ml).

Expensive artefacts (the preprocessed sample, a trained model) are built once per test run by the
real scripts and copied into each test's own /opt/ml: `build_once` builds them in a folder that
every xdist worker of the run shares, under a file lock, so two workers never build one twice."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def build_once(tmp_path_factory) -> Callable[[str, Callable[[Path], None]], Path]:
    """`build_once(name, build)`: the folder `build` filled, built by the first test of this run
    that asks (in any worker) and reused by every later one. Per run, never across runs: nothing
    can go stale. A build that raised is redone by the next caller (and fails it again)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # pytest-N/ holds every worker's basetemp of this run
    root = base / "built-once"
    root.mkdir(exist_ok=True)

    def get(name: str, build: Callable[[Path], None]) -> Path:
        folder = root / name
        with open(root / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not (root / f"{name}.done").exists():
                shutil.rmtree(folder, ignore_errors=True)  # what a failed build left
                folder.mkdir()
                build(folder)
                (root / f"{name}.done").touch()
        return folder

    return get


# The git sha the generated definitions record (lineage and image tag): fixed, so tests do not
# depend on the checkout's HEAD.
FIXED_SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="session")
def generated_definition(build_once) -> Callable[..., str]:
    """`generated_definition(env, kind="training")`: the text `python -m build_pipeline --env <env>
    --kind <kind>` writes (with FIXED_SHA), generated in-process by the real SDK once per test run
    and shared by every worker. Tests of generation itself (determinism, validation, digests) call
    `generate` directly."""

    def get(env: str, kind: str = "training") -> str:
        def build(folder: Path) -> None:
            from build_pipeline.__main__ import generate

            (folder / "definition.json").write_text(
                generate(env, git_sha=FIXED_SHA, kind=kind), encoding="utf-8"
            )

        folder = build_once(f"definition-{kind}-{env}", build)
        return (folder / "definition.json").read_text(encoding="utf-8")

    return get


@pytest.fixture(scope="session")
def sample_frame():
    """scikit-learn's breast cancer set in the raw-CSV layout (569 rows, label `malignant`)."""
    from sample_data import sample_frame as build

    return build()


@pytest.fixture
def opt_ml(tmp_path, monkeypatch) -> Path:
    """A temporary /opt/ml: the step scripts resolve every path under SM_OPT_ML."""
    root = tmp_path / "opt_ml"
    root.mkdir()
    monkeypatch.setenv("SM_OPT_ML", str(root))
    for variable in (
        "SM_MODEL_DIR",
        "SM_CHANNEL_TRAIN",
        "SM_CHANNEL_VALIDATION",
        "SM_OUTPUT_DATA_DIR",
        "SM_CHECKPOINT_DIR",
    ):
        monkeypatch.delenv(variable, raising=False)
    return root


CODE_DIR = REPO_ROOT / "training_code"


def _run_script(
    script: str, opt_ml: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = {**(os.environ if env is None else env), "SM_OPT_ML": str(opt_ml)}
    return subprocess.run(
        [sys.executable, str(CODE_DIR / script), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def _run_script_in_process(script: str, opt_ml: Path, *args: str) -> subprocess.CompletedProcess:
    """`_run_script` without a new interpreter (which costs seconds of imports per run): the
    script's `__main__` under the same SM_OPT_ML and argv, with what a process run would report:
    SystemExit's code, stdout and stderr, Python's traceback and exit 1 for an uncaught
    exception, warnings printed in order under the interpreter's default filters. For the many
    bad-input rows of one script; each script also keeps tests that run it as a real process."""
    import contextlib
    import io
    import runpy
    import traceback
    import warnings

    stdout, stderr = io.StringIO(), io.StringIO()
    saved_argv, saved_opt_ml = sys.argv, os.environ.get("SM_OPT_ML")
    code = 0
    try:
        sys.argv = [str(CODE_DIR / script), *args]
        os.environ["SM_OPT_ML"] = str(opt_ml)
        with (
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
            warnings.catch_warnings(),
        ):
            warnings.filters[:] = _INTERPRETER_WARNING_FILTERS
            warnings.showwarning = (
                lambda message, category, filename, lineno, file=None, line=None: (
                    sys.stderr.write(
                        warnings.formatwarning(message, category, filename, lineno, line)
                    )
                )
            )
            try:
                runpy.run_path(str(CODE_DIR / script), run_name="__main__")
            except SystemExit as exit_:
                if exit_.code is None or isinstance(exit_.code, int):
                    code = exit_.code or 0
                else:
                    print(exit_.code, file=sys.stderr)
                    code = 1
            except Exception:
                traceback.print_exc()
                code = 1
    finally:
        sys.argv = saved_argv
        if saved_opt_ml is None:
            os.environ.pop("SM_OPT_ML", None)
        else:
            os.environ["SM_OPT_ML"] = saved_opt_ml
    return subprocess.CompletedProcess(sys.argv, code, stdout.getvalue(), stderr.getvalue())


# What `python script.py` starts with (pytest installs its own filters per test).
_INTERPRETER_WARNING_FILTERS = [
    ("default", None, DeprecationWarning, "__main__", 0),
    ("ignore", None, DeprecationWarning, None, 0),
    ("ignore", None, PendingDeprecationWarning, None, 0),
    ("ignore", None, ImportWarning, None, 0),
    ("ignore", None, ResourceWarning, None, 0),
]


@pytest.fixture
def run_in_process():
    """Run a step script in-process as if it were a process (see _run_script_in_process)."""
    return _run_script_in_process


def _pack_model(model_dir: Path, archive: Path) -> Path:
    """Pack a model folder the way SageMaker does at the end of a training job."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as bundle:
        for path in sorted(model_dir.iterdir()):
            bundle.add(path, arcname=path.name)
    return archive


@pytest.fixture
def run_script():
    """Run a step script as a process under the fake /opt/ml (exit code and stderr are checked)."""
    return _run_script


@pytest.fixture
def pack_model():
    return _pack_model


@pytest.fixture
def raw_input(opt_ml, sample_frame) -> Path:
    """The sample dataset where a Processing job finds its input."""
    folder = opt_ml / "processing" / "input" / "data"
    folder.mkdir(parents=True)
    sample_frame.to_csv(folder / "raw.csv", index=False)
    return folder


def _container_environ() -> dict[str, str]:
    """The environment without SageMaker's SM_* variables: a shared build must not depend on what
    the test that happened to ask first had set (the opt_ml fixture clears them the same way)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("SM_")}


@pytest.fixture(scope="session")
def preprocessed_opt_ml(build_once, sample_frame) -> Path:
    """An /opt/ml after preprocess.py ran for real on the sample dataset: once per test run."""

    def build(folder: Path) -> None:
        raw = folder / "processing" / "input" / "data"
        raw.mkdir(parents=True)
        sample_frame.to_csv(raw / "raw.csv", index=False)
        result = _run_script("preprocess.py", folder, env=_container_environ())
        assert result.returncode == 0, result.stderr

    return build_once("preprocessed", build)


@pytest.fixture(scope="session")
def trained_opt_ml(build_once, preprocessed_opt_ml) -> Path:
    """An /opt/ml after train.py ran for real on those splits (given as channels): once per run."""

    def build(folder: Path) -> None:
        channels = folder / "input" / "data"
        channels.mkdir(parents=True)
        for name in ("train", "validation", "statistics"):
            (channels / name).symlink_to(preprocessed_opt_ml / "processing" / name)
        result = _run_script("train.py", folder, env=_container_environ())
        assert result.returncode == 0, result.stderr

    return build_once("trained", build)


@pytest.fixture
def splits(opt_ml, raw_input, preprocessed_opt_ml) -> Path:
    """The processing folder holding the three splits and their statistics, as preprocess.py wrote
    them (a private copy of the run's one preprocess; test_preprocess.py runs it per test)."""
    shutil.copytree(preprocessed_opt_ml, opt_ml, dirs_exist_ok=True, symlinks=True)
    return opt_ml / "processing"


@pytest.fixture
def trained_model(opt_ml, splits, trained_opt_ml) -> Path:
    """The model folder train.py wrote from the splits given as channels (a private copy of the
    run's one training; test_train.py trains per test)."""
    channels = opt_ml / "input" / "data"
    channels.mkdir(parents=True)
    for name in ("train", "validation", "statistics"):
        (channels / name).symlink_to(splits / name)
    shutil.copytree(
        trained_opt_ml,
        opt_ml,
        dirs_exist_ok=True,
        symlinks=True,
        ignore=lambda folder, _names: ["input"] if Path(folder) == trained_opt_ml else [],
    )
    return opt_ml / "model"
