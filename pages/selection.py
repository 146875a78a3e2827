"""Model selection: candidates side by side on one split, tested against the baseline, with guidance."""

from __future__ import annotations

import streamlit as st

from core.errors import StudioError
from core.selection.compare import comparison_table, fingerprints_from_tracker, quality_columns, to_csv
from core.selection.advice_text import render_reason, to_markdown
from core.selection.guidance import recommend, validate_requirements
from core.selection.rules import load_rules
from core.contract.registry import available_use_cases, get_use_case
from dashboard import selection_views as views
from dashboard.i18n import current_language, error_text, t
from dashboard.pretrained_views import render_learning_curve
from dashboard.services import get_job_queue, get_tracker
from dashboard.widgets import translated_choice

st.title(t("selection_page.title"))
st.caption(t("selection_page.intro"))

use_cases = {use_case.id: use_case for use_case in available_use_cases()}
use_case_id = translated_choice(st.selectbox, t("lab.use_case"), list(use_cases), key="sel_use_case",
                                format_func=lambda uid: t(use_cases[uid].title_key))
use_case = get_use_case(use_case_id)
tracker = get_tracker()
queue = get_job_queue()

# ---- which split to compare on ---------------------------------------------------------------
runs = tracker.list_runs(use_case=use_case_id)
completed = runs[runs["status"] == "completed"] if not runs.empty else runs
fingerprints = fingerprints_from_tracker(tracker, list(completed["run_id"])) if not completed.empty else {}
splits = views.split_options(completed, fingerprints)
views.render_benchmark_all(use_case, splits, queue)
if not splits:
    st.info(t("errors.selection.no_runs"))
    st.stop()
# Every key below is scoped by use case (and split): nothing chosen for one dataset leaks into another.
split = translated_choice(st.selectbox, t("selection_page.split"), list(splits), key=f"sel_split_{use_case_id}",
                          format_func=lambda fp: splits[fp])
scope = views.split_scope(use_case_id, split)

try:
    table = comparison_table(completed, use_case=use_case, fingerprints=fingerprints, dataset_fingerprint=split)
except StudioError as error:
    st.error(error_text(error))
    st.stop()

# ---- side by side ------------------------------------------------------------------------------
st.subheader(t("selection_page.table_title"))
st.dataframe(views.display_table(table, use_case), hide_index=True, width="stretch", key=f"sel_table_{scope}",
             column_config={t("selection.columns.model"): st.column_config.TextColumn(width="large")})  # whole names
st.download_button(t("selection_page.download_csv"), data=to_csv(table), file_name=f"{use_case_id}-comparison.csv",
                   mime="text/csv", key=f"sel_csv_{scope}")
quality = quality_columns(use_case)[0]
left, right = st.columns(2)
with left:
    views.render_pareto(table, quality, use_case_id=use_case_id, scope=scope)
with right:
    views.render_training_curves(tracker, table, use_case, scope=scope)

st.subheader(t("selection_page.baseline_title"))
significance, baseline = views.render_baseline_tests(tracker, table, use_case, scope=scope)

# how many labelled examples each starting point needs, on bundled data or an uploaded file compared here
render_learning_curve(use_case, queue, tracker, uploads=views.uploaded_splits(completed, fingerprints),
                      split_labels=splits)

# ---- guidance ----------------------------------------------------------------------------------
st.subheader(t("selection_page.guidance_title"))
requirements = views.requirements_form(table, use_case_id=use_case_id, scope=scope)
try:
    rules = load_rules()
    validate_requirements(requirements, num_classes=views.num_classes(table), table=table, rules=rules)
    recommendation = recommend(table, requirements, use_case=use_case, rules=rules, significance=significance,
                               baseline=baseline)
except StudioError as error:
    st.error(error_text(error))
else:
    views.render_recommendation(recommendation, render_reason, current_language())
    st.download_button(t("selection_page.download_md"), data=to_markdown(recommendation, current_language()),
                       file_name=f"{use_case_id}-recommendation.md", mime="text/markdown", key=f"sel_md_{scope}")

# ---- deployment readiness ----------------------------------------------------------------------
st.subheader(t("deployment.title"))
views.render_deployment(tracker, table, use_case, scope=scope)
