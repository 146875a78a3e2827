"""The metric catalogue: every metric the studio logs or ranks, with its direction, display format,
label and the tasks it belongs to. Selection, strategy and the dashboards look a metric up here
instead of keeping their own lower-is-better lists. Plain data; importing it imports nothing heavy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

HIGHER = "higher"
LOWER = "lower"
NEUTRAL = "none"  # logged for the record (epochs run), never ranked
ALL_TASKS = ("multiclass", "binary", "rating")


@dataclass(frozen=True)
class Metric:
    """One logged metric. format: percent | ratio | stars | cost | ms | seconds | per_second | count | bytes | mb."""

    name: str
    direction: str  # higher | lower | none
    format: str
    label_key: str  # i18n key of its name for people
    tasks: tuple[str, ...] = ALL_TASKS

    @property
    def higher_is_better(self) -> bool:
        return self.direction != LOWER

    def format_value(self, value: Any) -> str:
        """The value as the comparison table shows it: percent metrics in %, the rest as plain decimals."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            return "–"
        if not math.isfinite(number):
            return "–"
        return f"{number:.2%}" if self.format == "percent" else f"{number:.3f}"


def _quality(name: str, direction: str, format: str, *tasks: str) -> Metric:
    return Metric(name, direction, format, f"selection.metrics.{name}", tasks)


def _operational(name: str, direction: str, format: str) -> Metric:
    return Metric(name, direction, format, f"metric_catalogue.{name}")


# Curves fitted models log per epoch (Keras metric names, the scikit-learn fit's loss/accuracy), on
# the training and the validation split; the pipeline also logs each last value as final_<curve>.
_HISTORY = {"loss": (LOWER, "ratio"), "accuracy": (HIGHER, "percent"), "auc": (HIGHER, "ratio"),
            "rmse": (LOWER, "stars"), "mae": (LOWER, "stars")}

METRICS: dict[str, Metric] = {metric.name: metric for metric in (
    _quality("test_accuracy", HIGHER, "percent", "multiclass", "binary"),
    _quality("test_macro_f1", HIGHER, "percent", "multiclass"),
    _quality("test_roc_auc", HIGHER, "ratio", "binary"),
    _quality("test_pr_auc", HIGHER, "ratio", "binary"),
    _quality("test_ks", HIGHER, "ratio", "binary"),
    _quality("test_gini", HIGHER, "ratio", "binary"),
    _quality("test_brier", LOWER, "ratio", "binary"),
    _quality("test_min_cost", LOWER, "cost", "binary"),
    _quality("test_rmse", LOWER, "stars", "rating"),
    _quality("test_mae", LOWER, "stars", "rating"),
    _quality("test_hit_rate_at_10", HIGHER, "percent", "rating"),
    _quality("test_ndcg_at_10", HIGHER, "ratio", "rating"),
    _quality("test_coverage_at_10", HIGHER, "percent", "rating"),
    _operational("latency_p50_ms", LOWER, "ms"),
    _operational("latency_p95_ms", LOWER, "ms"),
    _operational("batch_throughput", HIGHER, "per_second"),
    _operational("samples_per_second", HIGHER, "per_second"),
    _operational("train_seconds", LOWER, "seconds"),
    _operational("epochs_run", NEUTRAL, "count"),
    _operational("peak_rss_mb", LOWER, "mb"),
    _operational("parameters", LOWER, "count"),
    _operational("model_size_bytes", LOWER, "bytes"),
    *(_operational(f"{final}{split}{name}", direction, format)
      for name, (direction, format) in _HISTORY.items() for split in ("", "val_") for final in ("", "final_")),
)}


def metric(name: str) -> Metric:
    """The catalogue entry of a metric; KeyError for a name the studio does not log."""
    return METRICS[name]


def find(name: str) -> Metric | None:
    """The catalogue entry of a metric, or None for a name it does not know."""
    return METRICS.get(name)


def higher_is_better(name: str) -> bool:
    """False for error-like metrics (RMSE, MAE, loss, cost, latency) where lower is better; True if unknown."""
    entry = METRICS.get(name)
    return entry is None or entry.higher_is_better


def is_percent(name: str) -> bool:
    """Whether a metric is shown in % (accuracy, macro-F1, HitRate@10, coverage)."""
    entry = METRICS.get(name)
    return entry is not None and entry.format == "percent"


def finite_value(value: Any) -> float | None:
    """A logged metric value as a float; None when it is missing, not a number, NaN or infinite."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def format_metric(name: str, value: Any) -> str:
    """A metric value as people read it: accuracy and hit rate in %, AUC, KS, RMSE as plain decimals."""
    entry = METRICS.get(name) or Metric(name, HIGHER, "ratio", "")
    return entry.format_value(value)


# Quality metrics a comparison shows per task, in this order (after the use case's primary metric).
TASK_METRICS = {
    "multiclass": ("test_accuracy", "test_macro_f1"),
    "binary": ("test_roc_auc", "test_pr_auc", "test_ks", "test_gini", "test_brier", "test_accuracy"),
    "rating": ("test_rmse", "test_mae", "test_hit_rate_at_10", "test_ndcg_at_10", "test_coverage_at_10"),
}


def task_metrics(task: str) -> tuple[str, ...]:
    """The quality metrics a comparison of this task's runs shows, in display order."""
    return TASK_METRICS.get(task, ())
