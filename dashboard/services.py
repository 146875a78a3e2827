"""Process-wide services shared by all sessions (tracker, job queue), created lazily on first use.

Heavy imports (MLflow, TensorFlow) happen inside these functions, so the Home page, which
never calls them, stays fast.
"""

from __future__ import annotations

import logging

import streamlit as st

_LOG = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def get_tracker():
    """The MLflow-backed tracker; on first creation per server process, runs a crash left "running" are marked interrupted."""
    from core.config import get_settings
    from core.tracking.store import tracker_from_settings

    tracker = tracker_from_settings(get_settings())
    try:
        tracker.mark_interrupted()
    except Exception as error:  # noqa: BLE001 - housekeeping must never keep the Runs page from opening
        _LOG.warning("could not mark interrupted runs: %s", error)
    return tracker


@st.cache_resource(show_spinner=False)
def get_job_queue():
    """The background training queue; one per server process so jobs outlive page switches and reloads."""
    from core.training.jobs import JobQueue

    return JobQueue()


__all__ = ["get_tracker", "get_job_queue"]
