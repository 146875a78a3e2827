"""Fixtures shared by core tests."""

from __future__ import annotations

import pytest

from core.config import get_settings


@pytest.fixture(scope="module")
def studio_tracker(tmp_path_factory, seed_tracking_db):
    """The studio's own tracker (embedded SQLite under a throw-away data dir) shared by one test module;
    its database starts as a copy of the session's empty MLflow schema."""
    from core.tracking.store import tracker_from_settings

    data_dir = tmp_path_factory.mktemp("studio-data")
    seed_tracking_db(data_dir)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("STUDIO_DATA_DIR", str(data_dir))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("STUDIO_ARTIFACT_DIR", raising=False)
    get_settings.cache_clear()
    yield tracker_from_settings(get_settings())
    monkeypatch.undo()
    get_settings.cache_clear()
