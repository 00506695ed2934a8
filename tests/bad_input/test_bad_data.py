"""Bad raw data: Preprocess (the real step script, run as a process the way a Processing job runs
it) exits 2 with one line naming file, row and column, echoes no content, and writes no split."""

from __future__ import annotations

import gzip

import pytest
from matrix_helpers import assert_refused

BIG = "7" * 2000  # a cell far longer than any number, but short enough to keep the test fast
HUGE_CELL = "x" * 5_000_000  # the 10 MB cell of the report, halved: echoing it would flood


def good_text(sample_frame, **options) -> str:
    return sample_frame.head(60).to_csv(index=False, **options)


def with_cell(sample_frame, row: int, column: str, value: str) -> str:
    frame = sample_frame.head(60).astype({column: object})
    frame.loc[frame.index[row - 1], column] = value
    return frame.to_csv(index=False)


ROWS = {
    # class: (build the file's bytes, first-line fragment, text that must NOT be echoed)
    "inf-feature": (
        lambda f: with_cell(f, 3, "mean_area", "inf").encode(),
        "column 'mean_area' holds a non-finite value (inf, written 'inf') in data row 3",
        None,
    ),
    "1e999-feature": (
        lambda f: with_cell(f, 5, "worst_radius", "1e999").encode(),
        "column 'worst_radius' holds a non-finite value (inf",
        None,
    ),
    "negative-infinity": (
        lambda f: with_cell(f, 2, "mean_texture", "-inf").encode(),
        "column 'mean_texture' holds a non-finite value (-inf",
        None,
    ),
    "long-non-number-shown-cut": (
        lambda f: with_cell(f, 4, "mean_area", "n" * 200).encode(),
        "must be numeric, but data row 4 holds 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' (200 characters)",
        "n" * 100,
    ),
    "nan-text": (
        lambda f: with_cell(f, 4, "mean_radius", "nan").encode(),
        "column 'mean_radius' is empty in data row 4",
        None,
    ),
    "semicolon-with-decimal-commas": (
        lambda f: good_text(f, sep=";", decimal=",").encode(),
        "(semicolon (';')-delimited): column 'mean_radius' must be numeric, but data row 1 holds",
        None,
    ),
    "huge-cell": (
        lambda f: with_cell(f, 2, "mean_radius", HUGE_CELL).encode(),
        "column 'mean_radius' holds a cell of 5000000 characters in data row 2",
        "x" * 100,
    ),
    "long-cell-in-a-numeric-column": (
        lambda f: with_cell(f, 6, "mean_radius", "a" + BIG).encode(),
        "column 'mean_radius' holds a cell of 2001 characters in data row 6",
        BIG,
    ),
    "gzip-file": (
        lambda f: gzip.compress(good_text(f).encode()),
        "the file is gzip-compressed, not a CSV",
        None,
    ),
    "zip-file": (
        lambda f: b"PK\x03\x04" + b"\x00" * 64,
        "the file is a zip archive, not a CSV",
        None,
    ),
    "binary-file": (
        lambda f: b"mean_radius,\x00\x01\x02\xff" * 100,
        "binary content (a NUL byte at offset 12)",
        None,
    ),
    "latin-1-file": (
        lambda f: good_text(f).replace("mean_radius", "mean_radiüs").encode("latin-1"),
        "not valid UTF-8",
        None,
    ),
    "header-over-a-megabyte": (
        lambda f: ("a" * (1 << 20) + "\n1\n").encode(),
        "the first line is over 1048576 bytes",
        "a" * 100,
    ),
    "header-field-over-the-csv-limit": (
        lambda f: ("b" * 200_000 + ",malignant\n1,0\n").encode(),
        "the header row is not valid CSV",
        "b" * 100,
    ),
    "label-inf": (
        lambda f: with_cell(f, 7, "malignant", "inf").encode(),
        "label column 'malignant' must be 0 or 1, but data row 7 holds 'inf'",
        None,
    ),
    "ragged-row": (
        lambda f: (good_text(f) + "1,2,3\n" + "1," * 40 + "1\n").encode(),
        "malformed CSV",
        None,
    ),
    "bom-only": (lambda f: "\ufeff".encode(), "the file is empty", None),
}


@pytest.mark.parametrize("case", sorted(ROWS))
def test_bad_data_is_refused_by_preprocess(case, run_in_process, opt_ml, sample_frame):
    """In-process (see tests/conftest.py): the rows of the matrix; test_preprocess.py runs
    preprocess.py as a process."""
    build, fragment, never_echoed = ROWS[case]
    folder = opt_ml / "processing" / "input" / "data"
    folder.mkdir(parents=True)
    (folder / "raw.csv").write_bytes(build(sample_frame))
    result = run_in_process("preprocess.py", opt_ml)
    assert_refused(result.returncode, 2, result.stderr, fragment)
    assert "raw.csv" in result.stderr.splitlines()[0]
    if never_echoed:
        assert never_echoed not in result.stdout + result.stderr
        assert len(result.stderr) < 2000  # one line, not the cell
    assert not (opt_ml / "processing" / "train").exists(), "no split is written"


@pytest.mark.parametrize(
    ("case", "options"),
    [("utf8-bom", {"encoding": "utf-8-sig"}), ("semicolon", {"sep": ";"}), ("tab", {"sep": "\t"})],
)
def test_a_bom_or_another_delimiter_is_read_and_named(
    case, options, run_script, opt_ml, sample_frame
):
    folder = opt_ml / "processing" / "input" / "data"
    folder.mkdir(parents=True)
    encoding = options.pop("encoding", "utf-8")
    (folder / "raw.csv").write_bytes(
        sample_frame.head(60).to_csv(index=False, **options).encode(encoding)
    )
    result = run_script("preprocess.py", opt_ml)
    assert result.returncode == 0, result.stderr
    if "sep" in options:
        assert "-delimited (detected from the header)" in result.stdout
    assert list((opt_ml / "processing" / "train").glob("part-*.csv"))  # the host's part file
