"""Reading learning curves back: the points a curve job tracked, and how many labelled examples each model needed.

core.training.learning_curve trains the points (one tracked run per model and share of the training
split); this module only reads runs, so Model selection and the Strategy page use it without
importing TensorFlow.

"How many labelled examples does it need": `examples_needed` is the fewest measured training
examples at which a model came within `tolerance` (metric units, 0.01 = 1 point of accuracy)
of the best it reached on the curve.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from core.tracking.records import PARAM_CURVE, PARAM_CURVE_SIZE, PARAM_FRACTION, PARAM_SPLIT

if TYPE_CHECKING:
    from core.tracking.store import Tracker

TOLERANCE = 0.01


def curve_points(tracker: Tracker, use_case: str | None = None, *, split: str | None = None) -> Any:
    """The learning-curve points tracked for a use case (None: every use case); see points_from_runs."""
    return points_from_runs(tracker.list_runs(use_case=use_case, curve_points=True), split=split)


def points_from_runs(runs: Any, *, split: str | None = None) -> Any:
    """One row per completed run of a learning curve in Tracker.list_runs(curve_points=True), newest curve first.

    Columns: curve_id, split, use_case, model, fraction, train_size, started, run_id, dataset, test_size
    and the run's test metrics, training seconds, parameters and size. `split` keeps the curves drawn
    from that full-split fingerprint.
    """
    import pandas as pd

    columns = ["curve_id", "split", "use_case", "model", "fraction", "train_size", "started", "run_id"]
    if runs is None or runs.empty or PARAM_CURVE not in runs.columns:
        return pd.DataFrame(columns=columns)
    runs = runs[runs[PARAM_CURVE].notna() & (runs["status"] == "completed")]
    points = pd.DataFrame({
        "curve_id": runs[PARAM_CURVE].astype(str), "split": runs[PARAM_SPLIT].astype(str),
        "use_case": runs["use_case"].astype(str), "model": runs["model"].astype(str),
        "fraction": pd.to_numeric(runs[PARAM_FRACTION], errors="coerce"),
        "train_size": pd.to_numeric(runs[PARAM_CURVE_SIZE], errors="coerce"),
        "started": runs["started"], "run_id": runs["run_id"], "dataset": runs["dataset"].astype(str),
        "test_size": pd.to_numeric(runs["test_size"], errors="coerce") if "test_size" in runs else np.nan,
    })
    for name in runs.columns:
        if name.startswith(("test_", "latency_")) or name in ("train_seconds", "parameters", "model_size_bytes"):
            points[name] = pd.to_numeric(runs[name], errors="coerce")
    if split is not None:
        points = points[points["split"] == str(split)]
    if points.empty:
        return points.reset_index(drop=True)
    newest = points.groupby("curve_id")["started"].transform("max")
    return points.assign(_newest=newest).sort_values(["_newest", "model", "fraction"], ascending=[False, True, True]
                                                     ).drop(columns="_newest").reset_index(drop=True)


def latest_curve(points: Any) -> Any:
    """The newest curve's points of a curve_points() frame (empty stays empty)."""
    if len(points) == 0:
        return points
    return points[points["curve_id"] == points["curve_id"].iloc[0]].reset_index(drop=True)


def examples_needed(sizes: Sequence[float], values: Sequence[float], *, higher_is_better: bool = True,
                    tolerance: float = TOLERANCE) -> int | None:
    """Fewest training examples at which the metric came within `tolerance` of its best on the curve.

    None when no point has a finite value.
    """
    pairs = sorted((float(n), float(v)) for n, v in zip(sizes, values)
                   if v is not None and math.isfinite(float(v)) and n is not None and math.isfinite(float(n)))
    if not pairs:
        return None
    best = max(v for _, v in pairs) if higher_is_better else min(v for _, v in pairs)
    for size, value in pairs:
        if (value >= best - tolerance) if higher_is_better else (value <= best + tolerance):
            return int(size)
    return int(pairs[-1][0])  # unreachable: the best point always qualifies


def needed_by_model(points: Any, metric: str, *, higher_is_better: bool = True,
                    tolerance: float = TOLERANCE) -> dict[str, int]:
    """{model: examples_needed} of one curve's points (see curve_points / latest_curve)."""
    if len(points) == 0 or metric not in points:
        return {}
    needed = {}
    for model, rows in points.groupby("model", sort=False):
        value = examples_needed(rows["train_size"], rows[metric], higher_is_better=higher_is_better,
                                tolerance=tolerance)
        if value is not None:
            needed[str(model)] = value
    return needed
