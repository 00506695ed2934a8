"""The dataset schema and the checks that keep a bad file out of training.

Every check raises StepInputError with one message that names the file, the column and the fix, so a
failed Preprocess job's FailureReason is enough to act on without opening the logs.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from contract import StepInputError

SCHEMA_PATH = Path(__file__).with_name("schema.json")


@dataclass(frozen=True)
class Schema:
    label: str
    features: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.features, self.label)


def load_schema(path: Path = SCHEMA_PATH) -> Schema:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Schema(label=raw["label"], features=tuple(raw["features"]))


def find_csv_files(directory: Path) -> list[Path]:
    """All CSV files of an input folder, sorted so that the concatenation order is stable."""
    if not directory.is_dir():
        raise StepInputError(
            f"{directory}: input folder not found. Upload the dataset to the InputDataUri prefix "
            "(locally: `make data`)."
        )
    files = sorted(p for p in directory.rglob("*.csv") if p.is_file())
    if not files:
        raise StepInputError(
            f"{directory}: no .csv file found. Put the raw dataset (a CSV with a header row) there; "
            "`make data` writes a sample."
        )
    return files


MAX_HEADER_BYTES = 1 << 20  # a header of a few dozen names; a megabyte means it is not one
MAX_FIELD_CHARS = 1000  # no number is longer; a longer cell is pasted text or a blob
SHOWN_CHARS = 40  # a refused value is shown cut to this, never whole
DELIMITERS = (",", ";", "\t", "|")
DECIMAL_COMMA = re.compile(r"^[+-]?[0-9]+,[0-9]+$")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True)
class CsvFormat:
    """How a raw file is read: its delimiter (sniffed from the header) and encoding."""

    delimiter: str = ","
    encoding: str = "utf-8-sig"  # utf-8, and a byte order mark (Excel writes one) is dropped

    @property
    def name(self) -> str:
        return f"{DELIMITER_NAMES[self.delimiter]} ({self.delimiter!r})"


def shown(value: object) -> str:
    """A cell as a message may show it: cut short with its length, so a 10 MB cell costs a line."""
    text = str(value)
    if len(text) <= SHOWN_CHARS:
        return f"'{text}'"
    return f"'{text[:SHOWN_CHARS]}...' ({len(text)} characters)"


def check_is_text(path: Path) -> None:
    """Refuse compressed or binary files before parsing them, without echoing their bytes."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    kinds = {
        b"\x1f\x8b": "gzip-compressed",
        b"PK\x03\x04": "a zip archive",
        b"BZh": "bzip2-compressed",
    }
    for magic, kind in kinds.items():
        if head.startswith(magic):
            raise StepInputError(
                f"{path}: the file is {kind}, not a CSV. Decompress it and upload the .csv "
                "(e.g. `gunzip data.csv.gz`)."
            )
    nul = head.find(b"\x00")
    if nul >= 0:
        raise StepInputError(
            f"{path}: binary content (a NUL byte at offset {nul}), not a text CSV. Upload the "
            "dataset as a UTF-8 CSV with a header row."
        )


def read_header(path: Path) -> list[str]:
    return _read_header(path)[0]


def _read_header(path: Path) -> tuple[list[str], CsvFormat]:
    """The header row and the file's format; the delimiter is the one that splits the header
    into the most names (a file saved with ';' by a spreadsheet reads as one column otherwise)."""
    check_is_text(path)
    with path.open("rb") as handle:
        raw = handle.readline(MAX_HEADER_BYTES + 1)
    if len(raw) > MAX_HEADER_BYTES:
        raise StepInputError(
            f"{path}: the first line is over {MAX_HEADER_BYTES} bytes, so it is not a header row. "
            "The file must start with one line of column names."
        )
    try:
        line = raw.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise StepInputError(
            f"{path}: not valid UTF-8 (byte {error.start}). Re-save the file as UTF-8, for example "
            f"`iconv -f latin1 -t utf-8 {path.name} > fixed.csv`."
        ) from None
    if not line.strip():
        return [], CsvFormat()
    delimiter = max(DELIMITERS, key=line.count) if any(d in line for d in DELIMITERS) else ","
    try:
        header = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error as error:
        raise StepInputError(f"{path}: the header row is not valid CSV ({error}).") from None
    return [name.strip() for name in header], CsvFormat(delimiter=delimiter)


def check_header(path: Path, header: list[str], schema: Schema) -> None:
    if not header:
        raise StepInputError(f"{path}: the file is empty. Provide a header row and data rows.")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise StepInputError(
            f"{path}: column '{duplicated[0]}' appears more than once in the header. "
            "Remove the duplicated column so that each name is unique."
        )
    missing = [name for name in schema.columns if name not in header]
    if missing:
        raise StepInputError(
            f"{path}: missing column '{missing[0]}' (missing: {', '.join(missing)}). "
            "Add it, or update training_code/schema.json if the schema really changed."
        )
    unexpected = [name for name in header if name not in schema.columns]
    if unexpected:
        raise StepInputError(
            f"{path}: unexpected column '{unexpected[0]}'. Drop it from the file, or add it to "
            "training_code/schema.json if it is a new feature."
        )


def read_validated_csv(path: Path, schema: Schema) -> pd.DataFrame:
    """Read one raw CSV and check it against the schema; the columns come back in schema order.

    The C parser infers numeric columns in one pass; only a column that did not come back numeric
    is inspected row by row, so a million clean rows cost one read and no string copies.
    """
    header, form = _read_header(path)
    where = path if form.delimiter == "," else f"{path} ({form.name}-delimited)"
    check_header(where, header, schema)
    if form.delimiter != ",":
        print(f"{path}: read as {form.name}-delimited (detected from the header).", flush=True)
    try:
        frame = pd.read_csv(
            path, encoding=form.encoding, sep=form.delimiter, skipinitialspace=True
        ).rename(columns=str.strip)
    except UnicodeDecodeError:
        raise StepInputError(
            f"{path}: not valid UTF-8 past the header. Re-save the whole file as UTF-8."
        ) from None
    except (pd.errors.ParserError, csv.Error, ValueError) as error:
        reason = str(error).splitlines()[0][:200]
        raise StepInputError(f"{where}: malformed CSV ({reason}). Fix the row it names.") from None
    _check_field_sizes(where, frame)
    if frame.empty:
        raise StepInputError(f"{path}: the file has a header but no data rows. Add data rows.")
    columns = {name: _numeric_column(where, frame[name], name) for name in schema.features}
    columns[schema.label] = _label_column(where, frame[schema.label], schema.label)
    return pd.DataFrame(columns, columns=list(schema.columns))


def _check_field_sizes(where: object, frame: pd.DataFrame) -> None:
    """Only text columns can hold a long cell; numeric ones were parsed as numbers already."""
    for name in [column for column in frame.columns if not is_numeric_dtype(frame[column])]:
        lengths = frame[name].astype("string").str.len()
        too_long = lengths > MAX_FIELD_CHARS
        if too_long.any():
            row = _first_row(too_long)
            raise StepInputError(
                f"{where}: column '{name}' holds a cell of {int(lengths.iloc[row - 1])} characters "
                f"in data row {row} (a value is at most {MAX_FIELD_CHARS}). Fix that row; the "
                "content is not shown."
            )


def _first_row(mask: pd.Series) -> int:
    return int(np.flatnonzero(mask.to_numpy())[0]) + 1


def _numeric_column(path: object, values: pd.Series, name: str) -> pd.Series:
    converted = values if is_numeric_dtype(values) else pd.to_numeric(values, errors="coerce")
    wrong_type = converted.isna() & values.notna()
    if wrong_type.any():
        row = _first_row(wrong_type)
        value = str(values.iloc[row - 1])
        hint = " (a decimal comma: write it with a point)" if DECIMAL_COMMA.match(value) else ""
        raise StepInputError(
            f"{path}: column '{name}' must be numeric, but data row {row} holds "
            f"{shown(value)}{hint}. Fix or remove that value."
        )
    if converted.isna().any():
        raise StepInputError(
            f"{path}: column '{name}' is empty in data row {_first_row(converted.isna())}. Fill in "
            "the value or drop the row; the model does not accept missing features."
        )
    numbers = converted.astype("float64")
    infinite = ~np.isfinite(numbers)
    if infinite.any():
        row = _first_row(infinite)
        raise StepInputError(
            f"{path}: column '{name}' holds a non-finite value ({numbers.iloc[row - 1]}, written "
            f"{shown(values.iloc[row - 1])}) in data row {row}. Replace it with a finite number "
            "or drop the row; inf or a number beyond 1.8e308 would train a broken model."
        )
    return numbers


def _label_column(path: object, values: pd.Series, name: str) -> pd.Series:
    numbers = values if is_numeric_dtype(values) else pd.to_numeric(values, errors="coerce")
    missing = values.isna()
    if missing.any():
        raise StepInputError(
            f"{path}: label column '{name}' is empty (NaN) in data row {_first_row(missing)}. "
            "Every row needs a label of 0 or 1: fill it in or drop the row."
        )
    invalid = ~numbers.isin([0, 1])
    if invalid.any():
        row = _first_row(invalid)
        raise StepInputError(
            f"{path}: label column '{name}' must be 0 or 1, but data row {row} holds "
            f"{shown(values.iloc[row - 1])}. Encode the classes as 0 and 1."
        )
    return numbers.astype("int64")


def check_classes(frame: pd.DataFrame, schema: Schema, source: str) -> None:
    classes = frame[schema.label].unique()
    if len(classes) < 2:
        raise StepInputError(
            f"{source}: label column '{schema.label}' has a single class ({classes[0]}). A binary "
            "classifier needs rows of both classes 0 and 1: add rows of the missing class."
        )


def load_split(directory: Path, schema: Schema) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of a split written by preprocess (already validated, so read fast)."""
    files = sorted(directory.glob("*.csv"))
    if not files:
        raise StepInputError(
            f"{directory}: no split CSV found. Wire this input to the Preprocess output of the "
            "same name in the pipeline definition."
        )
    frame = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    features = frame[list(schema.features)].to_numpy(dtype=np.float64)
    return features, frame[schema.label].to_numpy(dtype=np.int64)
