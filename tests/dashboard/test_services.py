"""Process-wide services: the background warm-up (creates the tracker once, never raises into the server) and
what a queued job waits for on its executor."""

from __future__ import annotations

import pytest

from dashboard import services


def test_warm_up_creates_the_tracker_and_imports_scipys_statistics_and_skops(monkeypatch):
    import importlib
    import sys

    calls = []
    monkeypatch.setattr(services, "get_tracker", lambda: calls.append("tracker"))
    real_import = importlib.import_module
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *args, **kwargs: calls.append(name) or real_import(name, *args, **kwargs))
    services._warm_up(0.0)
    # Model selection's first render and the first scikit-learn run no longer import them themselves
    assert calls[0] == "tracker" and {"scipy.stats", "skops.io"} <= set(calls)
    assert "scipy.stats" in sys.modules and "skops.io" in sys.modules


def test_warm_up_swallows_a_tracking_failure(monkeypatch, caplog):
    def broken():
        raise RuntimeError("database is locked")

    monkeypatch.setattr(services, "get_tracker", broken)
    services._warm_up(0.0)  # must not raise: the Runs page retries and explains the error
    assert "database is locked" in caplog.text


def _queued_job_page(executor: str, lang: str) -> None:
    """A page showing a queued job's progress panel (AppTest script: everything it needs is inside)."""
    import streamlit as st

    from core.training.jobs import JobState
    from dashboard.job_progress import render_job_progress

    class LocalQueue:
        def get(self, job_id):
            return JobState(id=job_id, title="vision / digits / cnn", meta={}, state="queued", submitted_at=0.0)

    class RayQueue(LocalQueue):
        def free_resources(self):
            return (1.0, 0.0)

    class UnreachableRayQueue(LocalQueue):
        def free_resources(self):
            return None

    st.session_state["lang"] = lang
    queue = {"local": LocalQueue, "ray": RayQueue, "ray_unreachable": UnreachableRayQueue}[executor]()
    render_job_progress(queue, "job1", prefix="vision")


@pytest.mark.parametrize("executor, lang, expected", [
    ("local", "en", "Waiting for the device; training starts when the job ahead of it ends."),
    ("ray", "en", "Waiting for a free worker on the Ray cluster (free now: 1 CPU, 0 GPU); training starts when one is "
                  "free."),
    ("ray_unreachable", "en", "Waiting for a free worker on the Ray cluster; training starts when one is free."),
    ("local", "zh", "正在等待计算设备；前一个任务结束后开始训练。"),
    ("ray", "zh", "正在等待 Ray 集群上的空闲工作进程（当前空闲：1 个 CPU，0 个 GPU）；有空闲时即开始训练。"),
])
def test_a_queued_job_says_what_it_waits_for_on_its_executor(executor, lang, expected):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(_queued_job_page, args=(executor, lang), default_timeout=30).run()
    assert not app.exception
    assert [info.value for info in app.info] == [expected]
