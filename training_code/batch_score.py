"""Batch scoring: the approved champion scores every row of the batch input.

Runs as a Processing job of the batch pipeline (build_pipeline/batch.py), in the job image:
  /opt/ml/processing/champion/   model.tar.gz and champion.json of the approved champion
                                 (<prefix>/champion/current/), or only NO_CHAMPION
  /opt/ml/processing/input/data/ CSV files with a header row: the schema's feature columns plus any
                                 others (ids, timestamps), which are passed through untouched
  /opt/ml/processing/output/     <date>/<same relative path>.csv: every input row in input order,
                                 its columns, then `prediction` and `probability`;
                                 <date>/_metadata.json: the model package ARN and version, the
                                 model's sha256, and every file's row count
The date is BATCH_DATE (YYYY-MM-DD) when set, else today's (UTC): outputs land under
<prefix>/batch/output/<date>/. Files are read in chunks, so their size is bounded by disk only.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import tarfile
import tempfile
import time
from itertools import islice
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from contract import StepInputError, fail, opt_ml, write_json_atomically
from data_statistics import file_digest
from dataset import load_schema

CHUNK_ROWS = 100_000
OUTPUT_COLUMNS = ("prediction", "probability")
METADATA_FILE = "_metadata.json"


def scoring_date(value: str | None) -> str:
    if not value:
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise StepInputError(
            f"BATCH_DATE '{value}' is not a date: use YYYY-MM-DD (or leave it empty for today)."
        ) from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise StepInputError(f"BATCH_DATE '{value}' must be written YYYY-MM-DD.")
    return value


def load_champion(champion_dir: Path, scratch: Path) -> tuple[object, list[str], dict]:
    """The champion's model, its feature order and its registry identity (champion.json)."""
    archive = champion_dir / "model.tar.gz"
    if not archive.is_file():
        raise StepInputError(
            f"{champion_dir}: no champion model.tar.gz (only NO_CHAMPION?). Approve a model "
            "package first: batch scoring uses the approved champion only."
        )
    identity_file = champion_dir / "champion.json"
    if not identity_file.is_file():
        raise StepInputError(
            f"{identity_file}: missing, so the output could not name the model package that "
            "scored it. Approve (or re-approve) the champion: approval writes champion.json."
        )
    identity = json.loads(identity_file.read_text(encoding="utf-8"))
    if not identity.get("ModelPackageArn"):
        raise StepInputError(f"{identity_file}: no ModelPackageArn. Re-approve the champion.")
    with tarfile.open(archive) as bundle:
        bundle.extractall(scratch, filter="data")
    metadata = json.loads((scratch / "model_metadata.json").read_text(encoding="utf-8"))
    identity = {**identity, "ModelSha256": file_digest(archive)}
    return joblib.load(scratch / "model.joblib"), list(metadata["features"]), identity


def input_files(input_dir: Path) -> list[Path]:
    files = sorted(p for p in input_dir.rglob("*.csv") if p.is_file()) if input_dir.is_dir() else []
    if not files:
        raise StepInputError(
            f"{input_dir}: no .csv file to score. Upload CSV files with a header row to the "
            "batch input prefix (<prefix>/batch/input/; locally: make batch ENV=local INPUT=file)."
        )
    return files


def _features(path: Path, chunk: pd.DataFrame, features: list[str], first_row: int) -> np.ndarray:
    values = chunk[features]
    if all(is_numeric_dtype(values[name]) for name in features) and not values.isna().any().any():
        return values.to_numpy(dtype=np.float64)
    converted = values.apply(pd.to_numeric, errors="coerce")
    bad = converted.isna().to_numpy()
    if not bad.any():
        return converted.to_numpy(dtype=np.float64)
    row, column = (int(i) for i in np.argwhere(bad)[0])
    raise StepInputError(
        f"{path}: data row {first_row + row}, column '{features[column]}' holds "
        f"'{values.iloc[row][features[column]]}', not a number. Fix or remove that row."
    )


def check_header(path: Path, features: list[str]) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    missing = [name for name in features if name not in header]
    if missing:
        raise StepInputError(
            f"{path}: missing feature column '{missing[0]}' (missing: {len(missing)}). The header "
            "must name every feature of training_code/schema.json; other columns pass through."
        )
    clash = [name for name in OUTPUT_COLUMNS if name in header]
    if clash:
        raise StepInputError(
            f"{path}: column '{clash[0]}' would be overwritten by the score. Rename it."
        )
    return header


def _has_quotes(path: Path) -> bool:
    with path.open("rb") as handle:
        return any(b'"' in block for block in iter(lambda: handle.read(1 << 20), b""))


def _data_lines(handle):
    """The file's data lines as written (blank lines skipped, as the CSV parser skips them)."""
    for line in handle:
        text = line.rstrip("\r\n")
        if text.strip():
            yield text


def score_file(model, features: list[str], source: Path, target: Path) -> int:
    """Score one CSV chunk by chunk into target (written whole, then renamed); returns rows.

    Every input line is copied as written and the two scores appended, so ids and other columns
    keep their exact text; only the feature columns are parsed (the C parser, in chunks). A file
    with quoted fields (which may hold commas or line breaks) goes through the CSV writer instead.
    """
    check_header(source, features)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    verbatim = not _has_quotes(source)
    rows = 0
    with (
        source.open(encoding="utf-8", newline="") as raw,
        partial.open("w", encoding="utf-8", newline="") as out,
    ):
        header = raw.readline().rstrip("\r\n")
        lines = _data_lines(raw)
        reader = pd.read_csv(
            source,
            chunksize=CHUNK_ROWS,
            usecols=features if verbatim else None,
            dtype=None if verbatim else str,
            keep_default_na=False,  # an empty feature is an error that names its row
        )
        if verbatim:
            out.write(f"{header},{','.join(OUTPUT_COLUMNS)}\n")
        for chunk in reader:
            if not verbatim:
                chunk = chunk.fillna("")
            matrix = _features(source, chunk, features, rows + 1)
            probabilities = model.predict_proba(matrix)[:, 1]
            if verbatim:
                written = list(islice(lines, len(chunk)))
                if len(written) != len(chunk):
                    raise StepInputError(
                        f"{source}: the CSV parser and the line count disagree after row {rows}. "
                        "Quote fields that hold line breaks, or remove stray characters."
                    )
                out.write(
                    "".join(
                        f"{line},{int(p >= 0.5)},{p:.6f}\n"
                        for line, p in zip(written, probabilities.tolist(), strict=True)
                    )
                )
            else:
                chunk["prediction"] = (probabilities >= 0.5).astype(int)
                chunk["probability"] = np.round(probabilities, 6)
                chunk.to_csv(out, header=rows == 0, index=False)
            rows += len(chunk)
    if rows == 0:
        partial.unlink()
        raise StepInputError(f"{source}: a header but no data rows. Remove the file or add rows.")
    os.replace(partial, target)
    return rows


def score(champion_dir: Path, input_dir: Path, output_dir: Path, date: str) -> dict:
    """Score every input file; returns the metadata written next to the outputs."""
    schema_features = list(load_schema().features)
    files = input_files(input_dir)
    with tempfile.TemporaryDirectory() as scratch:
        model, features, identity = load_champion(champion_dir, Path(scratch))
        if sorted(features) != sorted(schema_features):
            raise StepInputError(
                f"{champion_dir}: the champion was trained on other features than "
                "training_code/schema.json names. Retrain, or score with the matching code."
            )
        results = []
        for source in files:
            relative = source.relative_to(input_dir)
            rows = score_file(model, features, source, output_dir / date / relative)
            results.append(
                {"input": relative.as_posix(), "output": relative.as_posix(), "rows": rows}
            )
    metadata = {
        "model_package_arn": identity["ModelPackageArn"],
        "model_package_version": identity.get("ModelPackageVersion"),
        "model_sha256": identity["ModelSha256"],
        "date": date,
        "scored_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": results,
        "rows": sum(item["rows"] for item in results),
        "columns_added": list(OUTPUT_COLUMNS),
    }
    write_json_atomically(output_dir / date / METADATA_FILE, metadata)
    return metadata


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    processing = opt_ml("processing")
    parser.add_argument("--champion-dir", type=Path, default=processing / "champion")
    parser.add_argument("--input-dir", type=Path, default=processing / "input" / "data")
    parser.add_argument("--output-dir", type=Path, default=processing / "output")
    parser.add_argument("--date", default=os.environ.get("BATCH_DATE", ""))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        metadata = score(
            args.champion_dir, args.input_dir, args.output_dir, scoring_date(args.date)
        )
    except StepInputError as error:
        fail(str(error), failure_file=opt_ml("output", "message"))
    print(
        f"scored rows={metadata['rows']} files={len(metadata['files'])} "
        f"model={metadata['model_package_arn']} date={metadata['date']} "
        f"seconds={time.perf_counter() - started:.3f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
