"""Run-store faults: an MLflow or SQLite failure becomes a TrackingError in words, and the final status of a
run the store refused (disk full, file unwritable, database locked, server gone) is written again as soon
as the store accepts writes, without a restart: a run never stays "Running" after its training was lost.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Callable, Iterator

from core.errors import StudioError, TrackingError

RETRY_S = 2.0  # how often refused final statuses are written again

_LOG = logging.getLogger(__name__)


def short(error: BaseException) -> str:
    """'Type: first line of the message' (at most 200 characters of it), for a message in words."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__


def not_found(error: BaseException) -> bool:
    """MLflow's 'no such run' (RESOURCE_DOES_NOT_EXIST), as opposed to a store that failed."""
    return "RESOURCE_DOES_NOT_EXIST" in str(getattr(error, "error_code", ""))


@contextlib.contextmanager
def store_errors(uri: str, *, writing: bool) -> Iterator[None]:
    """Turn any store failure inside into TrackingError: write_failed (a training relying on it is lost) or
    read_failed (the page cannot list runs for now)."""
    try:
        yield
    except StudioError:
        raise
    except Exception as error:  # noqa: BLE001 - MlflowException, sqlite3/SQLAlchemy errors, OSError, HTTP errors
        key = "errors.tracking.write_failed" if writing else "errors.tracking.read_failed"
        raise TrackingError(key, uri=uri, detail=short(error)) from error


class PendingEnds:
    """Final statuses {run id: (status, error)} the store refused, retried every RETRY_S s on a daemon thread."""

    def __init__(self, write: Callable[[str, str, str | None], None]):
        self._write = write
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[str, str | None]] = {}
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def __contains__(self, run_id: object) -> bool:
        with self._lock:
            return run_id in self._pending

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def add(self, run_id: str, status: str, error: str | None) -> None:
        with self._lock:
            self._pending[run_id] = (status, error)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="studio-store-repair", daemon=True)
                self._thread.start()

    def retry(self) -> list[str]:
        """Write every refused final status again; the run ids written now (the rest stay pending)."""
        with self._lock:
            items = list(self._pending.items())
        done = []
        for run_id, (status, error) in items:
            try:
                self._write(run_id, status, error)
            except Exception as failure:  # noqa: BLE001 - still refused: try again later
                _LOG.info("run %s: final status still refused by the store: %s", run_id, short(failure))
                continue
            done.append(run_id)
            with self._lock:
                self._pending.pop(run_id, None)
        return done

    def _loop(self) -> None:
        while len(self):
            self._wake.wait(RETRY_S)
            self._wake.clear()
            self.retry()


__all__ = ["RETRY_S", "short", "not_found", "store_errors", "PendingEnds"]
