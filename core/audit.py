"""An append-only audit trail: who deleted or imported which run, who cancelled whose job, and when (JSON lines under the data dir).

Each event is one line written with O_APPEND under an exclusive lock, so concurrent sessions and
processes never interleave or rewrite earlier lines; nothing in the studio edits or truncates it.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.auth import Identity, authorize

if TYPE_CHECKING:
    from core.tracking.store import Tracker
    from core.training.jobs import JobQueue

EVENTS = ("delete_run", "import_model", "strategy_defaults", "cancel_job")


def record(path: str | os.PathLike, identity: Identity, action: str, *, run_id: str | None = None,
           detail: str = "", when: datetime | None = None) -> dict[str, Any]:
    """Append one event {when, who, role, action, run_id, detail} and return it."""
    if action not in EVENTS:
        raise ValueError(f"Unknown audit action {action!r}; use one of {', '.join(EVENTS)}.")
    event = {
        "when": (when or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "who": identity.user,
        "role": identity.role,
        "action": action,
        "run_id": run_id or "",
        "detail": detail,
    }
    line = (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":  # a line torn by a crash: start a fresh one
            line = b"\n" + line
        os.write(fd, line)
    finally:
        os.close(fd)  # closing releases the lock
    return event


def read(path: str | os.PathLike, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Events newest first (at most `limit`); a damaged line is skipped, never fatal."""
    path = Path(path)
    if not path.exists():
        return []
    events = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                events.append(event)
    events.reverse()
    return events[:limit] if limit is not None else events


def delete_run(tracker: Tracker, identity: Identity, run_id: str, *, log_path: str | os.PathLike) -> None:
    """Delete a run if the identity may (admins), and write who did it to the audit log."""
    authorize(identity, "delete")
    run = tracker.get_run(run_id)  # TrackingError for an unknown run, before anything is logged
    tracker.delete_run(run_id)
    record(log_path, identity, "delete_run", run_id=run_id, detail=run.info.run_name or "")


def import_model(identity: Identity, *, log_path: str | os.PathLike, **kwargs: Any) -> Any:
    """core.training.saved_runs.import_model_run for a trainer or admin, tagged with and audited as them."""
    from core.training.saved_runs import import_model_run

    authorize(identity, "import")
    outcome = import_model_run(user=identity.user, **kwargs)
    record(log_path, identity, "import_model", run_id=outcome.run_id, detail=str(kwargs.get("filename", "")))
    return outcome


def cancel_job(queue: JobQueue, identity: Identity, job_id: str, *, log_path: str | os.PathLike) -> bool:
    """Cancel a training job if the identity may (its owner, or an admin; the queue refuses anyone else with
    AccessError), and write who cancelled whose job to the audit log. False when there was nothing to cancel."""
    state = queue.get(job_id)
    if state is None or not queue.cancel(job_id, by=identity):
        return False
    owner = state.owner_name or state.owner or "?"
    record(log_path, identity, "cancel_job", run_id=state.run_id,
           detail=f"{state.title} (job {job_id}) of {owner}" + ("" if state.owner == identity.user else
                                                               f" <{state.owner}>"))
    return True


__all__ = ["EVENTS", "record", "read", "delete_run", "import_model", "cancel_job"]
