"""Process-wide services shared by all sessions (tracker, job queue), created lazily on first use.

Heavy imports (MLflow, TensorFlow) happen inside these functions, so the Home page, which
never calls them, stays fast.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.config import get_settings
from dashboard.i18n import t

if TYPE_CHECKING:
    from core.training.jobs import JobQueue

_LOG = logging.getLogger(__name__)
WARMUP_DELAY_S = 3.0


@st.cache_resource(show_spinner=False)
def get_tracker():
    """The MLflow-backed tracker; on first creation per server process, runs a crash left "running" are marked interrupted."""
    from core.tracking.store import tracker_from_settings  # here: keeps the tracking store off the Home page's imports

    tracker = tracker_from_settings(get_settings())
    try:
        tracker.mark_interrupted()
    except Exception as error:  # noqa: BLE001 - housekeeping must never keep the Runs page from opening
        _LOG.warning("could not mark interrupted runs: %s", error)
    return tracker


@st.cache_resource(show_spinner=False)
def get_job_queue():
    """The background training queue; one per server process so jobs outlive page switches and reloads.

    With STUDIO_EXECUTOR=ray the jobs run on a Ray cluster and outlive the server process too.
    """
    from core.training.executors import job_queue_from_settings

    settings = get_settings()
    return job_queue_from_settings(settings, tracker=get_tracker() if settings.executor == "ray" else None)


# Imported by the warm-up too, off the click path: SciPy's statistics (a second or more on a busy 2-core box;
# Model selection's baseline tests paid it on their first render) and skops' model format, which every
# scikit-learn run saves with: its import looks up ~900 NumPy/SciPy functions in every loaded module (12 s of a
# 5,000-image logistic regression run under load), and costs the more modules TensorFlow has loaded by then.
WARM_IMPORTS = ("scipy.stats", "skops.io")


def _warm_up(delay_s: float) -> None:
    time.sleep(delay_s)
    try:
        get_tracker()
        import importlib

        for name in WARM_IMPORTS:
            importlib.import_module(name)

        if get_settings().executor == "ray":
            get_job_queue().jobs()  # connects to the Ray cluster (tens of seconds) before the Lab asks
    except Exception as error:  # noqa: BLE001 - the Lab/Runs page retries and shows the error in words
        _LOG.warning("background start (tracker, job queue) failed: %s", error)


@st.cache_resource(show_spinner=False)
def start_background_warmup(delay_s: float = WARMUP_DELAY_S) -> threading.Thread | None:
    """Once per server process, after the first page has rendered: create the tracker (MLflow import,
    database set-up, interrupted runs marked) and import SciPy's statistics and skops in a daemon thread, so the
    first Lab/Runs/Model selection visit and the first scikit-learn run are fast.

    Skipped under AppTest so page tests stay deterministic (and Home's no-MLflow check holds).
    """
    if st.get_option("global.appTest"):
        return None
    thread = threading.Thread(target=_warm_up, args=(delay_s,), name="studio-warmup", daemon=True)
    thread.start()
    return thread


def queued_text(queue: JobQueue) -> str:
    """What a queued job of `queue` waits for, in the reader's language.

    The local queue runs one job after another on this machine's device; a cluster queue (one that
    offers free_resources(), e.g. Ray's) starts a job when a worker with a free CPU (and GPU) is
    there, so its text says so with what is free now.
    """
    free_resources = getattr(queue, "free_resources", None)
    if free_resources is None:
        return t("lab.queued")
    free = free_resources()
    if free is None:
        return t("team.queued_unknown")
    cpus, gpus = free
    return t("team.queued", cpus=f"{cpus:g}", gpus=f"{gpus:g}")


__all__ = ["get_tracker", "get_job_queue", "queued_text", "start_background_warmup"]
