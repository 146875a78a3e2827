"""A stratified share of a dataset's training split (validation and test unchanged): what a learning-curve point
trains on (core.training.learning_curve plans the points; the pipeline trains on TrainingSpec.train_fraction)."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from core.data.dataset import Dataset


def subset_size(total: int, fraction: float, num_classes: int = 0) -> int:
    """Training examples kept at `fraction` of `total`: round(fraction * total), at least one per class."""
    if not 0.0 < float(fraction) <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}; use e.g. 0.25 for a quarter.")
    return int(min(total, max(int(round(float(fraction) * total)), int(num_classes), 1)))


def _take(x: Any, index: np.ndarray) -> Any:
    if isinstance(x, Mapping):
        return {name: _take(column, index) for name, column in x.items()}
    if isinstance(x, list):
        return [x[i] for i in index]
    if hasattr(x, "iloc"):
        return x.iloc[index]
    return np.asarray(x)[index]


def training_subset(dataset: Dataset, fraction: float, *, seed: int = 0) -> Dataset:
    """The dataset with a `fraction` of its training split, stratified by class; validation and test unchanged.

    Class labels (integer y) keep their shares (every class keeps at least one example); ratings
    (float y) are sampled uniformly. The same seed draws the same subset.
    """
    y = np.asarray(dataset.y_train)
    total = len(y)
    stratify = np.issubdtype(y.dtype, np.integer)
    classes = len(np.unique(y)) if stratify else 0
    size = subset_size(total, fraction, classes)
    if size >= total:
        return dataset
    from sklearn.model_selection import train_test_split

    index = np.arange(total)
    try:
        keep, _ = train_test_split(index, train_size=size, random_state=seed, stratify=y if stratify else None)
    except ValueError:  # a class with one example cannot be split in two: fall back to a uniform draw
        keep, _ = train_test_split(index, train_size=size, random_state=seed)
    keep = np.sort(keep)
    return dataclasses.replace(dataset, x_train=_take(dataset.x_train, keep), y_train=y[keep])
