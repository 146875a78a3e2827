"""The Dataset value every use case trains on: fixed-seed splits plus schema and provenance."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import DataError


# A class under both shares is "rare" (Dataset.minority_class): accuracy then hides how badly it is recognised.
MINORITY_SHARE = 0.10
MINORITY_OF_BALANCED = 1 / 3


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train/validation/test splits with class names, provenance and licence.

    Vision: x arrays are float32 in [0, 1] shaped (n, height, width, channels); y is int64
    class indices into `class_names`.
    """

    id: str
    title: str
    task: str  # "multiclass" | "binary" | "rating"
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source_kind: str  # "bundled" | "online" | "uploaded"
    provenance: str
    licence: str
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example; () for a dict of columns (tables, user-item pairs)."""
        if isinstance(self.x_train, Mapping):
            return ()
        return tuple(int(d) for d in np.shape(self.x_train)[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}

    def class_counts(self, split: str = "train") -> np.ndarray:
        """How many examples of each class a split holds."""
        y = {"train": self.y_train, "val": self.y_val, "test": self.y_test}[split]
        return np.bincount(y, minlength=self.num_classes)

    def minority_class(self, *, share: float = MINORITY_SHARE, of_balanced: float = MINORITY_OF_BALANCED
                       ) -> dict[str, Any] | None:
        """The smallest training class when it is rare enough to hide behind accuracy, else None.

        Rare means under `share` of the rows and under `of_balanced` times the balanced share 1/k
        (with 20 classes a 4 % class is normal; with 3 classes it is not). Returns its index, name,
        share of the training rows and the largest class's share.
        """
        counts = self.class_counts("train")
        total = int(counts.sum())
        if self.num_classes < 2 or total == 0:
            return None
        smallest = int(np.argmin(counts))
        smallest_share = float(counts[smallest] / total)
        if smallest_share >= min(share, of_balanced / self.num_classes):
            return None
        return {"index": smallest, "name": self.class_names[smallest], "share": smallest_share,
                "largest_share": float(counts.max() / total)}

    @property
    def fingerprint(self) -> str:
        """Short content hash of all splits: runs with equal fingerprints used the same data."""
        digest = hashlib.sha256()
        for part in (self.x_train, self.y_train, self.x_val, self.y_val, self.x_test, self.y_test):
            _digest_update(digest, part)
        digest.update("|".join(self.class_names).encode())
        return digest.hexdigest()[:16]


def source_keys(provenance_key: str, licence_key: str = "", **args: Any) -> dict[str, Any]:
    """Dataset.extra entries that let the UI show provenance and licence in the reader's language.

    The English `provenance`/`licence` strings stay for logs and tracking; args named `*_key` are
    catalog keys of a phrase the UI translates before filling it in (e.g. "ratings" vs "interactions").
    Without a licence key the licence is a proper name shown as it is.
    """
    return {"provenance_key": provenance_key, "licence_key": licence_key, "provenance_args": args}


def _digest_update(digest: Any, part: Any) -> None:
    """Hash an array by content; a dict of columns by name and content; text/object arrays by value."""
    if isinstance(part, Mapping):
        for name in sorted(part):
            digest.update(str(name).encode())
            _digest_update(digest, part[name])
        return
    array = np.asarray(part)
    digest.update(str(array.shape).encode())
    if array.dtype == object:  # tobytes() of an object array is pointers: hash the values instead
        digest.update("\x1f".join("" if v is None else repr(v) for v in array.ravel()).encode("utf-8"))
    else:
        digest.update(np.ascontiguousarray(array).tobytes())


def split_stratified(
    x: np.ndarray,
    y: np.ndarray,
    *,
    test_size: float = 0.2,
    val_size: float = 0.1,
    random_state: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train/val/test split with a fixed seed; val_size is a fraction of the whole."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y)
    present = counts[counts > 0]
    if len(present) < 2:
        raise DataError("errors.data.one_class", count=int(len(present)))
    if present.min() < 3:
        raise DataError("errors.data.too_few_per_class", minimum=3, found=int(present.min()))
    # Whole counts (sklearn rounds fractions up); at least one example per class in test and in
    # validation, so a tiny upload (3 images per class) splits instead of crashing in sklearn.
    n_test = max(len(present), math.ceil(test_size * len(y)))
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=n_test, random_state=random_state, stratify=y
    )
    relative_val = val_size / (1.0 - test_size)
    n_val = max(len(present), math.ceil(relative_val * len(y_rest)))
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=n_val, random_state=random_state, stratify=y_rest
    )
    return x_train, y_train, x_val, y_val, x_test, y_test
