"""Team mode, the cluster side: the registry actor every app replica reads and the actor that runs one job.

core.training.ray_jobs submits jobs to these from the app; they run on the Ray cluster and outlive it.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import threading
import time
from typing import Any

import ray
from ray import cloudpickle

from core.tracking.records import TAG_EXECUTOR, TAG_WORKER
from core.training.jobs import ACTIVE_STATES, JobCancelled, _finished_state

NAMESPACE = "ai-strategy-studio"
REGISTRY_NAME = "studio-jobs"
WORKER_PREFIX = "studio-job-"
REPORT_INTERVAL_S = 0.25  # at most this often a worker sends batch progress (epoch ends always)

_LOG = logging.getLogger(__name__)


def worker_name(job_id: str) -> str:
    return f"{WORKER_PREFIX}{job_id}"


def _portable(value: Any) -> Any:
    """The value itself when it pickles, else (an exception) a RuntimeError with its text."""
    try:
        pickle.dumps(value)
        return value
    except Exception:  # noqa: BLE001 - anything that does not travel becomes plain text
        if isinstance(value, BaseException):
            return RuntimeError(f"{type(value).__name__}: {value}")
        return None


class JobRegistry:
    """Every job's state in the cluster (runs as one detached, named actor; methods run one at a time)."""

    def __init__(self, keep_finished: int = 50):
        self.keep_finished = int(keep_finished)
        self._jobs: dict[str, dict[str, Any]] = {}
        self._seq = 0

    def add(self, record: dict[str, Any], payload: bytes | None = None) -> None:
        """Keep a new job and hand its pickled function to its (already created) actor.

        The registry, not the submitting app, calls the actor: a call owned by the app would be
        lost if the app exited before the actor started (Ray ties a call to its caller's life).
        """
        if payload is not None:
            ray.get_actor(worker_name(record["id"]), namespace=NAMESPACE).run.remote(record["id"], payload)
        self._seq += 1
        self._jobs[record["id"]] = {**record, "seq": self._seq}
        finished = sorted((job for job in self._jobs.values() if job["state"] not in ACTIVE_STATES),
                          key=lambda job: job["seq"])
        for job in finished[: max(0, len(finished) - self.keep_finished)]:
            del self._jobs[job["id"]]

    def restore(self, record: dict[str, Any]) -> None:
        """A running job's worker puts its record back after this registry was created anew (the old one died)."""
        if record["id"] not in self._jobs:
            self._seq += 1
            self._jobs[record["id"]] = {**record, "seq": self._seq}

    def start(self, job_id: str, worker: str) -> dict[str, Any] | None:
        """Mark a queued job running on `worker`; None when it was cancelled (or is unknown)."""
        job = self._jobs.get(job_id)
        if job is None or job["state"] != "queued":
            return None
        job.update(state="running", started_at=time.time(), worker=worker)
        return dict(job)

    def report(self, job_id: str, progress: Any) -> None:
        if job_id in self._jobs:
            self._jobs[job_id]["progress"] = progress

    def set_run_id(self, job_id: str, run_id: str) -> None:
        if job_id in self._jobs:
            self._jobs[job_id]["run_id"] = run_id

    def finish(self, job_id: str, result: Any, error: BaseException | None, cancelled: bool) -> None:
        job = self._jobs.get(job_id)
        if job is None or job["state"] not in ACTIVE_STATES:
            return
        if error is not None:
            state = "failed"
        elif cancelled:
            state = "cancelled"
        else:
            state = _finished_state(result, job["cancel_requested"])
        job.update(state=state, result=result, error=error, finished_at=time.time())

    def cancel(self, job_id: str, by: str = "") -> str | None:
        """Flag an active job for cancelling (a queued one is cancelled at once); its state before, or None.

        `by` names who asked (the app checked they may), so the owner's page can say who it was.
        """
        job = self._jobs.get(job_id)
        if job is None or job["state"] not in ACTIVE_STATES:
            return None
        before = job["state"]
        job["cancel_requested"] = True
        job["cancelled_by"] = str(by)
        if before == "queued":
            job.update(state="cancelled", finished_at=time.time())
        return before

    def lost(self, job_id: str, error: BaseException) -> dict[str, Any] | None:
        """An active job whose actor died ends as failed; the record when it changed, else None."""
        job = self._jobs.get(job_id)
        if job is None or job["state"] not in ACTIVE_STATES:
            return None
        job.update(state="failed", error=error, finished_at=time.time())
        return dict(job)

    def get(self, job_id: str) -> dict[str, Any] | None:
        job = self._jobs.get(job_id)
        return dict(job) if job else None

    def list(self) -> list[dict[str, Any]]:
        return [dict(job) for job in sorted(self._jobs.values(), key=lambda job: -job["seq"])]


class RayJobContext:
    """What a job function gets on a Ray worker: the same calls as core.training.jobs.JobContext.

    It keeps its own copy of the job's record; when the registry actor has died, the next report
    finds (or creates) the new registry and puts the record back, so every app sees the job again.
    """

    def __init__(self, registry: Any, record: dict[str, Any], cancelled: threading.Event, worker: str):
        self._registry = registry
        self._record = dict(record)
        self._cancelled = cancelled
        self._worker = worker
        self._last_sent = 0.0
        self._last_key: tuple | None = None
        self._pending: Any = None
        self._last_ref: Any = None

    @property
    def registry(self) -> Any:
        return self._registry

    def _registry_alive(self) -> None:
        """When the last call to the registry failed because it died, put this job's record into a new one."""
        ref, self._last_ref = self._last_ref, None
        if ref is None:
            return
        ready, _ = ray.wait([ref], timeout=0)
        if not ready:
            return
        try:
            ray.get(ref)
        except ray.exceptions.RayActorError:
            self._registry = registry_actor()
            ray.get(self._registry.restore.remote(self._record))

    @property
    def job_id(self) -> str:
        return self._record["id"]

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self._record["meta"])

    @property
    def cancelled(self) -> threading.Event:
        return self._cancelled

    @property
    def run_tags(self) -> dict[str, str]:
        """Tags for the tracked run: which executor and which worker trained it."""
        return {TAG_EXECUTOR: "ray", TAG_WORKER: self._worker}

    def report(self, progress: Any) -> None:
        """Send progress to the registry: a new epoch or phase at once, batch updates every REPORT_INTERVAL_S."""
        history = getattr(progress, "history", None) or {}
        key = (getattr(progress, "phase", None), getattr(progress, "epoch", None),
               min((len(values) for values in history.values()), default=0))
        now = time.monotonic()
        if key != self._last_key or now - self._last_sent >= REPORT_INTERVAL_S:
            self._registry_alive()
            self._last_key, self._last_sent, self._pending = key, now, None
            self._record["progress"] = progress
            self._last_ref = self._registry.report.remote(self.job_id, progress)  # one caller's calls stay in order
        else:
            self._pending = progress

    def flush(self) -> None:
        if self._pending is not None:
            self._registry.report.remote(self.job_id, self._pending)
            self._pending = None

    def set_run_id(self, run_id: str) -> None:
        self._record["run_id"] = run_id
        self._registry.set_run_id.remote(self.job_id, run_id)

    def raise_if_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise JobCancelled()


def _worker_description() -> str:
    return f"{socket.gethostname()} ({ray.util.get_node_ip_address()}) pid {os.getpid()}"


class JobWorker:
    """Runs one job, then exits (a detached, named actor: it outlives the app that submitted it)."""

    def __init__(self):
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def run(self, job_id: str, payload: bytes) -> None:
        registry = ray.get_actor(REGISTRY_NAME, namespace=NAMESPACE)
        worker = _worker_description()
        record = ray.get(registry.start.remote(job_id, worker))
        if record is not None:
            if record.get("cancel_requested"):
                self._cancelled.set()
            context = RayJobContext(registry, record, self._cancelled, worker)
            result, error, cancelled = None, None, False
            try:
                result = cloudpickle.loads(payload)(context)
            except JobCancelled:
                cancelled = True
            except BaseException as raised:  # noqa: BLE001 - kept for the page, like the local queue does
                _LOG.info("job %s failed: %r", job_id, raised)
                error = _portable(raised)
            context.flush()
            try:
                ray.get(context.registry.finish.remote(job_id, _portable(result), error, cancelled))
            except ray.exceptions.RayActorError:  # the registry died: a new one learns how the job ended
                registry = registry_actor()
                ray.get(registry.restore.remote(context._record))
                ray.get(registry.finish.remote(job_id, _portable(result), error, cancelled))
        ray.actor.exit_actor()  # frees its CPU/GPU; nobody waits for this call's return value


RemoteRegistry = ray.remote(num_cpus=0)(JobRegistry)
RemoteWorker = ray.remote(JobWorker)


def registry_actor() -> Any:
    """The cluster's job registry: the running one, or a new one when there is none (it died, or never ran)."""
    return RemoteRegistry.options(name=REGISTRY_NAME, namespace=NAMESPACE, lifetime="detached",
                                  get_if_exists=True).remote()
