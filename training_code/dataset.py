"""The dataset schema and the checks that keep a bad file out of training.

Every check raises StepInputError with one message that names the file, the column and the fix, so a
failed Preprocess job's FailureReason is enough to act on without opening the logs.
"""

from __future__ import annotations

import csv
import json
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


def read_header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return next(csv.reader(handle), [])
    except UnicodeDecodeError as error:
        raise StepInputError(
            f"{path}: not valid UTF-8 (byte {error.start}). Re-save the file as UTF-8, for example "
            f"`iconv -f latin1 -t utf-8 {path.name} > fixed.csv`."
        ) from error


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
    check_header(path, read_header(path), schema)
    try:
        frame = pd.read_csv(path, encoding="utf-8", skipinitialspace=True)
    except UnicodeDecodeError as error:
        raise StepInputError(
            f"{path}: not valid UTF-8 past the header. Re-save the whole file as UTF-8."
        ) from error
    except pd.errors.ParserError as error:
        raise StepInputError(f"{path}: malformed CSV ({error}). Fix the row it names.") from error
    if frame.empty:
        raise StepInputError(f"{path}: the file has a header but no data rows. Add data rows.")
    columns = {name: _numeric_column(path, frame[name], name) for name in schema.features}
    columns[schema.label] = _label_column(path, frame[schema.label], schema.label)
    return pd.DataFrame(columns, columns=list(schema.columns))


def _first_row(mask: pd.Series) -> int:
    return int(np.flatnonzero(mask.to_numpy())[0]) + 1


def _numeric_column(path: Path, values: pd.Series, name: str) -> pd.Series:
    converted = values if is_numeric_dtype(values) else pd.to_numeric(values, errors="coerce")
    wrong_type = converted.isna() & values.notna()
    if wrong_type.any():
        row = _first_row(wrong_type)
        raise StepInputError(
            f"{path}: column '{name}' must be numeric, but data row {row} holds "
            f"'{values.iloc[row - 1]}'. Fix or remove that value."
        )
    if converted.isna().any():
        raise StepInputError(
            f"{path}: column '{name}' is empty in data row {_first_row(converted.isna())}. Fill in "
            "the value or drop the row; the model does not accept missing features."
        )
    return converted.astype("float64")


def _label_column(path: Path, values: pd.Series, name: str) -> pd.Series:
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
            f"'{values.iloc[row - 1]}'. Encode the classes as 0 and 1."
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
