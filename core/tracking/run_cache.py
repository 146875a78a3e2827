"""What stays the same between page reruns, kept by a Tracker so pages stay fast with hundreds of runs.

- The run listing (one MLflow search, turned into RunRecords) is reused until the store changes: a run added,
  finished, deleted or logged to. Changes made through any tracker of this process bump a process-wide
  generation; changes by other processes (Ray workers, a second app) show in a cheap fingerprint of the
  SQLite runs table (`sqlite_token`, one aggregate query). A shared MLflow server has no such fingerprint:
  there every listing is searched afresh, as before.
- The files and curves of a finished run (evaluation.json is written before the run ends and never after) are
  kept by run id, bounded in size, and dropped when the run is deleted or leaves the listing.

Imports neither MLflow nor pandas.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

from core.tracking.records import run_record
from core.tracking.sqlite_runs import sqlite_path

TERMINAL = frozenset({"FINISHED", "FAILED", "KILLED"})  # MLflow statuses a run never leaves
MAX_TEXT_CHARS = 64_000_000  # evaluation files kept in memory (characters, all runs together)
MAX_FRAMES = 16

_generation = 0
_generation_lock = threading.Lock()


def touch() -> None:
    """Something was written to a store by this process: every tracker's listing is read afresh."""
    global _generation
    with _generation_lock:
        _generation += 1


def generation() -> int:
    return _generation


def sqlite_token(tracking_uri: str, experiment_id: str) -> tuple | None:
    """A fingerprint of the experiment's runs that changes when a run is added, ends, is deleted or restored, or
    a running run logs a metric; None when the store is not a local SQLite file (or cannot be read this way)."""
    path = sqlite_path(tracking_uri)
    if path is None:
        return None
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            experiment = int(experiment_id)
            runs = connection.execute(
                "SELECT COUNT(*), SUM(lifecycle_stage = 'active'), SUM(status = 'RUNNING'), MAX(start_time), "
                "SUM(COALESCE(end_time, 0)), SUM(COALESCE(deleted_time, 0)), "
                "SUM(status = 'FINISHED'), SUM(status = 'FAILED'), SUM(status = 'KILLED') "
                "FROM runs WHERE experiment_id = ?", (experiment,)).fetchone()
            live = ()
            if runs[2]:  # runs in training log metrics every epoch: their latest values change the listing
                live = connection.execute(
                    "SELECT COUNT(*), MAX(timestamp), SUM(step) FROM latest_metrics WHERE run_uuid IN "
                    "(SELECT run_uuid FROM runs WHERE experiment_id = ? AND status = 'RUNNING')",
                    (experiment,)).fetchone()
            return tuple(runs) + tuple(live)
        finally:
            connection.close()
    except (sqlite3.Error, ValueError):
        return None


class RunCache:
    """One tracker's listing, frames, finished runs' files and curves (see the module text)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._token: Hashable | None = None
        self._records: list | None = None
        self._by_id: dict[str, Any] = {}
        self._artifact_uris: dict[str, str] = {}
        self._terminal: set[str] = set()
        self._frames: OrderedDict = OrderedDict()
        self._texts: OrderedDict = OrderedDict()
        self._text_chars = 0
        self._histories: dict[str, dict[str, list[float]]] = {}

    # -- the listing ------------------------------------------------------------------------------

    def records(self, token: Hashable | None, search: Callable[[], list]) -> list:
        """The RunRecords of the store: reused while `token` (None: never) is unchanged, else search() -> runs."""
        with self._lock:
            if token is not None and token == self._token and self._records is not None:
                return self._records
        runs = search()

        records = [run_record(run) for run in runs]
        with self._lock:
            self._token, self._records = token, records
            self._by_id = {record.run_id: record for record in records}
            self._frames.clear()
            for run in runs:
                self._artifact_uris[run.info.run_id] = run.info.artifact_uri or ""
                if run.info.status in TERMINAL:
                    self._terminal.add(run.info.run_id)
            for gone in set(self._artifact_uris) - set(self._by_id):  # deleted elsewhere: forget its files
                self.forget(gone)
        return records

    def record(self, run_id: str, token: Hashable | None) -> Any | None:
        """The listed RunRecord of a finished run while the listing is current, else None."""
        with self._lock:
            if token is None or token != self._token or run_id not in self._terminal:
                return None
            return self._by_id.get(run_id)

    def frame(self, key: Hashable, token: Hashable | None, build: Callable[[], Any]) -> Any:
        """build() (a DataFrame) kept for this token; the caller gets a copy it may change."""
        if token is None:
            return build()
        with self._lock:
            kept = self._frames.get((token, key))
        if kept is None:
            kept = build()
            with self._lock:
                self._frames[(token, key)] = kept
                while len(self._frames) > MAX_FRAMES:
                    self._frames.popitem(last=False)
        return kept.copy()

    # -- finished runs' files and curves -------------------------------------------------------------

    def artifact_uri(self, run_id: str) -> str | None:
        """The artifact location a listing showed for a finished run (no get_run needed), else None."""
        with self._lock:
            return self._artifact_uris.get(run_id) if run_id in self._terminal else None

    def ended(self, run_id: str, mlflow_status: str | None = None) -> bool:
        """True once the run is known to have ended (its files and curves no longer change)."""
        with self._lock:
            if mlflow_status in TERMINAL:
                self._terminal.add(run_id)
            return run_id in self._terminal

    def text(self, run_id: str, path: str) -> str | None:
        with self._lock:
            text = self._texts.get((run_id, path))
            if text is not None:
                self._texts.move_to_end((run_id, path))
            return text

    def keep_text(self, run_id: str, path: str, text: str) -> None:
        if len(text) > MAX_TEXT_CHARS // 4:
            return
        with self._lock:
            if (run_id, path) in self._texts:
                return
            self._texts[(run_id, path)] = text
            self._text_chars += len(text)
            while self._text_chars > MAX_TEXT_CHARS:
                _, dropped = self._texts.popitem(last=False)
                self._text_chars -= len(dropped)

    def history(self, run_id: str) -> dict[str, list[float]] | None:
        with self._lock:
            kept = self._histories.get(run_id)
            return {key: list(values) for key, values in kept.items()} if kept is not None else None

    def keep_history(self, run_id: str, history: dict[str, list[float]]) -> None:
        with self._lock:
            self._histories[run_id] = {key: list(values) for key, values in history.items()}

    def forget(self, run_id: str) -> None:
        """Drop everything kept about a run (it was deleted)."""
        with self._lock:
            self._artifact_uris.pop(run_id, None)
            self._terminal.discard(run_id)
            self._histories.pop(run_id, None)
            self._by_id.pop(run_id, None)
            for key in [key for key in self._texts if key[0] == run_id]:
                self._text_chars -= len(self._texts.pop(key))
