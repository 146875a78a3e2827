"""Use-case lab: choose data, look at it, train a candidate in the background, read the results."""

from __future__ import annotations

import streamlit as st

from core.contract.registry import USE_CASES, get_use_case
from core.errors import StudioError
from dashboard.i18n import error_text, t
from dashboard.lab_results import render_run_picker, show_results
from dashboard.labs import lab_view
from dashboard.services import get_job_queue, get_tracker
from dashboard.training_form import linked_use_case
from dashboard.widgets import translated_choice

st.title(t("lab.title"))
st.caption(t("lab.intro"))

use_case_ids = list(USE_CASES)
if st.session_state.get("lab_use_case") not in use_case_ids:  # a reload: open the lab of the URL's job, if any
    st.session_state["lab_use_case"] = linked_use_case(get_job_queue, use_case_ids) or use_case_ids[0]
use_case_id = translated_choice(
    st.selectbox, t("lab.use_case"), use_case_ids, key="lab_use_case",
    format_func=lambda uid: t(USE_CASES[uid].title_key)
    + ("" if USE_CASES[uid].status == "available" else f" ({t('status.coming')})"),
)
use_case = get_use_case(use_case_id)
if use_case.status != "available":
    st.info(t("lab.coming", use_case=t(use_case.title_key)))
    st.stop()

lab = lab_view(use_case_id)
tab_data, tab_train, tab_results, tab_try = st.tabs([t(key) for key in lab.tab_keys])
with tab_data:
    data = lab.data(use_case)
if data is None:  # the data tab said why nothing is loaded
    st.session_state.pop(f"{lab.prefix}_train_request", None)  # a Train click has no data to train on
    if lab.need_data_key:
        for tab in (tab_train, tab_results, tab_try):
            with tab:
                st.info(t(lab.need_data_key))
    st.stop()
with tab_train:
    lab.train(data, get_job_queue())
tracker = get_tracker()
with tab_results:
    try:
        run_id = render_run_picker(tracker, data, key=f"{lab.prefix}_result_run")
    except StudioError as error:  # the run store failed (locked, unwritable, server gone): words, no traceback
        st.error(error_text(error), icon=":material/database:")
        st.stop()
    if run_id is None:
        st.info(t(lab.no_runs_key))
    else:
        show_results(lab, tracker, run_id, data)
with tab_try:
    if run_id is None:
        st.info(t(lab.try_needs_run_key))
    lab.try_it(tracker, run_id, data)
