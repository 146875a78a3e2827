"""Shared AppTest fixtures: the real app entry on a throw-away data dir, plus a language switch."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.config import get_settings

APP_PATH = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
PAGES_DIR = APP_PATH.parent.parent / "pages"
ENV_TO_CLEAR = ("MLFLOW_TRACKING_URI", "STUDIO_ARTIFACT_DIR", "STUDIO_LANGUAGE", "STUDIO_DEVICE",
                "STUDIO_EXPERIMENT", "STUDIO_MAX_UPLOAD_MB")


@pytest.fixture
def app_test(tmp_path, monkeypatch, seed_tracking_db) -> Callable[..., AppTest]:
    """Factory for AppTest on dashboard/app.py with STUDIO_DATA_DIR in tmp_path and fresh caches.

    The data dir starts with a copy of the session's empty MLflow database (schema made once, not per test).
    The default timeout is generous: pages that import TensorFlow take seconds on a busy CI box.

    app_test(offline=True): online datasets off, so no page test can reach the network.
    """
    data_dir = tmp_path / "studio-data"

    def make(*, offline: bool = True, timeout: float = 90) -> AppTest:
        monkeypatch.setenv("STUDIO_DATA_DIR", str(data_dir))
        seed_tracking_db(data_dir)
        for name in ENV_TO_CLEAR:
            monkeypatch.delenv(name, raising=False)
        if offline:
            monkeypatch.setenv("STUDIO_OFFLINE", "1")
        else:
            monkeypatch.delenv("STUDIO_OFFLINE", raising=False)
        get_settings.cache_clear()
        # st.cache_resource/cache_data are process-wide: a tracker or job queue cached by an
        # earlier test would still point at that test's data dir.
        st.cache_resource.clear()
        st.cache_data.clear()
        return AppTest.from_file(str(APP_PATH), default_timeout=timeout)

    yield make
    _stop_left_jobs()
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


def _stop_left_jobs(timeout: float = 60.0) -> None:
    """Cancel what a test left queued or running in the app's job queue and wait for it to stop: a job that
    trains on in its thread after its test took the CPU from the tests after it."""
    from dashboard.services import get_job_queue

    queue = get_job_queue()
    left = queue.active()
    queue.cancel_all()
    for job in left:
        queue.wait(job.id, timeout=timeout)


def wait_for_jobs(timeout: float = 300.0) -> list:
    """Block until the app's job queue has no queued or running job; the jobs that were active, finished.

    Waits on the queue itself (dashboard.services.get_job_queue, the one the page submitted to), so no page
    rerun competes with the job for the CPU. AssertionError after `timeout` s, a budget, not a measurement.
    """
    from dashboard.services import get_job_queue

    queue = get_job_queue()
    deadline = time.monotonic() + timeout
    finished: dict[str, object] = {}
    while active := queue.active():
        for job in active:
            state = queue.wait(job.id, timeout=max(0.0, deadline - time.monotonic()))
            if state is not None and state.active:
                raise AssertionError(f"job {job.title!r} still {state.state} after {timeout:.0f} s")
            finished[job.id] = state
    return list(finished.values())


def finish_jobs(at: AppTest, timeout: float = 300.0) -> AppTest:
    """Wait for every job the page started (wait_for_jobs), then run the page once to show the outcome."""
    wait_for_jobs(timeout)
    return at.run()


@pytest.fixture
def run_after_jobs() -> Callable[..., AppTest]:
    """finish_jobs as a fixture: run_after_jobs(at) waits on the job queue, then reruns the page once."""
    return finish_jobs


def wait_for_progress(job_filter: Callable[[object], bool] = lambda job: True, *, timeout: float = 300.0):
    """The first active job (matching job_filter) once it has reported progress: its JobState.

    Polls the queue's snapshots (cheap), not the page."""
    from dashboard.services import get_job_queue

    queue = get_job_queue()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for job in queue.jobs():
            if job_filter(job) and job.progress is not None:
                return job
        time.sleep(0.2)
    raise AssertionError(f"no job reported progress within {timeout:.0f} s")


@pytest.fixture
def job_progress() -> Callable[..., object]:
    """wait_for_progress as a fixture."""
    return wait_for_progress


def set_language(at: AppTest, lang: str) -> AppTest:
    """Choose a language in the sidebar switch (key "lang") and rerun; returns the AppTest."""
    at.segmented_control(key="lang").set_value(lang)
    return at.run()


@pytest.fixture
def switch_language() -> Callable[[AppTest, str], AppTest]:
    """The set_language helper as a fixture, for page tests that cannot import conftest."""
    return set_language


def nav_titles(at: AppTest) -> dict[str, str]:
    """{url_path or 'home': navigation title} of the pages registered by the last run."""
    return {(info.get("url_pathname") or "home"): info.get("page_name", "")
            for info in at._registered_pages.values()}


@pytest.fixture
def navigation_titles() -> Callable[[AppTest], dict[str, str]]:
    """Navigation titles the sidebar shows, by url path (uses AppTest's registered pages)."""
    return nav_titles


@pytest.fixture
def current_page() -> Callable[[AppTest], str]:
    """The url path of the page the last run finished on ('home' for the default page)."""
    def page(at: AppTest) -> str:
        info = at._registered_pages.get(at._finished_page_script_hash, {})
        return info.get("url_pathname") or "home"
    return page


@pytest.fixture
def record_run() -> Callable[..., str]:
    """Record a finished run in the app's tracker without training (call after app_test(), which sets the data dir).

    record_run("recommendation", "movielens", "mf", {"test_rmse": 0.87}, train_size=80_000, fingerprint="ml-0")
    """
    import time as _time

    def record(use_case: str, dataset: str, model: str, metrics: dict[str, float], *, train_size: int,
               fingerprint: str, kind: str | None = None, source_name: str = "", rows: int | None = None,
               seed: int = 0) -> str:
        from core.tracking.records import TAG_DATASET_ROWS, TAG_FINGERPRINT, TAG_SOURCE_KIND, TAG_SOURCE_NAME
        from core.contract.registry import get_use_case
        from dashboard.services import get_tracker

        tracker = get_tracker()
        case = get_use_case(use_case)
        kind = kind or case.candidate(model).kind
        source = case.dataset(dataset)
        val_size, test_size = train_size // 8, train_size // 4
        tags = {TAG_FINGERPRINT: fingerprint, TAG_SOURCE_KIND: source.kind, "studio.device": "CPU (2 cores)",
                TAG_DATASET_ROWS: rows if rows is not None else train_size + val_size + test_size}
        if source_name:
            tags[TAG_SOURCE_NAME] = source_name
        run_id = tracker.start_run(use_case=use_case, dataset=dataset, model=model, tags=tags, params={
            "use_case": use_case, "dataset": dataset, "model": model, "model_kind": kind, "seed": seed,
            "train_size": train_size, "val_size": val_size, "test_size": test_size})
        tracker.log_metrics(run_id, {"train_seconds": 2.0, "latency_p50_ms": 1.0, "latency_p95_ms": 2.0, **metrics})
        tracker.finish(run_id, "completed")
        _time.sleep(0.01)  # runs list newest first by start time (ms)
        return run_id

    return record
