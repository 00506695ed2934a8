"""Baseline: the training data's statistics and constraints, in Model Monitor's format.

Runs as a Processing job after Preprocess (input: the train split under
/opt/ml/processing/input/train; output: statistics.json and constraints.json under
/opt/ml/processing/baseline). RegisterModel registers both files with the model package
(DriftCheckBaselines and ModelMetrics.ModelDataQuality); the data-quality monitor of the endpoint
compares captured requests with them. Only the features are described: the endpoint never sees
the label.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from contract import StepInputError, fail, opt_ml, write_json_atomically
from data_quality import constraints, statistics
from dataset import load_schema, load_split


def baseline(train_dir: Path, output_dir: Path) -> dict[str, int]:
    """Write statistics.json and constraints.json of the train split; returns their sizes."""
    features, _labels = load_split(train_dir, load_schema())
    stats = statistics(features)
    write_json_atomically(output_dir / "statistics.json", stats)
    write_json_atomically(output_dir / "constraints.json", constraints(stats))
    return {"rows": int(features.shape[0]), "features": int(features.shape[1])}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    processing = opt_ml("processing")
    parser.add_argument("--train-dir", type=Path, default=processing / "input" / "train")
    parser.add_argument("--output-dir", type=Path, default=processing / "baseline")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        sizes = baseline(args.train_dir, args.output_dir)
    except StepInputError as error:
        fail(str(error), failure_file=opt_ml("output", "message"))
    print(f"baseline: rows={sizes['rows']} features={sizes['features']}", flush=True)


if __name__ == "__main__":
    main()
