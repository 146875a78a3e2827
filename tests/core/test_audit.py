"""The audit trail: append-only JSON lines of who deleted or imported which run, and the guarded actions."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from core import audit
from core.auth import Identity
from core.errors import AccessError, TrackingError

ADMIN = Identity(user="alice@example.com", role="admin", name="Alice", signed_in=True)
TRAINER = Identity(user="tom@example.com", role="trainer", signed_in=True)
VIEWER = Identity(user="vera@example.com", role="viewer", signed_in=True)


class FakeTracker:
    """Just enough of core.tracking.store.Tracker: runs by id, get_run, delete_run."""

    def __init__(self, *run_ids: str):
        self.runs = {run_id: SimpleNamespace(info=SimpleNamespace(run_id=run_id, run_name=f"vision / digits / {run_id}"))
                     for run_id in run_ids}

    def get_run(self, run_id):
        if run_id not in self.runs:
            raise TrackingError("errors.tracking.not_found", run_id=run_id)
        return self.runs[run_id]

    def delete_run(self, run_id):
        del self.runs[run_id]


def test_events_are_appended_as_json_lines_and_read_newest_first(tmp_path):
    log = tmp_path / "audit.jsonl"
    first = audit.record(log, ADMIN, "delete_run", run_id="r1", detail="vision / digits / cnn",
                         when=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert first == {"when": "2026-01-02T03:04:05+00:00", "who": "alice@example.com", "role": "admin",
                     "action": "delete_run", "run_id": "r1", "detail": "vision / digits / cnn"}
    audit.record(log, TRAINER, "import_model", run_id="r2", detail="我的模型.keras")
    lines = log.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["run_id"] for line in lines] == ["r1", "r2"]  # appended in order
    assert [event["who"] for event in audit.read(log)] == ["tom@example.com", "alice@example.com"]
    assert audit.read(log)[0]["detail"] == "我的模型.keras"
    assert audit.read(log, limit=1)[0]["run_id"] == "r2"


def test_a_damaged_line_is_skipped_and_a_missing_log_is_empty(tmp_path):
    log = tmp_path / "audit.jsonl"
    assert audit.read(log) == []
    audit.record(log, ADMIN, "delete_run", run_id="r1")
    with open(log, "a", encoding="utf-8") as handle:
        handle.write('{"who": "half a li')
    audit.record(log, ADMIN, "delete_run", run_id="r3")
    assert [event["run_id"] for event in audit.read(log)] == ["r3", "r1"]


def test_unknown_actions_are_a_programming_error(tmp_path):
    with pytest.raises(ValueError, match="Unknown audit action 'rename'"):
        audit.record(tmp_path / "audit.jsonl", ADMIN, "rename")


@pytest.mark.parametrize("identity", [VIEWER, TRAINER])
def test_only_admins_delete_runs_and_a_refusal_changes_nothing(tmp_path, identity):
    tracker, log = FakeTracker("r1"), tmp_path / "audit.jsonl"
    with pytest.raises(AccessError, match="needs the admin role"):
        audit.delete_run(tracker, identity, "r1", log_path=log)
    assert "r1" in tracker.runs and not log.exists()


def test_an_admin_deletion_is_logged_with_who_what_when_and_the_run(tmp_path):
    tracker, log = FakeTracker("r1", "r2"), tmp_path / "audit.jsonl"
    audit.delete_run(tracker, ADMIN, "r1", log_path=log)
    assert list(tracker.runs) == ["r2"]
    (event,) = audit.read(log)
    assert (event["who"], event["role"], event["action"], event["run_id"], event["detail"]) == (
        "alice@example.com", "admin", "delete_run", "r1", "vision / digits / r1")
    assert datetime.fromisoformat(event["when"]).tzinfo is not None
    with pytest.raises(TrackingError):  # an unknown run: nothing logged
        audit.delete_run(tracker, ADMIN, "nope", log_path=log)
    assert len(audit.read(log)) == 1


def test_viewers_cannot_import_models_and_nothing_is_tracked(tmp_path, monkeypatch):
    import core.training.saved_runs as saved_runs

    calls = []
    monkeypatch.setattr(saved_runs, "import_model_run", lambda **kwargs: calls.append(kwargs))
    with pytest.raises(AccessError, match="viewer role, which may not do this \\(import\\)"):
        audit.import_model(VIEWER, log_path=tmp_path / "audit.jsonl", tracker=None, use_case="vision",
                           dataset="digits", model_bytes=b"", filename="m.keras")
    assert calls == [] and not (tmp_path / "audit.jsonl").exists()


def test_an_import_records_the_user_on_the_run_and_in_the_log(tmp_path, monkeypatch):
    import core.training.saved_runs as saved_runs

    calls = []

    def fake_import(**kwargs):
        calls.append(kwargs)
        return SimpleNamespace(run_id="r9")

    monkeypatch.setattr(saved_runs, "import_model_run", fake_import)
    outcome = audit.import_model(TRAINER, log_path=tmp_path / "audit.jsonl", tracker=None, use_case="vision",
                                 dataset="digits", model_bytes=b"x", filename="cnn.keras")
    assert outcome.run_id == "r9" and calls[0]["user"] == "tom@example.com"
    (event,) = audit.read(tmp_path / "audit.jsonl")
    assert (event["who"], event["action"], event["run_id"], event["detail"]) == (
        "tom@example.com", "import_model", "r9", "cnn.keras")


def test_cancelling_someone_elses_job_is_refused_for_a_trainer_and_audited_for_an_admin(tmp_path):
    import threading

    from core.training.jobs import JobQueue

    log = tmp_path / "audit.jsonl"
    queue = JobQueue()
    release = threading.Event()

    def hold(ctx):
        while not release.wait(0.01):
            ctx.raise_if_cancelled()

    job = queue.submit(hold, title="vision / digits / mlp", meta={}, owner=TRAINER.user, owner_name="Tom")
    other_trainer = Identity(user="tina@example.com", role="trainer", name="Tina", signed_in=True)
    for stranger in (VIEWER, other_trainer):
        with pytest.raises(AccessError, match="only the person who started it"):
            audit.cancel_job(queue, stranger, job, log_path=log)
    assert audit.read(log) == [] and queue.get(job).active
    assert audit.cancel_job(queue, ADMIN, job, log_path=log) is True
    assert queue.wait(job, 10).state == "cancelled" and queue.get(job).cancelled_by == "Alice"
    [event] = audit.read(log)
    assert (event["who"], event["role"], event["action"]) == ("alice@example.com", "admin", "cancel_job")
    assert "vision / digits / mlp" in event["detail"] and "Tom" in event["detail"]
    assert audit.cancel_job(queue, ADMIN, job, log_path=log) is False  # nothing left to cancel, nothing logged
    assert len(audit.read(log)) == 1
    queue.executor.shutdown()
