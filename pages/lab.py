"""Use-case lab: choose data, look at it, train a candidate in the background, read the results."""

from __future__ import annotations

import streamlit as st

from core.errors import StudioError
from core.usecases.registry import USE_CASES, get_use_case
from dashboard import views
from dashboard.lab_views import view_function
from dashboard.i18n import error_text, t
from dashboard.widgets import translated_choice
from dashboard.services import get_job_queue, get_tracker

st.title(t("lab.title"))
st.caption(t("lab.intro"))

use_case_ids = list(USE_CASES)
if st.session_state.get("lab_use_case") not in use_case_ids:
    st.session_state["lab_use_case"] = "vision"
use_case_id = translated_choice(
    st.selectbox, t("lab.use_case"), use_case_ids, key="lab_use_case",
    format_func=lambda uid: t(USE_CASES[uid].title_key)
    + ("" if USE_CASES[uid].status == "available" else f" ({t('status.coming')})"),
)
use_case = get_use_case(use_case_id)
if use_case.status != "available":
    st.info(t("lab.coming", use_case=t(use_case.title_key)))
    st.stop()
render_lab = view_function(use_case_id, "render_lab")
if render_lab is not None:  # tables, texts, user-item data: the use case's own lab
    render_lab(use_case)
    st.stop()

tab_data, tab_train, tab_results, tab_try = st.tabs(
    [t("lab.tab_data"), t("lab.tab_train"), t("lab.tab_results"), t("lab.tab_try")]
)

# ---- 1. Data -------------------------------------------------------------------------------
with tab_data:
    source, seed = views.render_source_and_seed(use_case, prefix="lab")
    source_id = source.id
    dataset_kwargs: dict = {}
    if source.kind == "uploaded":
        upload = views.checked_uploader(t("lab.upload_zip"), key="lab_upload_zip", help_key="lab.upload_zip_help",
                                        needed_key="lab.upload_zip_needed", types=("zip",))
        upload_size = translated_choice(st.selectbox, t("pretrained.upload_size"), [0, 96, 160, 224],
                                        key="lab_upload_size", help=t("pretrained.upload_size_help"),
                                        format_func=lambda size: f"{size} x {size} px" if size else
                                        t("pretrained.upload_size_default"))  # its label changes with the language
        if upload is None:
            st.stop()
    available, reason_key = source.is_available()
    if not available:
        st.warning(t(reason_key or "lab.source_unavailable"))
        st.stop()
    try:
        if source.kind == "uploaded":
            dataset_kwargs = views.stored_upload_kwargs(upload)
            if upload_size:  # photos kept at a pretrained backbone's resolution, not shrunk to 32x32
                dataset_kwargs["image_size"] = int(upload_size)
        dataset = views.load_dataset_for_ui(use_case_id, source_id, seed, dataset_kwargs)
    except StudioError as error:
        st.error(error_text(error))
        views.forget_upload(dataset_kwargs)
        st.stop()
    views.render_dataset_overview(dataset, upload_name=views.upload_name(dataset_kwargs))

# ---- 2. Train ------------------------------------------------------------------------------
queue = get_job_queue()
with tab_train:
    views.render_training_controls(use_case, dataset, source_id, seed, dataset_kwargs, queue)

# ---- 3. Results ----------------------------------------------------------------------------
with tab_results:
    tracker = get_tracker()
    run_id = views.render_run_picker(tracker, use_case_id, source_id, key="lab_result_run")
    if run_id is None:
        st.info(t("lab.no_runs_yet"))
    else:
        views.render_run_results(tracker, run_id, dataset)

# ---- 4. Try it -----------------------------------------------------------------------------
with tab_try:
    if run_id is None:
        st.info(t("lab.try_needs_run"))
    else:
        views.render_try_image(tracker, run_id, dataset)
    views.render_import_model(tracker, use_case_id, source_id, seed, dataset_kwargs)
