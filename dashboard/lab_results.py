"""A lab's results: pick a tracked run, show what it measured, load its model once, import a saved model."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from core.audit import import_model
from core.contract.usecase import ASKED_KINDS
from core.config import get_settings
from core.data.cache import UPLOAD_NAME
from core.errors import StudioError
from core.tracking.records import run_record
from core.tracking.run_files import EVALUATION_FILE
from dashboard import access
from dashboard.business_views import render_business_case
from dashboard.history_views import render_history_charts
from dashboard.i18n import error_text, t
from dashboard.run_names import dataset_text, model_name, primary_metric_text, status_label
from dashboard.uploads import checked_uploader, upload_name
from dashboard.widgets import translated_choice

if TYPE_CHECKING:
    from core.data.dataset import Dataset
    from core.tracking.records import RunRecord
    from core.tracking.store import Tracker
    from dashboard.labs.contract import LabData, LabView


def render_run_picker(tracker: Tracker, data: LabData, *, key: str) -> str | None:
    """Choose one of the runs on the data chosen on the Data tab (newest first); None when it has none.

    For an upload that is the same file (runs_on_data), never another file sent to the same source:
    runs on other files are not listed, and a caption names those files instead. The run preselected is
    a completed run on exactly this split when there is one, else the newest completed run on this file.
    """
    runs = tracker.list_runs(use_case=data.use_case.id)
    runs = runs[runs["dataset"] == data.source_id] if not runs.empty else runs
    if runs.empty:
        return None
    mine = runs_on_data(runs, data)
    _note_other_files(runs[~mine], data)
    runs = runs[mine]
    if runs.empty:
        return None
    labels = {}
    for row in runs.to_dict("records"):
        started = row["started"].strftime("%Y-%m-%d %H:%M") if isinstance(row["started"], (pd.Timestamp, dt.datetime)) else ""
        uploaded = f" · {dataset_text(row)}" if row.get("source_kind") == "uploaded" else ""
        labels[row["run_id"]] = (f"{started} · {model_name(data.use_case.id, row['model'])}{uploaded} · "
                                 f"{primary_metric_text(row)} · {status_label(row['status'])}")
    pending = st.session_state.pop("lab_pending_run", None)
    if pending in labels:
        st.session_state[key] = pending
    if st.session_state.get(key) not in labels:
        st.session_state[key] = _preselected(runs, data)
    return translated_choice(st.selectbox, t("lab.pick_run"), list(labels), key=key, format_func=labels.get)


def _preselected(runs: pd.DataFrame, data: LabData) -> str:
    """A completed run on exactly this split, else a completed run on this file, else the newest run."""
    completed = runs[runs["status"] == "completed"]
    exact = completed[completed.get("fingerprint", pd.Series("", index=completed.index)) == data.dataset.fingerprint]
    for candidates in (exact, completed, runs):
        if not candidates.empty:
            return str(candidates["run_id"].iloc[0])
    return ""


def _note_other_files(others: pd.DataFrame, data: LabData) -> None:
    """Say which runs of this source are not listed because they used other files (by file name and count)."""
    if others.empty:
        return
    counts: dict[str, int] = {}
    for row in others.to_dict("records"):
        name = dataset_text(row)
        counts[name] = counts.get(name, 0) + 1
    files = ", ".join(t("lab.file_runs_one", file=name) if count == 1 else
                      t("lab.file_runs_many", file=name, count=count) for name, count in counts.items())
    this = upload_name(data.kwargs) or t("lab.this_data")
    st.caption(t("lab.other_files_runs", files=files, this=this))


def runs_on_data(runs: pd.DataFrame, data: LabData) -> pd.Series:
    """Which of `runs` (Tracker.list_runs rows of data's use case) used the data chosen on the Data tab.

    A run is on it when its dataset fingerprint is this split's, or (another seed or re-balancing of the
    same data) it logged the same settings that name the data: an upload's stored file (named by its
    content hash), its target and "bad" value. A run that logged none of them is matched by the uploaded
    file's name when it recorded no fingerprint. Bundled data without such settings: every run of the source.
    """
    if runs.empty:
        return pd.Series(dtype=bool, index=runs.index)
    identity = _identity(data.kwargs)
    name = PureWindowsPath(upload_name(data.kwargs)).name if upload_name(data.kwargs) else ""
    fingerprint = data.dataset.fingerprint if data.dataset is not None else ""
    keep = [(row.get("dataset") == data.source_id) and _on_data(row, identity, fingerprint, name)
            for row in runs.to_dict("records")]
    return pd.Series(keep, index=runs.index, dtype=bool)


def _identity(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The dataset settings that name the data (not the upload's display name, not training-only settings)."""
    return {name: value for name, value in kwargs.items() if name not in (UPLOAD_NAME, *TRAINING_ONLY_KWARGS)}


def _on_data(row: dict[str, Any], identity: dict[str, Any], fingerprint: str, name: str) -> bool:
    recorded = str(row.get("fingerprint") or "")
    if recorded and fingerprint and recorded == fingerprint:
        return True
    if not identity:
        return True
    logged = {key: row.get(f"data_{key}") for key in identity}
    if any(not _missing(value) for value in logged.values()):
        return all(_equal(key, logged[key], value) for key, value in identity.items())
    if recorded:  # another split, and nothing tells which file it came from
        return False
    return bool(name) and str(row.get("source_name") or "") == name


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _equal(key: str, logged: Any, value: Any) -> bool:
    """A logged dataset setting equals the page's: stored files by name (the data dir may move), numbers as numbers."""
    if _missing(logged):
        return False
    if key in FILE_KWARGS:
        return PureWindowsPath(str(logged)).name == PureWindowsPath(str(value)).name
    try:
        return float(logged) == float(value)
    except (TypeError, ValueError):
        return str(logged) == str(value)


FILE_KWARGS = ("path", "data")  # an upload's stored copy, named by its content hash


def evaluation_dataset(tracker: Tracker, run: Any, evaluation: dict[str, Any], dataset: Dataset | None) -> Dataset | None:
    """The dataset the evaluation indices refer to: the page's one when it matches, else the run's own."""
    if dataset is not None and evaluation.get("dataset_fingerprint") == dataset.fingerprint:
        return dataset
    from core.training.saved_runs import load_run_dataset  # the training layer stays off the Selection page

    try:
        return load_run_dataset(tracker, run.info.run_id, record=run_record(run))
    except (StudioError, KeyError, FileNotFoundError):
        return None

def load_evaluation(tracker: Tracker, run_id: str) -> dict[str, Any] | None:
    """A run's stored evaluation.json; None when the run has none (failed early, imported, file gone)."""
    try:
        return tracker.load_dict(run_id, EVALUATION_FILE)
    except (StudioError, FileNotFoundError, OSError):
        return None


def show_results(lab: LabView, tracker: Tracker, run_id: str, data: LabData) -> None:
    """A lab's results tab: its own view, else the shared shell below with this lab's parts."""
    if lab.results is not None:
        lab.results(tracker, run_id, data)
        return
    render_run_results(tracker, run_id, data, lab=lab)


def render_run_results(tracker: Tracker, run_id: str, data: LabData, *, lab: LabView) -> None:
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


def comparable_runs(tracker: Tracker, data: LabData) -> pd.DataFrame:
    """Completed runs scored on the same test split as `data`: runs on the same data (runs_on_data: the same
    uploaded file, never another file sent to the same source), with the same seed and settings, newest
    first. Settings that change only the training rows (the credit lab's re-balancing) do not change the
    test split, so they do not split the comparison."""
    runs = tracker.list_runs(use_case=data.use_case.id)
    if runs.empty:
        return runs
    keep = runs_on_data(runs, data) & (runs["status"] == "completed")
    keep &= _same(runs.get("seed"), data.seed, index=runs.index)
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


def completed_run(tracker: Tracker, run_id: str) -> RunRecord | None:
    """The run's RunRecord when it completed; else None after a note that trying a model needs a finished run."""
    record = tracker.record(run_id)
    if not record.completed:
        st.info(t("lab.try_needs_completed"))
        return None
    return record


def asked_for(run: RunRecord, question: Any, *, key: str) -> bool:
    """For a run whose model is asked (an LLM: each answer is a request, perhaps paid for), whether the person asked
    about this very input: an "Ask the model" button, and the answer kept on the page until the input changes. For
    any other model: always (it predicts on every change, for free)."""
    if run.params.get("model_kind") not in ASKED_KINDS:
        return True
    signature = f"{run.run_id}|{question}"
    if st.button(t("llm_form.try_ask"), key=f"{key}_ask", icon=":material/send:"):
        st.session_state[f"{key}_asked"] = signature
    if st.session_state.get(f"{key}_asked") == signature:
        return True
    st.caption(t("llm_form.try_ask_help"))
    return False


@st.cache_resource(max_entries=4, show_spinner=False)
def run_model(run_id: str) -> Any:
    """A finished run's model, loaded once (safe mode) for inference; never a model that is being trained."""
    from core.training.saved_runs import load_run_model
    from dashboard.services import get_tracker

    return load_run_model(get_tracker(), run_id)


def render_import_model(tracker: Tracker, data: LabData) -> None:
    """Load a saved .keras model (safe mode), evaluate it on this dataset and track it as a run."""
    if not access.can("import"):
        return
    with st.expander(t("lab.import_title")):
        st.caption(t("lab.import_help"))
        upload = checked_uploader(t("lab.import_file"), key="lab_model_file", types=("keras",))
        if st.button(t("lab.import_button"), key="lab_import", disabled=upload is None):
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

