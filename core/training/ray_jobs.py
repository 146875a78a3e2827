"""Team mode: training jobs on a Ray cluster (STUDIO_EXECUTOR=ray), behind the JobQueue API the pages use.

Each job runs in its own detached, named Ray actor (`studio-job-<id>`) that asks the cluster for
one CPU, and one GPU for a Keras job when the cluster has GPUs, so jobs run side by side up to
the cluster's resources and outlive the app process. One detached named actor, the registry
(`studio-jobs`), holds every job's state, latest progress, cancel flag, result and error: every
app replica connected to the cluster reads the same registry, so a page reload or an app restart
re-attaches to jobs still training instead of losing them. A job whose actor died (its worker
process was killed, its node lost) ends as "failed" with a message, and its tracked run as
"interrupted".

The code reaches the workers as the job's Ray runtime environment (this repository as
`working_dir`); every node needs the same Python packages (requirements.txt and
requirements-team.txt). With more than one machine in the cluster, runs must go to a shared
MLflow server: a worker on another machine cannot write to this machine's SQLite file.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable

import ray
from ray import cloudpickle

from core.config import REPO_ROOT, Settings
from core.errors import TrainingError
from core.auth import Identity
from core.tracking.store import Tracker
from core.training.jobs import ACTIVE_STATES, JobQueue, JobState, _Job, check_cancel
from core.training.ray_workers import NAMESPACE, RemoteWorker, registry_actor, worker_name

if TYPE_CHECKING:
    from core.tracking.store import Tracker

LIVENESS_INTERVAL_S = 1.0  # at most this often the app checks that a running job's actor is alive
WORKING_DIR_EXCLUDES = [".venv", ".git", "tests", "benchmarks", "test-artifacts", ".studio-data",
                        "**/__pycache__", "*.pyc", ".pytest_cache"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", ""}

_LOG = logging.getLogger(__name__)


def spans_machines(node_addresses: list[str], local_address: str) -> bool:
    """Whether any of the cluster's alive nodes is another machine than this one."""
    here = LOOPBACK | {local_address}
    return any(address not in here for address in node_addresses)


class RayCluster:
    """The connection to the Ray cluster (RAY_ADDRESS, else the one `ray start --head` began here)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._registry: Any = None
        self._started_ray = False
        self.gpus = 0.0

    def _runtime_env(self) -> dict[str, Any]:
        """This repository as the workers' code, and the app's settings as their environment."""
        env_vars = {key: value for key, value in self.settings.as_environ().items() if key != "RAY_ADDRESS"}
        return {"working_dir": str(REPO_ROOT), "excludes": WORKING_DIR_EXCLUDES, "env_vars": env_vars}

    def connect(self) -> "RayCluster":
        """Connect once (TrainingError in words when the cluster cannot be reached or tracking is local).

        Ray is set up on a thread of its own: ray.init inside a Streamlit script thread left the
        page blank after that first run.
        """
        with self._lock:
            if self._registry is None:
                outcome: dict[str, BaseException] = {}

                def work() -> None:
                    try:
                        self._connect()
                    except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
                        outcome["error"] = error

                thread = threading.Thread(target=work, name="studio-ray-connect", daemon=True)
                thread.start()
                thread.join()
                if "error" in outcome:
                    raise outcome["error"]
            return self

    def _connect(self) -> None:
        address = self.settings.ray_address or "auto"
        if not ray.is_initialized():
            try:
                ray.init(address=address, namespace=NAMESPACE, runtime_env=self._runtime_env(),
                         logging_level=logging.WARNING, log_to_driver=False)
            except Exception as error:  # noqa: BLE001 - ConnectionError, RuntimeError, ValueError...
                raise TrainingError("errors.team.ray_unreachable", address=address,
                                    detail=str(error).splitlines()[0][:300] if str(error) else "") from None
            self._started_ray = True
        self.check_tracking()
        self._registry = registry_actor()
        self.gpus = float(ray.cluster_resources().get("GPU", 0.0))

    def check_tracking(self) -> None:
        """Refuse a local run store (SQLite, a folder) when the cluster spans machines; on one machine, create it.

        The app creates the store's tables before any job starts: workers that start at once on a
        fresh SQLite file each create MLflow's tables, and all but one fail ("table ... already exists").
        """
        tracker = Tracker(self.settings.tracking_uri, self.settings.artifact_dir, self.settings.experiment_name)
        if not tracker.is_local:
            return
        nodes = [node.get("NodeManagerAddress", "") for node in ray.nodes() if node.get("Alive")]
        if spans_machines(nodes, ray.util.get_node_ip_address()):
            raise TrainingError("errors.team.local_tracking", uri=self.settings.tracking_uri, nodes=len(nodes))
        tracker.client  # noqa: B018 - creates the store (tables and experiment) once, in this process

    @property
    def registry(self) -> Any:
        return self.connect()._registry

    def call(self, method: str, *args: Any) -> Any:
        """ray.get of one registry call; when the registry actor died, it is created again and the call repeated.

        Running jobs' workers put their own records back into a new registry (ray_workers), so a job
        that trained on, or finished, while the registry was gone is found again.
        """
        try:
            return ray.get(getattr(self.registry, method).remote(*args))
        except ray.exceptions.RayActorError as error:
            _LOG.warning("the job registry actor died (%s); starting a new one", str(error).splitlines()[0][:200])
            with self._lock:
                self._registry = registry_actor()
            return ray.get(getattr(self._registry, method).remote(*args))

    def start(self, record: dict[str, Any], fn: Callable[[Any], Any], *, num_gpus: float) -> None:
        """Create the job's actor (named first, so no replica ever sees a job without one), then register
        the job with the registry, which starts it on the actor."""
        self.connect()
        worker = RemoteWorker.options(name=worker_name(record["id"]), namespace=NAMESPACE, lifetime="detached",
                                       num_cpus=1, num_gpus=num_gpus, max_restarts=0, max_task_retries=0,
                                       max_concurrency=2).remote()
        try:
            self.call("add", record, cloudpickle.dumps(fn))
        except BaseException:
            ray.kill(worker)
            raise

    def worker(self, job_id: str) -> Any | None:
        """The job's actor, or None when it no longer exists (finished, or died)."""
        try:
            return ray.get_actor(worker_name(job_id), namespace=NAMESPACE)
        except ValueError:
            return None

    def shutdown(self, wait: bool = False) -> None:
        """Disconnect from the cluster (the jobs and the registry keep running there)."""
        with self._lock:
            if self._started_ray and ray.is_initialized():
                ray.shutdown()
            self._registry, self._started_ray = None, False


class RayJobQueue(JobQueue):
    """JobQueue over a Ray cluster: jobs run in cluster actors, their state lives in the cluster's registry.

    `tracker` (optional) ends the tracked run of a job whose worker died as "interrupted".
    Submissions that could not reach the cluster are kept here as failed jobs with the reason.
    """

    POLL_S = 0.2

    def __init__(self, settings: Settings, *, tracker: Tracker | None = None, keep_finished: int = 50):
        super().__init__(RayCluster(settings), keep_finished=keep_finished)
        self.tracker = tracker
        self._checked: dict[str, float] = {}

    @property
    def cluster(self) -> RayCluster:
        return self.executor

    def submit(self, fn: Callable[[Any], Any], *, title: str, meta: dict[str, Any] | None = None,
               owner: str = "", owner_name: str = "") -> str:
        """Start the job on the cluster; the owner is kept in the registry, so every app replica knows it."""
        job_id = uuid.uuid4().hex[:12]
        self.refuse_repeat(str(owner), dict(meta or {}), str(title))
        record = {"id": job_id, "title": str(title), "meta": dict(meta or {}), "state": "queued", "progress": None,
                  "result": None, "error": None, "run_id": None, "submitted_at": time.time(), "started_at": None,
                  "finished_at": None, "cancel_requested": False, "worker": None, "owner": str(owner),
                  "owner_name": str(owner_name or owner), "cancelled_by": ""}
        try:
            cluster = self.cluster.connect()
            payload = fn.for_remote() if hasattr(fn, "for_remote") else fn
            num_gpus = 1 if getattr(fn, "wants_gpu", False) and cluster.gpus >= 1 else 0
            cluster.start(record, payload, num_gpus=num_gpus)
        except BaseException as error:  # noqa: BLE001 - the page shows it as a failed job
            job = _Job(id=job_id, seq=next(self._seq), title=str(title), meta=dict(meta or {}), owner=str(owner),
                       owner_name=str(owner_name or owner))
            job.state, job.error, job.finished_at = "failed", error, time.time()
            with self._lock:
                self._jobs[job_id] = job
                self._prune()
        return job_id

    def _state(self, record: dict[str, Any]) -> JobState:
        fields = {name: record.get(name) for name in ("progress", "result", "error", "run_id", "started_at",
                                                      "finished_at")}
        fields.update({name: record.get(name) or "" for name in ("owner", "owner_name", "cancelled_by")})
        return JobState(id=record["id"], title=record["title"], meta=dict(record["meta"]), state=record["state"],
                        submitted_at=record["submitted_at"], cancel_requested=bool(record["cancel_requested"]),
                        **fields)

    def _alive(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record, or (its actor died) the record after ending the job as failed and its run as interrupted."""
        if record["state"] not in ACTIVE_STATES:
            self._checked.pop(record["id"], None)
            return record
        now = time.monotonic()
        if now - self._checked.get(record["id"], 0.0) < LIVENESS_INTERVAL_S:
            return record
        self._checked[record["id"]] = now
        if self.cluster.worker(record["id"]) is not None:
            return record
        error = TrainingError("errors.team.worker_lost", title=record["title"])
        changed = self.cluster.call("lost", record["id"], error)
        if changed is None:  # it finished in the meantime
            return self.cluster.call("get", record["id"]) or record
        if changed.get("run_id") and self.tracker is not None:
            try:
                self.tracker.interrupt(changed["run_id"], error=str(error))
            except Exception as failure:  # noqa: BLE001 - the job still shows as failed
                _LOG.warning("could not mark run %s interrupted: %s", changed["run_id"], failure)
        return changed

    def get(self, job_id: str | None) -> JobState | None:
        if not job_id:
            return None
        local = super().get(job_id)
        if local is not None:
            return local
        try:
            record = self.cluster.call("get", job_id)
            return self._state(self._alive(record)) if record else None
        except Exception as error:  # noqa: BLE001 - a page must open even when the cluster is gone
            _LOG.warning("cannot read job %s from the Ray cluster: %s", job_id, error)
            return None

    def jobs(self) -> list[JobState]:
        """All kept jobs of every app connected to the cluster, newest first."""
        states = super().jobs()
        try:
            records = self.cluster.call("list")
            states += [self._state(self._alive(record)) for record in records]
        except Exception as error:  # noqa: BLE001 - a page must open even when the cluster is gone
            _LOG.warning("cannot list jobs on the Ray cluster: %s", error)
        return sorted(states, key=lambda state: -state.submitted_at)

    def free_resources(self) -> tuple[float, float] | None:
        """(CPUs, GPUs) free on the cluster now, what a queued job waits for; None when the cluster cannot tell."""
        try:
            self.cluster.connect()
            free = ray.available_resources()
        except Exception as error:  # noqa: BLE001 - the page then says it waits, without numbers
            _LOG.warning("cannot read the Ray cluster's free resources: %s", error)
            return None
        return float(free.get("CPU", 0.0)), float(free.get("GPU", 0.0))

    def cancel(self, job_id: str, *, by: Identity) -> bool:
        """Cancel a queued job at once (its actor is removed), or ask a running one to stop.

        `by` is who asks: AccessError unless it is the job's owner (as the registry recorded it) or an admin.
        """
        local = super().get(job_id)
        if local is not None:
            return super().cancel(job_id, by=by)
        state = self.get(job_id)
        if state is None or not state.active:
            return False
        check_cancel(state, by)
        try:
            before = self.cluster.call("cancel", job_id, by.label)
        except Exception as error:  # noqa: BLE001
            _LOG.warning("cannot cancel job %s on the Ray cluster: %s", job_id, error)
            return False
        if before is None:
            return False
        worker = self.cluster.worker(job_id)
        if worker is not None:
            if before == "queued":
                ray.kill(worker)
            else:
                worker.cancel.remote()
        return True

