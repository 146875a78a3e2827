"""Fixtures of the LLM tests: a tracker on the test's own data folder (runs, uploads and the answer cache there)."""

from __future__ import annotations

import pytest

from core.config import get_settings


@pytest.fixture()
def tracker(tmp_path, monkeypatch):
    """An embedded MLflow tracker under tmp_path (STUDIO_DATA_DIR), no tracking server."""
    from core.tracking.store import tracker_from_settings

    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    yield tracker_from_settings(get_settings())
    get_settings.cache_clear()
