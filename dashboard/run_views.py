"""A lab's results: pick a tracked run, show what it measured, load its model once, import a saved model."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from core.config import get_settings
from core.errors import StudioError
from core.tracking.records import run_record
from dashboard import access
from dashboard.business_views import render_business_case
from dashboard.history_views import render_history_charts
from dashboard.i18n import error_text, t
from dashboard.run_names import dataset_text, model_name, primary_metric_text, status_label
from dashboard.uploads import checked_uploader
from dashboard.widgets import translated_choice


def render_run_picker(tracker: Any, use_case_id: str, source_id: str, *, key: str) -> str | None:
    """Choose one of this dataset's tracked runs (newest first); None when there are none."""
    runs = tracker.list_runs(use_case=use_case_id)
    runs = runs[runs["dataset"] == source_id] if not runs.empty else runs
    if runs.empty:
        return None
    labels = {}
    for row in runs.to_dict("records"):
        started = row["started"].strftime("%Y-%m-%d %H:%M") if isinstance(row["started"], (pd.Timestamp, dt.datetime)) else ""
        uploaded = f" · {dataset_text(row)}" if row.get("source_kind") == "uploaded" else ""
        labels[row["run_id"]] = (f"{started} · {model_name(use_case_id, row['model'])}{uploaded} · "
                                 f"{primary_metric_text(row)} · {status_label(row['status'])}")
    pending = st.session_state.pop("lab_pending_run", None)
    if pending in labels:
        st.session_state[key] = pending
    if st.session_state.get(key) not in labels:
        completed = runs.loc[runs["status"] == "completed", "run_id"]
        st.session_state[key] = completed.iloc[0] if not completed.empty else next(iter(labels))
    return translated_choice(st.selectbox, t("lab.pick_run"), list(labels), key=key, format_func=labels.get)


def evaluation_dataset(tracker: Any, run: Any, evaluation: dict[str, Any], dataset: Any) -> Any:
    """The dataset the evaluation indices refer to: the page's one when it matches, else the run's own."""
    if dataset is not None and evaluation.get("dataset_fingerprint") == dataset.fingerprint:
        return dataset
    from core.training.pipeline import load_run_dataset

    try:
        return load_run_dataset(tracker, run.info.run_id, record=run_record(run))
    except (StudioError, KeyError, FileNotFoundError):
        return None

def load_evaluation(tracker: Any, run_id: str) -> dict[str, Any] | None:
    """A run's stored evaluation.json; None when the run has none (failed early, imported, file gone)."""
    from core.training.pipeline import EVALUATION_FILE

    try:
        return tracker.load_dict(run_id, EVALUATION_FILE)
    except (StudioError, FileNotFoundError, OSError):
        return None


def render_run_results(tracker: Any, run_id: str, data: Any, *, lab: Any) -> None:
    """Everything a run measured, drawn with its use case's lab's parts: figures, curves, evaluation, business case."""
    try:
        run = tracker.get_run(run_id)
    except StudioError as error:
        st.error(error_text(error))
        return
    record = run_record(run)
    status, use_case_id = record.status, record.params.get("use_case")
    lab.metric_row(run.data.metrics, run.data.tags)
    if status != "completed":
        st.warning(t("lab.run_not_completed", status=status_label(status)))
    render_history_charts(tracker.history(run_id), key=f"{lab.prefix}_hist_{run_id}", curves=lab.curves)
    evaluation = load_evaluation(tracker, run_id)
    if evaluation:
        dataset = evaluation_dataset(tracker, run, evaluation, data.dataset) if lab.evaluation_needs_data else None
        lab.evaluation(evaluation, key=f"{lab.prefix}_eval_{run_id}", dataset=dataset)
        render_business_case(tracker, run_id, use_case_id, evaluation)


def comparable_runs(tracker: Any, data: Any) -> pd.DataFrame:
    """Completed runs scored on the same test split as `data`: same use case, source, seed and uploaded file
    (and the file's columns or scale), newest first. Settings that change only the training rows (the
    credit lab's re-balancing) do not change the test split, so they do not split the comparison."""
    from core.training.pipeline import UPLOAD_NAME

    runs = tracker.list_runs(use_case=data.use_case.id)
    if runs.empty:
        return runs
    keep = (runs["dataset"] == data.source_id) & (runs["status"] == "completed")
    keep &= _same(runs.get("seed"), data.seed, index=runs.index)
    for name, value in data.kwargs.items():
        if name not in (UPLOAD_NAME, *TRAINING_ONLY_KWARGS):
            keep &= _same(runs.get(f"data_{name}"), value, index=runs.index)
    return runs[keep]


TRAINING_ONLY_KWARGS = ("balance",)  # dataset settings that leave the test split as it is


def _same(column: Any, value: Any, *, index: Any) -> pd.Series:
    """Which rows of a logged parameter hold `value` (numbers compared as numbers: "0" == 0.0)."""
    if column is None:  # no run logged it: nothing to tell the runs apart by
        return pd.Series(True, index=index)
    try:
        return pd.to_numeric(column, errors="coerce") == float(value)
    except (TypeError, ValueError):
        return column.astype(str) == str(value)


def completed_run(tracker: Any, run_id: str) -> Any | None:
    """The run's RunRecord when it completed; else None after a note that trying a model needs a finished run."""
    record = tracker.record(run_id)
    if not record.completed:
        st.info(t("lab.try_needs_completed"))
        return None
    return record


@st.cache_resource(max_entries=4, show_spinner=False)
def run_model(run_id: str) -> Any:
    """A finished run's model, loaded once (safe mode) for inference; never a model that is being trained."""
    from core.training.pipeline import load_run_model
    from dashboard.services import get_tracker

    return load_run_model(get_tracker(), run_id)


def render_import_model(tracker: Any, data: Any) -> None:
    """Load a saved .keras model (safe mode), evaluate it on this dataset and track it as a run."""
    if not access.can("import"):
        return
    with st.expander(t("lab.import_title")):
        st.caption(t("lab.import_help"))
        upload = checked_uploader(t("lab.import_file"), key="lab_model_file", types=("keras",))
        if st.button(t("lab.import_button"), key="lab_import", disabled=upload is None):
            from core.audit import import_model

            try:
                with st.spinner(t("lab.import_running")):
                    outcome = import_model(access.current_identity(), log_path=get_settings().audit_log,
                                           tracker=tracker, use_case=data.use_case.id, dataset=data.source_id,
                                           model_bytes=upload.getvalue(), filename=upload.name, seed=data.seed,
                                           dataset_kwargs=data.kwargs)
            except StudioError as error:
                st.error(error_text(error))
                return
            st.session_state["lab_pending_run"] = outcome.run_id
            st.session_state["lab_flash"] = t("lab.import_done", accuracy=f"{outcome.metrics['test_accuracy']:.2%}")
            st.rerun()
        if "lab_flash" in st.session_state:
            st.success(st.session_state.pop("lab_flash"))

