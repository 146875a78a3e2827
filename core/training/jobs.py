"""Background job queue: training jobs that outlive page switches and browser reloads.

The queue lives in the server process (the app holds one with st.cache_resource); pages keep
only a job id and poll `get(job_id)`. Work runs on an executor, a seam with one method,
`submit(fn) -> concurrent.futures.Future`. The default LocalExecutor runs one worker per
accelerator. A team that outgrows one machine puts an existing distributed engine behind the
same method instead of a home-made one, e.g. a Ray adapter whose submit wraps
`ray.remote(fn).remote()` and returns `ref.future()`, or a worker that trains under a
`tf.distribute.MirroredStrategy` across local GPUs.

Team mode (STUDIO_EXECUTOR=ray) uses core.training.ray_jobs.RayJobQueue, the same API over a
Ray cluster: there a job's state must outlive this process (an app restart re-attaches to jobs
still training), so it lives in a named Ray actor instead of this queue's dict.
core.training.executors.job_queue_from_settings picks one of the two.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from core.auth import Identity, allowed
from core.errors import AccessError, TrainingError

ACTIVE_STATES = ("queued", "running")
# the server itself (cancel_all at shutdown): may cancel any job
SERVER = Identity(user="studio-server", role="admin", name="studio server")

_LOG = logging.getLogger(__name__)


class Executor(Protocol):
    """Runs zero-argument callables somewhere and hands back a Future (the distribution seam)."""

    def submit(self, fn: Callable[[], Any]) -> Future: ...


class LocalExecutor:
    """In-process workers on daemon threads: one per accelerator by default, so jobs run in order.

    Daemon threads never block a server shutdown; a run cut short that way is marked
    "interrupted" by the tracker at the next start-up.
    """

    def __init__(self, max_workers: int = 1):
        if int(max_workers) < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers!r}; use 1 per accelerator.")
        self.max_workers = int(max_workers)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def _start_workers(self) -> None:
        while len(self._threads) < self.max_workers:
            thread = threading.Thread(target=self._work, name=f"studio-job-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn()
            except BaseException as error:  # noqa: BLE001 - a job's failure never kills the worker
                future.set_exception(error)
            else:
                future.set_result(result)

    def submit(self, fn: Callable[[], Any]) -> Future:
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("executor is shut down; create a new JobQueue")
            self._start_workers()
            self._queue.put((future, fn))
        return future

    def shutdown(self, wait: bool = False) -> None:
        """Stop taking work; workers exit after their current job."""
        with self._lock:
            self._closed = True
            for _ in self._threads:
                self._queue.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


@dataclass(frozen=True)
class JobState:
    """A snapshot of one job, safe to read from any thread."""

    id: str
    title: str
    meta: dict[str, Any]
    state: str  # queued | running | completed | failed | cancelled
    progress: Any = None
    result: Any = None
    error: BaseException | None = None  # kept as raised (a StudioError keeps its key and params)
    run_id: str | None = None
    submitted_at: float = 0.0  # time.time() seconds
    started_at: float | None = None
    finished_at: float | None = None
    cancel_requested: bool = False
    owner: str = ""  # who submitted it (a signed-in user id, or one browser session's id)
    owner_name: str = ""  # how people know the owner
    cancelled_by: str = ""  # who asked to cancel it (a name), when someone did

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def finished(self) -> bool:
        return not self.active

    @property
    def seconds(self) -> float | None:
        """Run time so far (running) or in total (finished); None while queued."""
        if self.started_at is None:
            return None
        return (self.finished_at or time.time()) - self.started_at


class JobCancelled(Exception):
    """Raise from a job (or call ctx.raise_if_cancelled()) to end it as "cancelled"."""


@dataclass
class _Job:
    id: str
    seq: int
    title: str
    meta: dict[str, Any]
    cancelled: threading.Event = field(default_factory=threading.Event)
    state: str = "queued"
    progress: Any = None
    result: Any = None
    error: BaseException | None = None
    run_id: str | None = None
    submitted_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    future: Future | None = None
    owner: str = ""
    owner_name: str = ""
    cancelled_by: str = ""

    def snapshot(self) -> JobState:
        return JobState(id=self.id, title=self.title, meta=dict(self.meta), state=self.state,
                        progress=self.progress, result=self.result, error=self.error, run_id=self.run_id,
                        submitted_at=self.submitted_at, started_at=self.started_at,
                        finished_at=self.finished_at, cancel_requested=self.cancelled.is_set(),
                        owner=self.owner, owner_name=self.owner_name, cancelled_by=self.cancelled_by)


class JobContext:
    """What a job function gets: report progress, watch for cancellation, name its tracked run."""

    def __init__(self, queue_: "JobQueue", job: _Job):
        self._queue = queue_
        self._job = job

    @property
    def job_id(self) -> str:
        return self._job.id

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self._job.meta)

    @property
    def cancelled(self) -> threading.Event:
        return self._job.cancelled

    def report(self, progress: Any) -> None:
        """Store the latest progress (any object; the runner sends core.training.runner.Progress)."""
        with self._queue._lock:
            self._job.progress = progress

    def set_run_id(self, run_id: str) -> None:
        """Link the job to its tracked run so the page can open it."""
        with self._queue._lock:
            self._job.run_id = run_id

    def raise_if_cancelled(self) -> None:
        if self._job.cancelled.is_set():
            raise JobCancelled()


def _finished_state(result: Any, cancel_requested: bool) -> str:
    """A job that returns after a cancel request is "cancelled" unless its result says it finished anyway.

    The result may carry `status` or `stopped_reason` (RunOutcome, FitResult, or a dict with those
    keys): a cancel that arrived after training ended must not relabel a completed run.
    """
    if not cancel_requested:
        return "completed"
    if isinstance(result, dict):
        status = result.get("status") or result.get("stopped_reason")
    else:
        status = getattr(result, "status", None) or getattr(result, "stopped_reason", None)
    if isinstance(status, str) and status != "cancelled":
        return "completed"
    return "cancelled"


def may_cancel(owner: str, identity: Identity | None) -> bool:
    """Only the job's owner and admins (roles that may cancel_any) may cancel a job."""
    if identity is None:
        return False
    return (bool(identity.user) and identity.user == owner) or allowed(identity.role, "cancel_any")


def check_cancel(state: JobState, identity: Identity | None) -> None:
    """AccessError (in words) unless `identity` may cancel the job `state`."""
    if not may_cancel(state.owner, identity):
        raise AccessError("errors.jobs.cancel_denied", user=identity.label if identity else "?",
                          owner=state.owner_name or state.owner or "?", title=state.title)


def same_submission(state: JobState, owner: str, meta: dict[str, Any]) -> bool:
    """An active job of the same owner with the same meta (use case, data, model, settings): a repeat."""
    return state.active and bool(owner) and state.owner == owner and state.meta == meta


class JobQueue:
    """Thread-safe queue of background jobs over an Executor; keeps the newest finished jobs for display."""

    POLL_S = 0.01  # how often wait() looks at a job

    def __init__(self, executor: Executor | None = None, *, keep_finished: int = 50):
        self.executor = executor if executor is not None else LocalExecutor(max_workers=1)
        self.keep_finished = int(keep_finished)
        self._lock = threading.RLock()
        self._jobs: dict[str, _Job] = {}
        self._seq = itertools.count()

    def refuse_repeat(self, owner: str, meta: dict[str, Any], title: str) -> None:
        """TrainingError when `owner` already has this very job queued or running (a second click on Train)."""
        if owner and any(same_submission(state, owner, meta) for state in self.active()):
            raise TrainingError("errors.jobs.duplicate", title=title)

    def submit(self, fn: Callable[[JobContext], Any], *, title: str, meta: dict[str, Any] | None = None,
               owner: str = "", owner_name: str = "") -> str:
        """Queue fn(ctx) and return the job id at once.

        `owner` is who submitted it (only they and admins may cancel it); the same owner submitting
        the same meta again while the first is queued or running is refused (TrainingError).
        """
        meta = dict(meta or {})
        job = _Job(id=uuid.uuid4().hex[:12], seq=next(self._seq), title=str(title), meta=meta,
                   owner=str(owner), owner_name=str(owner_name or owner))
        with self._lock:
            self.refuse_repeat(job.owner, meta, job.title)
            self._jobs[job.id] = job
            self._prune()
        try:
            job.future = self.executor.submit(lambda: self._run(job, fn))
        except BaseException as error:  # noqa: BLE001 - the page shows it as a failed job
            with self._lock:
                job.state, job.error, job.finished_at = "failed", error, time.time()
        return job.id

    def _run(self, job: _Job, fn: Callable[[JobContext], Any]) -> Any:
        with self._lock:
            if job.state != "queued":  # cancelled while it waited
                return None
            job.state, job.started_at = "running", time.time()
        context = JobContext(self, job)
        try:
            result = fn(context)
        except JobCancelled:
            with self._lock:
                job.state, job.finished_at = "cancelled", time.time()
            return None
        except BaseException as error:  # noqa: BLE001 - kept for the page; the worker lives on
            _LOG.info("job %s failed: %r", job.id, error)
            with self._lock:
                job.state, job.error, job.finished_at = "failed", error, time.time()
            return None
        with self._lock:
            job.result = result
            job.state = _finished_state(result, job.cancelled.is_set())
            job.finished_at = time.time()
        return result

    def _prune(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j.state not in ACTIVE_STATES), key=lambda j: j.seq)
        for job in finished[: max(0, len(finished) - self.keep_finished)]:
            del self._jobs[job.id]

    def get(self, job_id: str | None) -> JobState | None:
        """Snapshot of a job, or None for an unknown id (e.g. a server restarted since)."""
        with self._lock:
            job = self._jobs.get(job_id) if job_id else None
            return job.snapshot() if job else None

    def cancel(self, job_id: str, *, by: Identity) -> bool:
        """Cancel a queued job at once, or ask a running one to stop; False when there is nothing to cancel.

        `by` is who asks: AccessError unless it is the job's owner or an admin.
        """
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state not in ACTIVE_STATES:
                return False
            check_cancel(job.snapshot(), by)
            job.cancelled_by = by.label
            job.cancelled.set()
            if job.state == "queued":
                job.state, job.finished_at = "cancelled", time.time()
                if job.future is not None:
                    job.future.cancel()
            return True

    def jobs(self) -> list[JobState]:
        """All kept jobs, newest first."""
        with self._lock:
            return [job.snapshot() for job in sorted(self._jobs.values(), key=lambda j: -j.seq)]

    def active(self) -> list[JobState]:
        """Queued and running jobs, newest first."""
        return [job for job in self.jobs() if job.active]

    def wait(self, job_id: str, timeout: float | None = None) -> JobState | None:
        """Block until the job has finished (or timeout seconds passed) and return its snapshot."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.get(job_id)
            if state is None or state.finished:
                return state
            if deadline is not None and time.monotonic() >= deadline:
                return state
            time.sleep(self.POLL_S)

    def cancel_all(self) -> None:
        """Cancel every queued and running job (e.g. at server shutdown)."""
        for job in self.active():
            self.cancel(job.id, by=SERVER)

