"""The Runs page: the run history as a table, overlaid curves, one run's details and actions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from core.audit import delete_run
from core.config import get_settings
from core.errors import StudioError
from core.models.io import is_legacy_pickle
from core.tracking.records import run_record
from dashboard import access, charts
from dashboard.history_views import curve_label
from dashboard.i18n import device_text, error_text, t
from dashboard.run_names import (dataset_text, metric_value_text, model_name, primary_metric_text, seconds_text,
                                 status_label, use_case_title)

if TYPE_CHECKING:
    from core.tracking.store import Tracker

def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The run history as a person reads it: translated headers, units, status words."""
    return pd.DataFrame(
        {
            t("runs.col_started"): runs["started"].dt.strftime("%Y-%m-%d %H:%M:%S")
            if hasattr(runs["started"], "dt") else runs["started"],
            t("runs.col_use_case"): runs["use_case"].map(use_case_title),
            t("runs.col_dataset"): [dataset_text(row) for row in runs.to_dict("records")],
            t("runs.col_model"): [model_name(row.get("use_case"), row["model"]) for row in runs.to_dict("records")],
            t("runs.col_device"): runs["device"].map(device_text),
            # fitting alone (the labs' "Training time" tile) and the whole run (loading, testing, saving)
            t("runs.col_train_time"): runs["train_seconds"].map(seconds_text) if "train_seconds" in runs else "–",
            t("runs.col_duration"): runs["duration_s"].map(seconds_text),
            t("runs.col_metric"): [primary_metric_text(row) for row in runs.to_dict("records")],
            t("runs.col_status"): runs["status"].map(status_label),
            t("access.col_user"): runs["user"].replace("", "–") if "user" in runs else "–",
            t("runs.col_id"): runs["run_id"].str[:8],
        }
    )


def run_labels(runs: pd.DataFrame) -> dict[str, str]:
    """Short unambiguous names for runs in pickers and legends."""
    labels: dict[str, str] = {}
    for row in runs.to_dict("records"):
        started = row["started"].strftime("%m-%d %H:%M") if isinstance(row["started"], (pd.Timestamp, dt.datetime)) else ""
        label = (f"{model_name(row.get('use_case'), row['model'])} · {dataset_text(row)} · "
                 f"{primary_metric_text(row)} · {started}")
        if label in labels.values():  # two runs alike to the minute: the run id tells them apart
            label = f"{label} · {row['run_id'][:6]}"
        labels[row["run_id"]] = label
    return labels


def default_overlay(runs: pd.DataFrame, *, limit: int = 3) -> list[str]:
    """The newest completed runs of ONE use case (the newest run's): curves of different tasks never share a chart
    unless someone picks them."""
    completed = runs[runs["status"] == "completed"]
    if completed.empty:
        return []
    if "started" in completed:
        completed = completed.sort_values("started", ascending=False, kind="stable")
    newest_use_case = completed["use_case"].iloc[0]
    return list(completed.loc[completed["use_case"] == newest_use_case, "run_id"][:limit])


def recorded_curves(histories: dict[str, dict[str, list[float]]]) -> set[str]:
    """Curve names (accuracy, auc, loss) that at least one run ({run_id: history}) recorded per epoch; loss always."""
    names = {"loss"}
    for history in histories.values():
        names.update(name for name in history if not name.startswith("val_"))
    return names


def single_point_runs(histories: dict[str, dict[str, list[float]]], metric: str) -> list[str]:
    """Runs whose `metric` is one point, not a curve: fitted in one pass (scorecard, boosting, ALS...) or one epoch."""
    return [run_id for run_id, history in histories.items()
            if max(len(history.get(metric) or []), len(history.get(f"val_{metric}") or [])) == 1]


def render_runs_overlay(histories: dict[str, dict[str, list[float]]], labels: dict[str, str], metric: str,
                        *, tasks: Any = ()) -> None:
    """Training and validation curves of several runs ({run_id: history}) on one chart.

    A run with a single point (one pass or one epoch) would be a lone dot at epoch 1 that reads as a
    curve stopped early: it is left out of the chart, and a note names it.
    """
    label = curve_label(metric, tasks)
    single = single_point_runs(histories, metric)
    drawn = {run_id: history for run_id, history in histories.items() if run_id not in single}
    if drawn:
        st.plotly_chart(
            charts.plot_runs_overlay({labels[run_id]: history for run_id, history in drawn.items()}, metric=metric,
                                     title=t("runs.overlay_chart", metric=label), x_title=t("lab.epoch"),
                                     y_title=label, train_label=t("lab.train_split"), val_label=t("lab.val_split")),
            key="runs_overlay_chart",
        )
    if single:
        st.info(t("runs.overlay_single_point", metric=label, runs="; ".join(labels[run_id] for run_id in single)))


def render_run_details(tracker: Tracker, run_id: str) -> None:
    """One run: its figures and settings, re-evaluate its reloaded model, download it, delete it."""
    from dashboard.labs import lab_view

    run = tracker.get_run(run_id)
    record = run_record(run)
    tags, params = run.data.tags, run.data.params
    use_case_id = params.get("use_case")
    status = record.status
    explanation = t(f"training.status_help.{status}") if status in ("interrupted", "diverged") else ""
    if status == "interrupted" and record.worker:  # a Ray worker died, not this app: name it
        explanation = t("jobs.interrupted_worker", worker=record.worker)
    st.markdown(f"**{t('runs.status', status=status_label(status))}** {explanation}")
    lab = lab_view(use_case_id)
    lab.metric_row(run.data.metrics, tags)
    with st.expander(t("runs.settings")):
        st.json({"run_id": run_id, **params, "dataset_title": record.dataset_title,
                 "dataset_fingerprint": record.fingerprint}, expanded=False)
    completed = record.completed
    col_eval, col_download, col_delete = st.columns(3)
    if col_eval.button(t("runs.reevaluate"), key="runs_reevaluate", disabled=not completed,
                       help=t("runs.reevaluate_help")):
        from core.training.saved_runs import reevaluate_run

        try:
            with st.spinner(t("runs.reevaluating")):
                evaluation = reevaluate_run(tracker, run_id)
        except StudioError as error:
            st.error(error_text(error))
        else:
            from core.contract.registry import USE_CASES

            metric = USE_CASES[use_case_id].primary_metric if use_case_id in USE_CASES else "test_accuracy"
            fresh = metric_value_text(metric, evaluation.get(metric.removeprefix("test_")))  # same words as stored
            st.success(t("runs.reevaluated", accuracy=fresh, stored=primary_metric_text({**run.data.metrics,
                                                                                          **params})))
            if not evaluation.get("same_data", True):
                st.warning(t("runs.data_changed"))
            lab.evaluation(evaluation, key=f"reeval_{run_id}")
    if completed:
        try:
            path = tracker.model_path(run_id)
        except (StudioError, FileNotFoundError, OSError):
            path = None
        if path is not None and Path(path).is_file():
            if is_legacy_pickle(path):
                st.info(t("access.legacy_pickle"))
            with col_download:
                if access.can("export", note=True):
                    st.download_button(t("runs.download"), data=Path(path).read_bytes(), file_name=Path(path).name,
                                       mime="application/octet-stream", key="runs_download")
    with col_delete:
        if not access.can("delete", note=True):
            return
    confirm = col_delete.checkbox(t("runs.delete_confirm"), key="runs_delete_confirm")
    if col_delete.button(t("runs.delete"), key="runs_delete", disabled=not confirm):
        try:
            delete_run(tracker, access.current_identity(), run_id, log_path=get_settings().audit_log)
        except StudioError as error:
            st.error(error_text(error))
            return
        st.session_state.pop("runs_focus", None)
        st.session_state.pop("runs_delete_confirm", None)
        st.toast(t("runs.deleted"))
        st.rerun()
