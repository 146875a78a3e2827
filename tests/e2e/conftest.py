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
