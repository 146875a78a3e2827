"""Runs: every tracked run, overlaid curves, reload and re-evaluate, download or delete a model."""

from __future__ import annotations

import streamlit as st

from core.errors import StudioError
from core.contract.registry import USE_CASES
from dashboard import access, runs_page_views
from dashboard.history_views import curve_label
from dashboard.i18n import error_text, t
from dashboard.widgets import translated_choice
from dashboard.services import get_tracker

st.title(t("runs.title"))
st.caption(t("runs.intro"))

tracker = get_tracker()
filter_options = ["all", *USE_CASES]
use_case_filter = translated_choice(
    st.selectbox, t("runs.filter"), filter_options, key="runs_use_case",
    format_func=lambda uid: t("runs.all_use_cases") if uid == "all" else t(USE_CASES[uid].title_key),
)
try:
    runs = tracker.list_runs(use_case=None if use_case_filter == "all" else use_case_filter)
except StudioError as error:  # the run store failed (locked, unwritable, server gone): words, no traceback
    st.error(error_text(error), icon=":material/database:")
    st.stop()
if runs.empty:
    st.info(t("runs.empty"))
    if access.can("audit"):  # the record of the last deletion stays readable
        access.render_audit_log()
    st.stop()

st.dataframe(runs_page_views.runs_table(runs), hide_index=True, width="stretch", key="runs_table",
             column_config={t(key): st.column_config.TextColumn(width="medium")  # whole names and metrics, not cut off
                            for key in ("runs.col_dataset", "runs.col_model", "runs.col_metric")})

labels = runs_page_views.run_labels(runs)
st.subheader(t("runs.overlay_title"))
selected = translated_choice(st.multiselect, t("runs.overlay_pick"), list(labels),
                             default=runs_page_views.default_overlay(runs), key=f"runs_selected_{use_case_filter}",
                             format_func=labels.get)
# Curves the chosen runs recorded: accuracy (classifiers), AUC (credit risk), RMSE (ratings), loss (all).
histories = {run_id: tracker.history(run_id) for run_id in selected}  # read once, for the options and the chart
recorded = runs_page_views.recorded_curves(histories)
curve_options = [m for m in ("accuracy", "auc", "rmse", "loss") if m in recorded]
use_case_of = runs.set_index("run_id")["use_case"]
tasks = {USE_CASES[use_case_of[run_id]].task for run_id in selected if use_case_of[run_id] in USE_CASES}
metric = translated_choice(st.radio, t("runs.metric"), curve_options, horizontal=True, key="runs_overlay_metric",
                           format_func=lambda m: curve_label(m, tasks))
if selected:
    runs_page_views.render_runs_overlay(histories, labels, metric, tasks=tasks)
else:
    st.info(t("runs.overlay_empty"))

st.subheader(t("runs.details_title"))
focus = translated_choice(st.selectbox, t("runs.focus"), list(labels), key="runs_focus", format_func=labels.get)
try:
    runs_page_views.render_run_details(tracker, focus)
except StudioError as error:
    st.error(error_text(error))

if access.can("audit"):
    access.render_audit_log()
