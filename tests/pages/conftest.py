"""Shared AppTest fixtures: the real app entry on a throw-away data dir, plus a language switch."""

from __future__ import annotations

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
def app_test(tmp_path, monkeypatch) -> Callable[..., AppTest]:
    """Factory for AppTest on dashboard/app.py with STUDIO_DATA_DIR in tmp_path and fresh caches.

    The default timeout is generous: pages that import TensorFlow take seconds on a busy CI box.

    app_test(offline=True): online datasets off, so no page test can reach the network.
    """
    data_dir = tmp_path / "studio-data"

    def make(*, offline: bool = True, timeout: float = 90) -> AppTest:
        monkeypatch.setenv("STUDIO_DATA_DIR", str(data_dir))
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
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


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
