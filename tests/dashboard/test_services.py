"""Background warm-up: creates the tracker once after start-up and never raises into the server."""

from __future__ import annotations

from dashboard import services


def test_warm_up_creates_the_tracker(monkeypatch):
    calls = []
    monkeypatch.setattr(services, "get_tracker", lambda: calls.append("tracker"))
    services._warm_up(0.0)
    assert calls == ["tracker"]


def test_warm_up_swallows_a_tracking_failure(monkeypatch, caplog):
    def broken():
        raise RuntimeError("database is locked")

    monkeypatch.setattr(services, "get_tracker", broken)
    services._warm_up(0.0)  # must not raise: the Runs page retries and explains the error
    assert "database is locked" in caplog.text
