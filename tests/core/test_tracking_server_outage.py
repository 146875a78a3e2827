"""A shared MLflow server that goes away mid-run and comes back (issue 21 item 5): the write it refused says what
was lost in words, a run query says the runs cannot be read right now, and once the server is back the run ends
failed without a restart. A real `mlflow server`, stopped and started again on the same port and database."""

from __future__ import annotations

import time

import pytest

from core.errors import TrackingError

pytestmark = pytest.mark.slow  # starts an MLflow server twice (tens of seconds on a loaded machine)


def test_a_server_that_goes_away_mid_run_and_comes_back_ends_the_run_failed(tmp_path, monkeypatch, mlflow_template):
    from team_services import MlflowServer

    from core.tracking import faults
    from core.tracking.store import Tracker

    # the MLflow client retries a dead server for minutes by default; the refusal, not the wait, is under test
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    monkeypatch.setattr(faults, "RETRY_S", 0.5)
    server = MlflowServer(tmp_path / "server", schema=mlflow_template)
    try:
        tracker = Tracker(server.url, tmp_path / "artifacts")
        run_id = tracker.start_run(use_case="vision", dataset="digits", model="mlp", params={"epochs": 3})
        tracker.log_epoch(run_id, 1, {"loss": 1.2, "accuracy": 0.5})
        server.stop()
        with pytest.raises(TrackingError, match=r"refused a write .*its result is lost") as raised:
            tracker.log_epoch(run_id, 2, {"loss": 0.9, "accuracy": 0.7})
        assert "Nothing was lost" not in str(raised.value)
        with pytest.raises(TrackingError, match="refused a write"):
            tracker.finish(run_id, "failed", error=str(raised.value))
        assert run_id in tracker.pending_ends
        with pytest.raises(TrackingError, match="cannot be read right now"):
            tracker.list_runs(use_case="vision")
        server = MlflowServer(tmp_path / "server", port=server.port)  # back, same port, same database
        deadline = time.monotonic() + 120
        while run_id in tracker.pending_ends:  # written again in the background, no restart, no page visit
            assert time.monotonic() < deadline, "the refused final status was never written again"
            time.sleep(0.2)
        run = tracker.get_run(run_id)
        assert run.info.status == "FAILED" and run.data.tags["studio.status"] == "failed"
        assert "refused a write" in run.data.tags["studio.error"]
        assert list(tracker.list_runs(use_case="vision")["status"]) == ["failed"]
    finally:
        server.stop()
