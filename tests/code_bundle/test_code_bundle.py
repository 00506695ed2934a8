"""code_bundle: the same step code always gets the same URI, any changed byte a new one, and image
build files (Dockerfile, requirement pins and locks) never change it."""

from __future__ import annotations

import code_bundle
from env_config import load


def tree(root, files: dict[str, str]):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_files_are_the_step_code_in_a_stable_order(tmp_path):
    root = tree(
        tmp_path,
        {
            "train.py": "x",
            "lib/util.py": "y",
            "Dockerfile": "FROM python",
            "requirements.txt": "numpy",
            "requirements.lock": "numpy==1 --hash=sha256:0",
            "__pycache__/train.cpython-311.pyc": "",
            "schema.json": "{}",
        },
    )
    assert [p.as_posix() for p in code_bundle.files(root)] == [
        "lib/util.py",
        "schema.json",
        "train.py",
    ]


def test_the_digest_follows_content_not_build_files(tmp_path):
    root = tree(tmp_path, {"train.py": "print(1)", "requirements.lock": "a"})
    first = code_bundle.digest(root)
    (root / "requirements.lock").write_text("b")
    (root / "Dockerfile").write_text("FROM other")
    assert code_bundle.digest(root) == first
    (root / "train.py").write_text("print(2)")
    assert code_bundle.digest(root) != first and len(first) == 12


def test_the_uri_is_the_environments_code_prefix_and_the_digest(tmp_path):
    root = tree(tmp_path, {"train.py": "print(1)"})
    config = load("dev")
    uri = code_bundle.code_uri(config, root)
    assert uri == config.s3_uri("code", code_bundle.digest(root)) + "/"
    assert uri.startswith("s3://") and uri.endswith(f"/code/{code_bundle.digest(root)}/")
