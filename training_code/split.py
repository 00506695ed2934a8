"""Which split and which part file a row goes to: decided by a hash of the row, never its position.

A row's key is its own values (every feature and the label, as the parsed numbers), hashed with
pandas' stable SipHash and mixed with the seed. The split therefore does not depend on the file a
row sits in, its line number, the order S3 lists the objects or how many hosts share the work: 1, 2
or 4 preprocessing hosts put every row in the same split. Identical rows share one split, so a
duplicated row cannot leak from train into test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SPLITS = ("train", "validation", "test")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads a seed change over every bit of the hash."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64, copy=True)
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z & _MASK64


def row_hashes(frame: pd.DataFrame, seed: int) -> np.ndarray:
    """One uint64 per row from its values alone (columns in schema order), salted by seed."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    with np.errstate(over="ignore"):
        salted = hashed ^ _mix(np.array([seed], dtype=np.uint64))[0]
    return _mix(salted)


def assign_splits(
    hashes: np.ndarray, validation_fraction: float, test_fraction: float
) -> np.ndarray:
    """Index into SPLITS for each row: the top 53 bits as a uniform number in [0, 1)."""
    uniform = (hashes >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    train_end = 1.0 - validation_fraction - test_fraction
    return np.where(uniform < train_end, 0, np.where(uniform < 1.0 - test_fraction, 1, 2))


def assign_parts(hashes: np.ndarray, parts: int) -> np.ndarray:
    """Which of a host's `parts` files a row goes to (low bits: independent of the split's)."""
    return ((hashes & np.uint64(0xFFFFFFFF)) % np.uint64(parts)).astype(np.int64)


def part_name(host: str, part: int) -> str:
    """A host's own file name: two hosts never write the same output key."""
    return f"part-{host}-{part:04d}.csv"
