"""The Dataset value and split_stratified: hand-counted split sizes, stratification, errors."""

from __future__ import annotations

import numpy as np
import pytest

from core.data import Dataset, split_stratified
from core.errors import DataError


def _dataset(x_train=None, **overrides) -> Dataset:
    fields = dict(
        id="toy", title="Toy", task="multiclass",
        x_train=np.zeros((4, 2, 2, 1), np.float32) if x_train is None else x_train,
        y_train=np.array([0, 1, 1, 2]),
        x_val=np.zeros((2, 2, 2, 1), np.float32), y_val=np.array([0, 2]),
        x_test=np.ones((3, 2, 2, 1), np.float32), y_test=np.array([1, 1, 1]),
        class_names=("a", "b", "c"), source_kind="bundled", provenance="made up", licence="CC0",
    )
    fields.update(overrides)
    return Dataset(**fields)


def test_dataset_properties():
    data = _dataset()
    assert data.input_shape == (2, 2, 1)
    assert data.num_classes == 3
    assert data.sizes == {"train": 4, "val": 2, "test": 3}
    np.testing.assert_array_equal(data.class_counts(), [1, 2, 1])
    np.testing.assert_array_equal(data.class_counts("val"), [1, 0, 1])
    np.testing.assert_array_equal(data.class_counts("test"), [0, 3, 0])


def test_fingerprint_follows_content_only():
    first, same = _dataset(), _dataset(title="Other title", provenance="elsewhere")
    assert first.fingerprint == same.fingerprint
    assert len(first.fingerprint) == 16
    changed = np.zeros((4, 2, 2, 1), np.float32)
    changed[3, 1, 1, 0] = 0.5  # one pixel
    assert _dataset(x_train=changed).fingerprint != first.fingerprint
    assert _dataset(class_names=("a", "b", "d")).fingerprint != first.fingerprint


def test_split_sizes_and_no_overlap():
    x = np.arange(100)  # each "image" is its own id
    y = np.repeat([0, 1], 50)
    x_train, y_train, x_val, y_val, x_test, y_test = split_stratified(x, y, random_state=0)
    # test = ceil(0.2 * 100) = 20; val = ceil(0.1 / 0.8 * 80) = 10; train = 70
    assert (len(x_train), len(x_val), len(x_test)) == (70, 10, 20)
    assert sorted(np.concatenate([x_train, x_val, x_test]).tolist()) == list(range(100))
    np.testing.assert_array_equal(np.bincount(y_test), [10, 10])
    np.testing.assert_array_equal(np.bincount(y_val), [5, 5])
    np.testing.assert_array_equal(y[x_train], y_train)  # labels travel with their rows


def test_split_is_fixed_by_random_state():
    x = np.arange(60)
    y = np.arange(60) % 3
    first = split_stratified(x, y, random_state=7)
    again = split_stratified(x, y, random_state=7)
    other = split_stratified(x, y, random_state=8)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[4], other[4])


def test_tiny_split_puts_every_class_in_every_split():
    """Three examples per class (the minimum) gives one per class in train, val and test."""
    y = np.repeat(np.arange(4), 3)
    x = np.arange(12)
    _, y_train, _, y_val, _, y_test = split_stratified(x, y, random_state=0)
    for split in (y_train, y_val, y_test):
        np.testing.assert_array_equal(np.bincount(split, minlength=4), [1, 1, 1, 1])


def test_split_one_class_is_refused():
    with pytest.raises(DataError, match="only one class") as caught:
        split_stratified(np.arange(10), np.zeros(10, dtype=np.int64))
    assert caught.value.key == "errors.data.one_class"
    assert "一个类别" in caught.value.message("zh")


def test_split_too_few_per_class_is_refused():
    y = np.array([0] * 10 + [1] * 2)
    with pytest.raises(DataError, match="only 2 example.*at least 3"):
        split_stratified(np.arange(12), y)


@pytest.mark.parametrize(("counts", "expected"), [
    ((97, 3), (1, 0.03)),  # binary: 3 % is rare
    ((90, 10), None),  # 10 % is not under 10 %
    ((60, 37, 3), (2, 0.03)),  # the three-class upload
    ((46, 46, 8), (2, 0.08)),
    ((40, 40, 20), None),
    ((*[5] * 19, 4), None),  # 20 classes: 4 % is close to the balanced 5 %
    ((*[5] * 19, 1), (19, 0.01)),
])
def test_minority_class_is_rare_under_both_shares(counts, expected):
    y = np.repeat(np.arange(len(counts)), counts)
    dataset = _dataset(x_train=np.zeros((len(y), 1), np.float32), y_train=y,
                       class_names=tuple(f"c{i}" for i in range(len(counts))))
    found = dataset.minority_class()
    if expected is None:
        assert found is None
    else:
        assert (found["index"], round(found["share"], 2)) == expected and found["name"] == f"c{expected[0]}"
        assert found["largest_share"] == pytest.approx(max(counts) / sum(counts))
