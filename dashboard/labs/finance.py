"""Finance risk lab: credit data profile, train and compare models, thresholds and costs, reasons, fairness."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from core.data.uploads import store_upload
from core.errors import StudioError
from core.usecases.finance.adapter import default_applicant_index, score_applicant
from core.usecases.finance.data import guess_bad_value, guess_target, read_csv_bytes, target_values
from core.usecases.finance.profile import profile
from dashboard import access
from dashboard import finance_charts as charts
from dashboard.data_views import load_dataset_for_ui
from dashboard.history_views import Curve
from dashboard.i18n import dataset_source, error_text, t
from dashboard.job_progress import render_job_outcome, render_job_progress
from dashboard.lab_results import load_evaluation, run_model
from dashboard.labs.contract import LabData, LabView
from dashboard.labs.finance_results import operating_point, render_evaluation, render_metric_row, render_results
from dashboard.training_form import render_candidate_training
from dashboard.uploads import checked_uploader, upload_bytes, upload_name, upload_name_kwargs
from dashboard.widgets import translated_choice

if TYPE_CHECKING:
    from core.contract.usecase import UseCase
    from core.data.dataset import Dataset
    from core.tracking.store import Tracker
    from core.training.jobs import JobQueue, JobState

MISSING_LABEL = "(missing)"
CURVES = (Curve("loss", "finance.loss_curve", "finance.loss"), Curve("auc", "finance.auc_curve", "lab.auc", optional=True))


# ---- 1. Data ---------------------------------------------------------------------------------

def render_data(use_case: UseCase) -> LabData | None:
    """Source, seed and re-balancing (a CSV with its target for an upload), then the credit data profile."""
    sources = {source.id: source for source in use_case.datasets if source.kind != "uploaded" or access.can("upload")}
    source_id = translated_choice(
        st.selectbox, t("finance.dataset"), list(sources), key="finance_dataset",
        format_func=lambda sid: t(sources[sid].title_key))
    source = sources[source_id]
    if source.description_key:
        st.caption(t(source.description_key))
    left, right = st.columns(2)
    seed = int(left.number_input(t("finance.seed"), min_value=0, max_value=2**31 - 1, value=0, step=1,
                                 key="finance_seed", help=t("finance.seed_help")))
    balance = translated_choice(right.selectbox, t("finance.balance"), ["none", "oversample", "undersample"],
                                key="finance_balance", format_func=lambda b: t(f"finance.balance_{b}"),
                                help=t("finance.balance_help"))
    kwargs: dict[str, Any] = {} if balance == "none" else {"balance": balance}
    available, reason_key = source.is_available()
    if not available:
        st.warning(t(reason_key or "finance.source_unavailable"))
        return None
    if source.kind == "uploaded":
        upload_kwargs = _render_upload()
        if upload_kwargs is None:
            return None
        kwargs.update(upload_kwargs)
    try:
        dataset = load_dataset_for_ui(use_case.id, source_id, seed, kwargs)
    except StudioError as error:
        st.error(error_text(error))
        return None
    _render_profile(dataset, upload_name=upload_name(kwargs))
    return LabData(use_case, dataset, source_id, seed, kwargs)


def _render_upload() -> dict[str, Any] | None:
    """CSV upload, target column and "bad" value; None (with a message) until all three are usable."""
    upload = checked_uploader(t("finance.upload"), key="finance_upload", help_key="finance.upload_help",
                                    needed_key="finance.upload_needed")
    if upload is None:
        return None
    try:
        data = upload_bytes(upload)
        frame, encoding = read_csv_bytes(data)
    except StudioError as error:
        st.error(error_text(error))
        return None
    st.caption(t("finance.upload_read", rows=len(frame), columns=frame.shape[1], encoding=encoding))
    columns = list(frame.columns)
    # Every file starts from the detection for that file: choices made for an earlier (maybe refused)
    # upload are never carried over, or a one-row file's "good" became the new file's "bad" value.
    identity = hashlib.sha256(data).hexdigest()[:16]
    if (st.session_state.get("finance_upload_identity") != identity
            or st.session_state.get("finance_target") not in columns):
        st.session_state["finance_upload_identity"] = identity
        st.session_state["finance_target"] = guess_target(columns)
    left, right = st.columns(2)
    target = left.selectbox(t("finance.target"), columns, key="finance_target", help=t("finance.target_help"))
    values = target_values(frame[target])
    if not values:
        st.error(t("errors.finance.no_target_values", column=target))
        return None
    if (st.session_state.get("finance_bad_value_for") != (identity, target)
            or (st.session_state.get("finance_bad_value") not in values
                and st.session_state.get("finance_bad_value") is not None)):  # a new file or target: detect again
        st.session_state["finance_bad_value_for"] = (identity, target)
        st.session_state["finance_bad_value"] = guess_bad_value(values)  # None: the values say nothing of credit
    bad_value = right.selectbox(t("finance.bad_value"), values, key="finance_bad_value",
                                help=t("finance.bad_value_help"), placeholder=t("finance.bad_value_placeholder"))
    if bad_value is None:  # e.g. a census table's ">50K" / "<=50K": which outcome should the model flag?
        st.info(t("finance.bad_value_ask", column=target, values=", ".join(f"'{v}'" for v in values[:6])))
        return None
    path = store_upload(data, suffix=".csv")
    return {"path": str(path), "target": str(target), "bad_value": str(bad_value), **upload_name_kwargs(upload)}


def _render_profile(dataset: Dataset, *, upload_name: str = "") -> None:
    report = _profile(dataset, profile)
    provenance, licence = dataset_source(dataset, upload_name=upload_name)
    st.caption(t("finance.provenance", provenance=provenance, licence=licence))
    cols = st.columns(4)
    cols[0].metric(t("finance.rows"), f"{sum(report['rows'].values()):,}")
    cols[1].metric(t("finance.features"), f"{len(report['columns'])}")
    cols[2].metric(t("finance.bad_rate"), f"{report['bad_rate']:.1%}", help=t("finance.bad_rate_help"))
    cols[3].metric(t("finance.test_rows"), f"{report['rows']['test']:,}",
                   help=t("finance.split_help", train=f"{report['rows']['train']:,}", val=f"{report['rows']['val']:,}"))
    if report["bad_rate"] < 0.1:
        st.warning(t("finance.imbalance_warning", rate=f"{report['bad_rate']:.1%}",
                     accuracy=f"{1 - report['bad_rate']:.1%}"))
    if dataset.extra.get("balance", "none") != "none":
        st.info(t("finance.balance_applied", balance=t(f"finance.balance_{dataset.extra['balance']}"),
                  rate=f"{float(np.mean(dataset.y_train)):.1%}"))
    for note in report["notes"]:
        st.info(t(f"finance.note.{note['kind']}", **{k: v for k, v in note.items() if k != "kind"}))
    table = pd.DataFrame({
        t("finance.col_column"): [c["name"] for c in report["columns"]],
        t("finance.col_type"): [t(f"finance.kind_{c['kind']}") for c in report["columns"]],
        t("finance.col_missing"): [f"{c['missing']:,} ({c['missing_share']:.1%})" for c in report["columns"]],
        t("finance.col_distinct"): [c["distinct"] for c in report["columns"]],
    })
    st.dataframe(table, hide_index=True, width="stretch", height=min(600, 38 + 35 * len(table)))
    # The box and its chart belong to this dataset: keyed by its fingerprint, so switching datasets
    # gives a fresh box (first column) and chart rather than one left over from the other table.
    names = [c["name"] for c in report["columns"]]
    scope = dataset.fingerprint
    column = st.selectbox(t("finance.bad_rate_by"), names, key=f"finance_profile_column_{scope}")
    chosen = next(c for c in report["columns"] if c["name"] == column)
    st.plotly_chart(charts.plot_bad_rate_by_level(
        chosen["levels"], overall=report["bad_rate"], title=t("finance.bad_rate_chart", column=column),
        x_title=column, y_title=t("finance.bad_rate"), overall_label=t("finance.overall")),
        key=f"finance_profile_chart_{scope}")


@st.cache_data(max_entries=8, show_spinner=False)
def _profile_cached(fingerprint: str, _dataset: Dataset, _profile_fn: Any) -> dict[str, Any]:
    return _profile_fn(_dataset)


def _profile(dataset: Dataset, profile_fn: Any) -> dict[str, Any]:
    return _profile_cached(dataset.fingerprint + dataset.extra.get("balance", ""), dataset, profile_fn)


# ---- 2. Train --------------------------------------------------------------------------------

def render_training(data: LabData, queue: JobQueue) -> None:
    """The training form (class weights for the rare "bad"), then the job with loss and ROC-AUC curves."""
    bad_share = float(np.mean(data.dataset.y_train))
    st.caption(t("llm_form.none_finance"))  # why the NLP lab's LLM candidates are not offered here
    own_job = render_candidate_training(
        data, queue, prefix="finance", batch_sizes=[32, 64, 128, 256], early_stopping=True, max_epochs=300,
        max_learning_rate=1e-2, patience=5,
        class_weight_help=t("finance.class_weight_help", ratio=f"{(1 - bad_share) / max(bad_share, 1e-9):.1f}"))
    if own_job:
        render_job_progress(queue, own_job, prefix="finance", curves=CURVES, evaluating_key="finance.evaluating",
                            render_outcome=_render_outcome)


def _render_outcome(state: JobState) -> None:
    """How the job ended: ROC-AUC, not accuracy."""
    if state.state == "completed" and getattr(state.result, "status", "") != "cancelled":
        auc = (state.result.metrics or {}).get("test_roc_auc")
        st.success(t("finance.finished", auc=f"{auc:.3f}" if auc is not None else "–"))
    else:
        render_job_outcome(state)  # cancelled or failed: the lab's wording, with the error in the user's language


# ---- 4. Try an applicant ---------------------------------------------------------------------

def render_applicant(tracker: Tracker, run_id: str | None, data: LabData) -> None:
    """Score one test applicant (fields editable) with the chosen run at the chosen threshold, with reasons."""
    if run_id is None:
        return
    dataset = data.dataset
    try:
        completed = tracker.record(run_id).completed
    except StudioError:
        completed = False
    evaluation = load_evaluation(tracker, run_id) if completed else None
    if not evaluation:
        st.info(t("finance.try_needs_run"))
        return
    if evaluation.get("dataset_fingerprint") != dataset.fingerprint:
        st.info(t("finance.fairness_other_data"))
        return
    n_test = len(dataset.y_test)
    default_index = default_applicant_index(dataset)
    if "finance_applicant" not in st.session_state:
        st.session_state["finance_applicant"] = default_index
    index = int(st.number_input(t("finance.applicant_index", n=n_test), min_value=0, max_value=n_test - 1, step=1,
                                key="finance_applicant", help=t("finance.applicant_help")))
    truth = t("finance.bad") if dataset.y_test[index] == 1 else t("finance.good")
    st.caption(t("finance.applicant_truth", outcome=truth))
    applicant: dict[str, Any] = {}
    columns = st.columns(3)
    for position, feature in enumerate(dataset.extra["features"]):
        value = np.asarray(dataset.x_test[feature["key"]])[index]
        widget_key = f"finance_field_{index}_{feature['key']}"
        column = columns[position % 3]
        if feature["kind"] == "numeric":
            entered = column.number_input(feature["name"], value=None if np.isnan(value) else float(value),
                                          key=widget_key, placeholder=t("finance.missing_value"))
            applicant[feature["key"]] = np.array([np.nan if entered is None else entered], dtype="float32")
        else:
            other = t("finance.other_value")
            options = [MISSING_LABEL, *feature.get("vocabulary", [])]
            current = MISSING_LABEL if value == "" else str(value)
            if current not in options:
                options.append(current)
            options.append(other)
            entered = column.selectbox(feature["name"], options, index=options.index(current), key=widget_key)
            if entered == other:  # a value never seen in training: the Keras models send it to the OOV bucket
                entered = column.text_input(t("finance.other_value_for", column=feature["name"]),
                                            key=f"{widget_key}_other").strip() or MISSING_LABEL
            applicant[feature["key"]] = np.array(["" if entered in (None, MISSING_LABEL) else str(entered)], dtype=object)

    slider_key = f"finance_threshold_{run_id[:8]}"  # the Results tab's threshold, else the same operating point
    threshold = float(st.session_state.get(slider_key, operating_point(evaluation)))
    try:
        model = run_model(run_id)
        with st.spinner(t("finance.scoring")):
            result = score_applicant(model, dataset, applicant, threshold=threshold)
    except StudioError as error:
        st.error(error_text(error))
        return
    c1, c2, c3 = st.columns(3)
    c1.metric(t("finance.score"), f"{result['score']:.1%}", help=t("finance.score_help"))
    c2.metric(t("finance.decision"), t(f"finance.decision_{result['decision']}"))
    c3.metric(t("finance.threshold"), f"{threshold:.2f}", help=t("finance.threshold_from_results"))
    for name, value in result["unseen"]:
        st.warning(t("finance.unseen", column=name, value=value))
    top = [r for r in result["reasons"] if abs(r["contribution"]) > 1e-9][:4]
    for reason in top:
        direction = t("finance.raises") if reason["contribution"] > 0 else t("finance.lowers")
        shown = _shown_value(dataset, applicant, reason["key"])
        st.markdown(f"- **{reason['name']} = {shown}** {direction} ({reason['contribution']:+.2f})")
    reasons = [{**r, "label": f"{r['name']} = {_shown_value(dataset, applicant, r['key'])}"} for r in result["reasons"]]
    st.plotly_chart(charts.plot_contributions(reasons, title=t("finance.reasons_title"),
                                              x_title=t("finance.reasons_axis"), up_label=t("finance.raises"),
                                              down_label=t("finance.lowers")), key="finance_reasons_chart")
    st.caption(t("finance.reasons_method", permutations=result["permutations"], background=result["background"]))


def _shown_value(dataset: Dataset, applicant: dict[str, Any], key: str) -> str:
    value = np.asarray(applicant[key]).reshape(-1)[0]
    missing = t("finance.missing_shown")
    if isinstance(value, (float, np.floating)):
        return missing if np.isnan(value) else f"{value:,.6g}"
    return missing if value == "" else str(value)


LAB = LabView(prefix="finance", data=render_data, train=render_training, results=render_results,
              try_it=render_applicant, metric_row=render_metric_row, evaluation=render_evaluation, curves=CURVES,
              tab_keys=("finance.tab_data", "finance.tab_train", "finance.tab_results", "finance.tab_try"),
              no_runs_key="finance.no_runs", try_needs_run_key="finance.try_needs_run", need_data_key="finance.need_data")
