"""Preprocess: validate the raw CSV files and split them into train, validation and test.

Runs as a SageMaker Processing job (inputs under /opt/ml/processing/input/data, outputs under
/opt/ml/processing/{train,validation,test}). The split is stratified and seeded, so the same data
always gives the same three files and therefore the same model downstream.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from contract import StepInputError, fail, opt_ml
from dataset import Schema, check_classes, find_csv_files, load_schema, read_validated_csv

SPLITS = ("train", "validation", "test")


def preprocess(
    input_dir: Path,
    output_dir: Path,
    schema: Schema,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 42,
) -> dict[str, int]:
    """Validate every CSV under input_dir, split, write <output_dir>/<split>/<split>.csv.

    Returns the row count of each split. Raises StepInputError for any bad input, before writing.
    """
    files = find_csv_files(input_dir)
    frame = pd.concat([read_validated_csv(path, schema) for path in files], ignore_index=True)
    check_classes(frame, schema, source=", ".join(str(path) for path in files))
    if len(frame) < 20:
        raise StepInputError(
            f"{input_dir}: only {len(frame)} data rows; at least 20 are needed to make train, "
            "validation and test splits. Add rows."
        )
    labels = frame[schema.label]
    train_part, holdout = train_test_split(
        frame,
        test_size=validation_fraction + test_fraction,
        random_state=seed,
        stratify=labels,
    )
    validation_part, test_part = train_test_split(
        holdout,
        test_size=test_fraction / (validation_fraction + test_fraction),
        random_state=seed,
        stratify=holdout[schema.label],
    )
    counts = {}
    for name, part in zip(SPLITS, (train_part, validation_part, test_part), strict=True):
        target = output_dir / name
        target.mkdir(parents=True, exist_ok=True)
        part.to_csv(target / f"{name}.csv", index=False, float_format="%.10g")
        counts[name] = len(part)
    return counts


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    processing = opt_ml("processing")
    parser.add_argument("--input-dir", type=Path, default=processing / "input" / "data")
    parser.add_argument("--output-dir", type=Path, default=processing)
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        counts = preprocess(
            args.input_dir,
            args.output_dir,
            load_schema(),
            validation_fraction=args.validation_fraction,
            test_fraction=args.test_fraction,
            seed=args.seed,
        )
    except StepInputError as error:
        fail(str(error), failure_file=opt_ml("output", "message"))
    print("rows: " + " ".join(f"{name}={count}" for name, count in counts.items()), flush=True)


if __name__ == "__main__":
    main()
