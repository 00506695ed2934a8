"""Preprocess refuses bad input with one clear message (file, column, fix) and a non-zero exit,
and splits good input deterministically."""

from __future__ import annotations

import json

import pandas as pd
import pytest


def write_raw(opt_ml, frame: pd.DataFrame | None = None, text: str | bytes | None = None):
    folder = opt_ml / "processing" / "input" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "raw.csv"
    if frame is not None:
        frame.to_csv(path, index=False)
    elif isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text or "", encoding="utf-8")
    return path


def fails_with(run, opt_ml, *fragments: str) -> str:
    """preprocess.py refuses the input (run in-process: one row of many; the two tests above run
    it as a process)."""
    result = run("preprocess.py", opt_ml)
    assert result.returncode == 2, result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    assert not (opt_ml / "processing" / "train").exists(), "nothing is written on bad input"
    failure = (opt_ml / "output" / "message").read_text()
    assert failure in result.stderr  # SageMaker shows the same text as the job's ExitMessage
    return result.stderr


def test_splits_the_sample_dataset_into_three_files_and_statistics(run_script, opt_ml, raw_input):
    result = run_script("preprocess.py", opt_ml)
    assert result.returncode == 0, result.stderr
    sizes = {}
    for split in ("train", "validation", "test"):
        files = sorted((opt_ml / "processing" / split).iterdir())
        assert [f.name for f in files] == ["part-algo-1-0000.csv"]  # one host, one part
        frame = pd.read_csv(files[0])
        sizes[split] = len(frame)
        assert 0.25 < frame["malignant"].mean() < 0.5  # both classes in every split
    assert sum(sizes.values()) == 569
    assert abs(sizes["train"] / 569 - 0.70) < 0.05
    assert abs(sizes["test"] / 569 - 0.15) < 0.05
    statistics = json.loads((opt_ml / "processing" / "statistics" / "part-algo-1.json").read_text())
    assert {name: s["rows"] for name, s in statistics["splits"].items()} == sizes
    assert not list((opt_ml / "processing").glob(".staging-*")), "the staging folder is removed"


def test_the_split_is_deterministic(run_script, opt_ml, raw_input, tmp_path):
    first = run_script("preprocess.py", opt_ml)
    assert first.returncode == 0
    test_file = opt_ml / "processing" / "test" / "part-algo-1-0000.csv"
    before = test_file.read_bytes()
    second = run_script("preprocess.py", opt_ml)
    assert second.returncode == 0
    assert test_file.read_bytes() == before


def test_missing_input_file(run_in_process, opt_ml):
    (opt_ml / "processing" / "input" / "data").mkdir(parents=True)
    fails_with(run_in_process, opt_ml, "no .csv file found", "make data")


def test_empty_file(run_in_process, opt_ml):
    write_raw(opt_ml, text="")
    fails_with(run_in_process, opt_ml, "raw.csv", "the file is empty")


def test_header_without_rows(run_in_process, opt_ml, sample_frame):
    write_raw(opt_ml, frame=sample_frame.iloc[0:0])
    fails_with(run_in_process, opt_ml, "raw.csv", "no data rows")


def test_missing_column(run_in_process, opt_ml, sample_frame):
    write_raw(opt_ml, frame=sample_frame.drop(columns=["mean_area"]))
    fails_with(run_in_process, opt_ml, "raw.csv", "missing column 'mean_area'", "schema.json")


def test_unexpected_column(run_in_process, opt_ml, sample_frame):
    write_raw(opt_ml, frame=sample_frame.assign(patient_id=1))
    fails_with(run_in_process, opt_ml, "unexpected column 'patient_id'", "Drop it")


def test_wrong_type(run_in_process, opt_ml, sample_frame):
    frame = sample_frame.astype({"mean_texture": object})
    frame.loc[7, "mean_texture"] = "twelve"
    write_raw(opt_ml, frame=frame)
    fails_with(
        run_in_process, opt_ml, "column 'mean_texture' must be numeric", "data row 8", "'twelve'"
    )


def test_missing_feature_value(run_in_process, opt_ml, sample_frame):
    frame = sample_frame.copy()
    frame.loc[3, "worst_area"] = None
    write_raw(opt_ml, frame=frame)
    fails_with(run_in_process, opt_ml, "column 'worst_area' is empty in data row 4")


def test_nan_in_label(run_in_process, opt_ml, sample_frame):
    frame = sample_frame.astype({"malignant": object})
    frame.loc[10, "malignant"] = None
    write_raw(opt_ml, frame=frame)
    fails_with(run_in_process, opt_ml, "label column 'malignant' is empty (NaN) in data row 11")


def test_label_outside_zero_and_one(run_in_process, opt_ml, sample_frame):
    frame = sample_frame.copy()
    frame.loc[0, "malignant"] = 2
    write_raw(opt_ml, frame=frame)
    fails_with(run_in_process, opt_ml, "must be 0 or 1", "data row 1")


def test_single_class(run_in_process, opt_ml, sample_frame):
    write_raw(opt_ml, frame=sample_frame[sample_frame["malignant"] == 0])
    fails_with(run_in_process, opt_ml, "single class (0)", "both classes")


def test_duplicated_header(run_in_process, opt_ml, sample_frame):
    text = sample_frame.to_csv(index=False)
    header, rest = text.split("\n", 1)
    write_raw(opt_ml, text=header + ",mean_radius\n" + rest.replace("\n", ",1\n"))
    fails_with(run_in_process, opt_ml, "column 'mean_radius' appears more than once")


def test_unreadable_encoding(run_in_process, opt_ml, sample_frame):
    text = sample_frame.to_csv(index=False).encode("utf-8")
    write_raw(opt_ml, text=text.replace(b"mean_radius", b"mean_r\xe9dius", 1))
    fails_with(run_in_process, opt_ml, "not valid UTF-8", "iconv")


@pytest.mark.parametrize("rows", [5])
def test_too_few_rows(run_in_process, opt_ml, sample_frame, rows):
    balanced = pd.concat(
        [
            sample_frame[sample_frame.malignant == 0].head(3),
            sample_frame[sample_frame.malignant == 1].head(rows - 3),
        ]
    )
    write_raw(opt_ml, frame=balanced)
    fails_with(run_in_process, opt_ml, "only 5 data rows")
