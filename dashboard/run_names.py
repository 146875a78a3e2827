"""Runs, models, data and figures named as people know them, never by their ids."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.contract.registry import model_title
from core.evaluation.catalogue import format_metric
from dashboard.i18n import current_language, t

def use_case_title(use_case_id: str) -> str:
    from core.contract.registry import USE_CASES

    return t(USE_CASES[use_case_id].title_key) if use_case_id in USE_CASES else use_case_id


def model_name(use_case_id: Any, model_id: Any) -> str:
    """A candidate's name for people ("Gradient boosting (scikit-learn)"), not its id (`gbm`)."""
    return model_title(use_case_id, model_id, current_language())


def seconds_text(seconds: Any) -> str:
    """A duration as the Runs table and the labs' tiles both write it: "0.04 s" (a one-pass fit is not "0.0 s"),
    "12.3 s", "3:05 min"; "–" when unknown."""
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        return "–"
    if not np.isfinite(seconds):
        return "–"
    if seconds < 0.995:
        return f"{seconds:.2f} s"
    if seconds < 59.95:  # 59.96 s is "1:00 min", not "60.0 s"
        return f"{seconds:.1f} s"
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d} min"


def metric_value_text(metric: str, value: Any) -> str:
    """A test figure that says which metric it is: "AUC 0.812", "accuracy 93.1 %", "RMSE 0.857 stars"."""
    shown = format_metric(metric, value)  # "–" when missing or not finite
    if shown == "–":
        return shown
    if metric == "test_accuracy":
        return t("run_names.metric_value.test_accuracy", value=f"{float(value) * 100:.1f}")
    if metric in ("test_roc_auc", "test_rmse"):
        return t(f"run_names.metric_value.{metric}", value=f"{float(value):.3f}")
    return t("run_names.metric_value.other", metric=t(f"selection.metrics.{metric}"), value=shown)


def primary_metric_text(row: Any) -> str:
    from core.contract.registry import USE_CASES

    use_case = USE_CASES.get(row.get("use_case"))
    name = use_case.primary_metric if use_case else "test_accuracy"
    return metric_value_text(name, row.get(name))


def dataset_text(row: Any) -> str:
    """The data a run used as people know it: an upload's file name and size ("credit.csv · 1,000 rows"),
    else the source's title; never the source id (`upload_csv`) or the stored file's hash."""
    from core.contract.registry import USE_CASES

    use_case_id, source_id = row.get("use_case"), str(row.get("dataset") or "")
    use_case = USE_CASES.get(use_case_id)
    source = next((s for s in use_case.datasets if s.id == source_id), None) if use_case else None
    title = t(source.title_key) if source is not None else source_id
    uploaded = (source is not None and source.kind == "uploaded") or row.get("source_kind") == "uploaded"
    if not uploaded:
        return title
    name = str(row.get("source_name") or "").strip() or title
    try:
        rows = float(row.get("dataset_rows"))
    except (TypeError, ValueError):
        rows = float("nan")
    if not np.isfinite(rows):
        return name
    unit = use_case.unit_key if use_case else "run_names.rows.other"  # "{count} images": the use case's own word
    return t("run_names.upload", name=name, rows=t(unit, count=f"{int(rows):,}"))


def status_label(status: str) -> str:
    """A run's status in the reader's language ("Completed"); "–" when unknown."""
    return t(f"training.status.{status}") if status else "–"
