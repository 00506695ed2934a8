"""Write the offline sample dataset: scikit-learn's Wisconsin breast cancer set as a raw CSV.

It ships inside the scikit-learn wheel, so `make data` works with no network. Columns are renamed to
the snake_case names of training_code/schema.json and the label is `malignant` (1 = malignant),
so the positive class is the one whose recall matters.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SCHEMA = Path(__file__).resolve().parent.parent / "training_code" / "schema.json"


def sample_frame():
    from sklearn.datasets import load_breast_cancer

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.data.copy()
    frame.columns = schema["features"]
    frame[schema["label"]] = 1 - bunch.target  # scikit-learn encodes benign as 1
    return frame


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/raw/breast_cancer.csv"))
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame = sample_frame()
    frame.to_csv(args.out, index=False, float_format="%.10g")
    print(f"wrote {len(frame)} rows x {frame.shape[1]} columns to {args.out}")


if __name__ == "__main__":
    main()
