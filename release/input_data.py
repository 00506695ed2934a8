"""The data a started pipeline reads: `pipeline.input_data_uri` must hold at least one object.

A fresh environment's raw/ prefix is empty, so its first `START_PIPELINE=1` run would fail at
Preprocess. With `pipeline.seed_sample_data: true` (dev) the deploy writes the offline sample set
(scikit-learn's breast cancer data, `make data` locally) to `<input_data_uri>sample/`; otherwise it
stops before anything changes and says how to upload data.

The seed is written after the targeted first apply (bucket and key exist) and before the full
apply creates the new-data rule, so on a fresh environment the upload itself starts no run: the
deploy's own START_PIPELINE run is the only one.
"""

from __future__ import annotations

from env_config import EnvConfig

SAMPLE_KEY = "sample/breast_cancer.csv"


def seeding_enabled(config: EnvConfig) -> bool:
    """pipeline.seed_sample_data, optional in environments/schema.json (absent means false)."""
    return config.raw.get("pipeline", {}).get("seed_sample_data") is True


def split_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/a/b/ -> ("bucket", "a/b/")."""
    if not uri.startswith("s3://"):
        raise ValueError(f"{uri!r} is not an s3:// URI")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    return bucket, prefix


def sample_csv() -> bytes:
    """The sample set as the raw CSV Preprocess reads (the same bytes `make data` writes)."""
    import io

    from sample_data import sample_frame

    buffer = io.StringIO()
    sample_frame().to_csv(buffer, index=False, float_format="%.10g")
    return buffer.getvalue().encode()
