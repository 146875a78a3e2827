"""What a credit table looks like: its rows with the original column names, a per-column profile
(types, missing values, bad rate per level or quantile band) and bands for a sensitive column."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.data.dataset import Dataset
from core.usecases.finance.data import MISSING_TOKEN

def raw_frame(dataset: Dataset, split: str = "test") -> pd.DataFrame:
    """A split as a frame with the original column names (missing shown as NaN/None)."""
    x = {"train": dataset.x_train, "val": dataset.x_val, "test": dataset.x_test}[split]
    y = {"train": dataset.y_train, "val": dataset.y_val, "test": dataset.y_test}[split]
    data = {}
    for feature in dataset.extra["features"]:
        values = x[feature["key"]]
        if feature["kind"] == "categorical":
            values = np.where(values == MISSING_TOKEN, None, values)
        data[feature["name"]] = values
    frame = pd.DataFrame(data)
    frame[dataset.extra.get("target", "target")] = np.where(np.asarray(y) == 1, "bad", "good")
    return frame


def profile(dataset: Dataset, *, max_levels: int = 12, bins: int = 5) -> dict[str, Any]:
    """Column types, missing values, class balance and per-feature bad rate on the training split."""
    x, y = dataset.x_train, np.asarray(dataset.y_train)
    columns = []
    for feature in dataset.extra["features"]:
        values = x[feature["key"]]
        if feature["kind"] == "numeric":
            missing = np.isnan(values)
            groups = _numeric_groups(values, bins=bins)
        else:
            missing = values == MISSING_TOKEN
            groups = np.where(missing, "(missing)", values).astype(object)
        levels = []
        names, inverse = np.unique(groups.astype(str), return_inverse=True)
        for index, name in enumerate(names):
            mask = inverse == index
            levels.append({"level": str(name), "count": int(mask.sum()), "bad_rate": float(y[mask].mean())})
        if feature["kind"] == "categorical":
            levels.sort(key=lambda level: -level["count"])
            levels = levels[:max_levels]
        columns.append({
            "name": feature["name"], "kind": feature["kind"], "missing": int(missing.sum()),
            "missing_share": float(missing.mean()), "distinct": int(len(np.unique(values[~missing].astype(str)))),
            "levels": levels,
        })
    counts = np.bincount(y, minlength=2)
    return {
        "rows": {"train": len(y), "val": len(dataset.y_val), "test": len(dataset.y_test)},
        "bad": int(counts[1]), "good": int(counts[0]), "bad_rate": float(counts[1] / max(1, counts.sum())),
        "columns": columns, "notes": list(dataset.extra.get("notes", [])),
    }


def _numeric_groups(values: np.ndarray, *, bins: int) -> np.ndarray:
    """Quantile bands as labels like "[30, 45)"; missing as "(missing)"."""
    missing = np.isnan(values)
    finite = values[~missing]
    labels = np.full(len(values), "(missing)", dtype=object)
    if len(finite) == 0:
        return labels
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        labels[~missing] = _fmt(edges[0])
        return labels
    band = np.clip(np.searchsorted(edges, finite, side="right") - 1, 0, len(edges) - 2)
    names = [f"{i + 1}: [{_fmt(edges[i])}, {_fmt(edges[i + 1])}{']' if i == len(edges) - 2 else ')'}"
             for i in range(len(edges) - 1)]
    labels[~missing] = np.array(names, dtype=object)[band]
    return labels


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def band_column(values: np.ndarray, kind: str, *, bins: int = 4) -> np.ndarray:
    """Groups for a sensitive column: categories as they are, numbers in quantile bands (e.g. age bands)."""
    if kind == "numeric":
        return _numeric_groups(np.asarray(values, dtype=np.float32), bins=bins).astype(str)
    values = np.asarray(values, dtype=object)
    return np.where(values == MISSING_TOKEN, "(missing)", values).astype(str)
