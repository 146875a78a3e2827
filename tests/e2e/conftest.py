"""Browser-test session: one `streamlit run` of the app and one Chromium for every test that asks for them.

The fixtures `server` (the app's URL) and `page` (a fresh browser context per test) are defined in
e2e_support.py and registered here for the whole folder; the server and Chromium behind them start on
first use and stop once, at the end of the session. Every test in this folder is marked e2e.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # e2e_support, test_browser: importable by name
from e2e_support import SESSION, page, server  # noqa: E402,F401 - fixtures for the folder


@pytest.fixture(scope="session", autouse=True)
def e2e_session(tmp_path_factory, seed_tracking_db):
    """Where the shared server keeps its data (starting from the session's empty MLflow schema); stops the
    shared server and Chromium after the last test."""
    SESSION.folder = tmp_path_factory.mktemp("e2e")
    SESSION.seed_data_dir = seed_tracking_db
    yield SESSION
    SESSION.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, keep what its page showed: test-artifacts/e2e/FAILED-<test>.png and .txt."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    from e2e_support import ARTIFACTS

    for name in ("page", "team_page"):
        page = getattr(item, "funcargs", {}).get(name)
        if page is None:
            continue
        stem = ARTIFACTS / f"FAILED-{item.name}"[:150]
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{stem}.png", full_page=True)
            stem.with_suffix(".txt").write_text(f"{page.url}\n\n{page.inner_text('body')}", encoding="utf-8")
        except Exception:  # noqa: BLE001 - a diagnostic must never hide the failure itself
            pass
