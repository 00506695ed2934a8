"""The row-hash split and the mergeable statistics, as functions on small data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_statistics import FeatureMoments, SplitStatistics
from split import assign_parts, assign_splits, row_hashes


def frame(rows=5000, seed=0):
    generator = np.random.default_rng(seed)
    data = pd.DataFrame(generator.normal(size=(rows, 3)), columns=["a", "b", "c"])
    data["label"] = (data["a"] > 0).astype("int64")
    return data


def test_a_rows_split_depends_on_its_values_not_its_position():
    data = frame()
    splits = assign_splits(row_hashes(data, 42), 0.15, 0.15)
    shuffled = data.sample(frac=1.0, random_state=3)
    again = assign_splits(row_hashes(shuffled.reset_index(drop=True), 42), 0.15, 0.15)
    np.testing.assert_array_equal(again, splits[shuffled.index.to_numpy()])


def test_fractions_are_honoured_and_the_seed_changes_the_split():
    data = frame(20000)
    splits = assign_splits(row_hashes(data, 42), 0.15, 0.15)
    shares = np.bincount(splits, minlength=3) / len(splits)
    np.testing.assert_allclose(shares, [0.70, 0.15, 0.15], atol=0.01)
    other = assign_splits(row_hashes(data, 7), 0.15, 0.15)
    assert (other != splits).mean() > 0.3


def test_parts_spread_rows_evenly():
    counts = np.bincount(assign_parts(row_hashes(frame(20000), 42), 4), minlength=4)
    assert counts.min() > 0.9 * counts.max()


def test_duplicate_rows_land_in_the_same_split():
    data = frame(100)
    doubled = pd.concat([data, data], ignore_index=True)
    splits = assign_splits(row_hashes(doubled, 42), 0.15, 0.15)
    np.testing.assert_array_equal(splits[:100], splits[100:])


@pytest.mark.parametrize("pieces", [1, 2, 7])
def test_moments_merged_from_pieces_equal_the_whole(pieces):
    values = np.random.default_rng(1).normal(5, 3, size=1001)
    merged = FeatureMoments()
    for piece in np.array_split(values, pieces):
        merged = merged.merge(FeatureMoments.of(piece))
    assert merged.count == 1001
    assert merged.mean == pytest.approx(values.mean(), rel=1e-12)
    assert merged.std == pytest.approx(values.std(), rel=1e-12)
    assert (merged.minimum, merged.maximum) == (values.min(), values.max())


def test_an_empty_shard_changes_nothing():
    whole = SplitStatistics()
    whole.add({"a": np.array([1.0, 2.0])}, np.array([0, 1]))
    merged = whole.merge(SplitStatistics())
    assert (merged.rows, merged.positives, merged.features["a"].mean) == (2, 1, 1.5)
