"""Datasets by use case and source id, loaded once per process and kept in memory (at most 9).

The data tab, training, re-evaluation and the Strategy page's evidence all load through here, so a split is
built once and every reader sees the same one. Uploads are passed as a stored file path (core.data.uploads).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from core.contract.registry import get_use_case
from core.data.dataset import Dataset
from core.errors import DataError

# dataset_kwargs key naming an upload's original file ("german_credit.csv"): recorded with the run so people can
# tell uploads apart (the stored copy is named by a hash); never passed to the loader.
UPLOAD_NAME = "upload_name"
MAX_CACHED = 8

_DATASET_CACHE: dict[tuple, Dataset] = {}
_DATASET_LOCK = threading.Lock()


def loader_kwargs(dataset_kwargs: dict[str, Any]) -> dict[str, Any]:
    """dataset_kwargs without what only describes the data for people (the upload's file name)."""
    return {name: value for name, value in dataset_kwargs.items() if name != UPLOAD_NAME}


def load_dataset(use_case: str, dataset: str, *, seed: int = 0, **kwargs: Any) -> Dataset:
    """Load (and keep in memory) a use case's dataset; DataError when its source cannot be had here."""
    kwargs = loader_kwargs(kwargs)
    key = (use_case, dataset, seed, json.dumps(kwargs, sort_keys=True, default=str))
    with _DATASET_LOCK:
        cached = _DATASET_CACHE.get(key)
    if cached is not None:
        return cached
    source = get_use_case(use_case).dataset(dataset)
    available, reason_key = source.is_available()
    if not available:
        raise DataError(reason_key or "errors.data.source_unavailable", source=dataset)
    loaded = source.load(seed=seed, **kwargs)
    with _DATASET_LOCK:
        if len(_DATASET_CACHE) > MAX_CACHED:
            _DATASET_CACHE.clear()
        _DATASET_CACHE[key] = loaded
    return loaded
