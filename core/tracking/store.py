"""A thin adapter over MLflow: every run's params, per-epoch curves, test metrics and model artifact.

Uses mlflow.MlflowClient with explicit run ids (never the fluent global active run: jobs run in
threads). Embedded default: SQLite under the data dir, artifacts in a folder beside it;
MLFLOW_TRACKING_URI can point a team at a shared MLflow server instead. MLflow is imported
lazily, on first use, because it takes more than a second to import.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from core.config import get_settings
from core.errors import StudioError, TrackingError
from core.tracking import run_cache
from core.tracking.faults import PendingEnds, not_found, store_errors
from core.tracking.listing import BASE_COLUMNS, runs_frame
from core.tracking.sqlite_runs import read_runs
from core.tracking.mlflow_support import is_local_uri, jsonable, local_path, param_value, pid_alive, quiet_mlflow
from core.tracking.records import (TAG_DATASET, TAG_EPOCH_METRICS, TAG_ERROR, TAG_HOST, TAG_MODEL, TAG_PID,
                                   TAG_STATUS, TAG_USE_CASE, TAG_USER, RunRecord, epoch_keys, run_record)

if TYPE_CHECKING:
    from core.config import Settings

# Runs some tracker in this process started and has not finished. Process-wide, not per tracker:
# a second tracker (Streamlit's "Clear cache" recreates the app's) must not take a run a job
# thread is still training for one a crash left behind.
_LIVE_RUNS: set[str] = set()
STATUSES = {"completed": "FINISHED", "failed": "FAILED", "cancelled": "KILLED", "diverged": "FAILED"}
MODEL_SUFFIXES = (".keras", ".h5", ".joblib", ".skops", ".pkl", ".tflite", ".llm.json")
MAX_TAG_CHARS = 5000

class Tracker:
    """Runs of the studio in one MLflow experiment: start, log, finish, list, reload, delete."""

    def __init__(self, tracking_uri: str, artifact_dir: str | Path, experiment_name: str = "ai-strategy-studio"):
        self.tracking_uri = str(tracking_uri)
        self.artifact_dir = Path(artifact_dir)
        self.experiment_name = experiment_name
        self._lock = threading.RLock()
        self._client = None
        self._experiment_id: str | None = None
        self._epoch_keys: dict[str, set[str]] = {}
        self._live = _LIVE_RUNS  # shared by every tracker of this process (see _LIVE_RUNS)
        self.pending_ends = PendingEnds(self._end)  # final statuses the store refused, written again later
        self._cache = run_cache.RunCache()  # listing, finished runs' files and curves, reused between reruns

    def __getstate__(self) -> dict[str, Any]:
        """Pickled as its settings only (a Ray worker connects afresh; locks and clients do not travel)."""
        return {"tracking_uri": self.tracking_uri, "artifact_dir": str(self.artifact_dir),
                "experiment_name": self.experiment_name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["tracking_uri"], state["artifact_dir"], state["experiment_name"])

    # -- connection -------------------------------------------------------------------------

    @property
    def client(self):
        """The MlflowClient, created (and the experiment ensured) on first use."""
        with self._lock:
            if self._client is None:
                quiet_mlflow()
                from mlflow import MlflowClient

                quiet_mlflow()  # again: importing mlflow re-configures its loggers
                try:
                    if self.tracking_uri.startswith("sqlite:///"):
                        db_path = self.tracking_uri[len("sqlite:///"):]
                        if db_path and db_path != ":memory:":
                            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
                    client = MlflowClient(tracking_uri=self.tracking_uri)
                    self._experiment_id = self._ensure_experiment(client)
                except Exception as error:  # noqa: BLE001 - server down, bad URI, unwritable folder
                    raise TrackingError("errors.tracking.unavailable", uri=self.tracking_uri,
                                        detail=f"{type(error).__name__}: {str(error)[:200]}") from error
                self._client = client
            return self._client

    @property
    def experiment_id(self) -> str:
        self.client  # noqa: B018 - ensures the experiment
        assert self._experiment_id is not None
        return self._experiment_id

    @property
    def is_local(self) -> bool:
        """True for the embedded SQLite/file store, False for an MLflow server."""
        return is_local_uri(self.tracking_uri)

    def _ensure_experiment(self, client) -> str:
        experiment = client.get_experiment_by_name(self.experiment_name)
        if experiment is not None:
            if experiment.lifecycle_stage == "deleted":
                client.restore_experiment(experiment.experiment_id)
            return experiment.experiment_id
        location = None
        if self.is_local:
            self.artifact_dir.mkdir(parents=True, exist_ok=True)
            location = self.artifact_dir.resolve().as_uri()
        try:
            return client.create_experiment(self.experiment_name, artifact_location=location)
        except Exception:  # noqa: BLE001 - another process created it a moment ago
            experiment = client.get_experiment_by_name(self.experiment_name)
            if experiment is None:
                raise
            return experiment.experiment_id

    # -- writing ------------------------------------------------------------------------------

    def start_run(
        self,
        *,
        use_case: str,
        dataset: str,
        model: str,
        params: Mapping[str, Any],
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        """Create a RUNNING run named "use case / dataset / model" with its params and tags; return its id."""
        from core.auth import local_user

        all_tags = {TAG_USE_CASE: use_case, TAG_DATASET: dataset, TAG_MODEL: model, TAG_STATUS: "running",
                    TAG_HOST: socket.gethostname(), TAG_PID: str(os.getpid()), TAG_USER: local_user(),
                    **{str(k): str(v)[:MAX_TAG_CHARS] for k, v in (tags or {}).items()}}
        with self._lock, store_errors(self.tracking_uri, writing=True):
            run = self.client.create_run(self.experiment_id, run_name=f"{use_case} / {dataset} / {model}",
                                         tags=all_tags)
            run_id = run.info.run_id
            self._live.add(run_id)
            run_cache.touch()
            if params:
                self.log_params(run_id, params)
        return run_id

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        from mlflow.entities import Param

        items = [Param(str(key), param_value(value)) for key, value in params.items()]
        with self._lock, store_errors(self.tracking_uri, writing=True):
            for start in range(0, len(items), 100):
                self.client.log_batch(run_id, params=items[start:start + 100])
            run_cache.touch()

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        from mlflow.entities import RunTag

        items = [RunTag(str(key), str(value)[:MAX_TAG_CHARS]) for key, value in tags.items()]
        with self._lock, store_errors(self.tracking_uri, writing=True):
            self.client.log_batch(run_id, tags=items)
            run_cache.touch()

    def _metrics(self, metrics: Mapping[str, Any], step: int):
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        items = []
        for key, value in metrics.items():
            if value is None:
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            items.append(Metric(str(key), number, stamp, int(step)))
        return items

    def log_epoch(self, run_id: str, epoch: int, metrics: Mapping[str, Any]) -> None:
        """Per-epoch metrics (loss, accuracy, val_loss, val_accuracy) at step=epoch, in one round trip."""
        from mlflow.entities import RunTag

        items = self._metrics(metrics, epoch)
        with self._lock, store_errors(self.tracking_uri, writing=True):
            known = self._epoch_keys.setdefault(run_id, set())
            new_keys = {item.key for item in items} - known
            tags = []
            if new_keys:
                known |= new_keys
                tags = [RunTag(TAG_EPOCH_METRICS, ",".join(sorted(known)))]
            if items or tags:
                self.client.log_batch(run_id, metrics=items, tags=tags)
                run_cache.touch()

    def log_metrics(self, run_id: str, metrics: Mapping[str, Any]) -> None:
        """Final metrics of a run (test_accuracy, test_macro_f1, timings...)."""
        items = self._metrics(metrics, 0)
        with self._lock, store_errors(self.tracking_uri, writing=True):
            for start in range(0, len(items), 500):
                self.client.log_batch(run_id, metrics=items[start:start + 500])
            run_cache.touch()

    def log_artifact(self, run_id: str, local_path: str | Path, artifact_path: str | None = "model") -> None:
        """Store a file (or a folder, e.g. a SavedModel) with the run."""
        path = Path(local_path)
        with self._lock, store_errors(self.tracking_uri, writing=True):
            if path.is_dir():
                self.client.log_artifacts(run_id, str(path), artifact_path)
            else:
                self.client.log_artifact(run_id, str(path), artifact_path)
            run_cache.touch()

    def log_dict(self, run_id: str, data: Any, filename: str) -> None:
        """Store a JSON artifact (e.g. evaluation.json with the confusion matrix); NumPy values allowed."""
        text = json.dumps(data, default=jsonable, ensure_ascii=False, indent=1, allow_nan=True)
        folder, _, name = filename.replace("\\", "/").rpartition("/")
        with tempfile.TemporaryDirectory() as tmp:
            local = Path(tmp) / name
            local.write_text(text, encoding="utf-8")
            with self._lock, store_errors(self.tracking_uri, writing=True):
                self.client.log_artifact(run_id, str(local), folder or None)
                run_cache.touch()

    def finish(self, run_id: str, status: str, *, error: str | None = None) -> None:
        """End a run: completed -> FINISHED, failed/diverged -> FAILED, cancelled -> KILLED (+ studio.status).

        When the store refuses the write (TrackingError), the status is kept and written again every
        few seconds until the store accepts it (see core.tracking.faults.PendingEnds).
        """
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}.")
        try:
            self._end(run_id, status, error)
        except TrackingError:
            self.pending_ends.add(run_id, status, error)
            raise

    def _end(self, run_id: str, status: str, error: str | None) -> None:
        tags = {TAG_STATUS: status}
        if error:
            tags[TAG_ERROR] = error
        with self._lock:
            self.set_tags(run_id, tags)
            with store_errors(self.tracking_uri, writing=True):
                self.client.set_terminated(run_id, status=STATUSES[status])
            run_cache.touch()
            self._epoch_keys.pop(run_id, None)
            self._live.discard(run_id)

    def interrupt(self, run_id: str, *, error: str) -> bool:
        """End one run still RUNNING as KILLED / "interrupted" with a message (e.g. its worker died).

        False (nothing changed) when the run has already ended.
        """
        run = self.get_run(run_id)
        if run.info.status != "RUNNING":
            return False
        with self._lock:
            self.set_tags(run_id, {TAG_STATUS: "interrupted", TAG_ERROR: error})
            self.client.set_terminated(run_id, status="KILLED")
            run_cache.touch()
            self._epoch_keys.pop(run_id, None)
            self._live.discard(run_id)
        return True

    def _orphaned(self, run) -> bool:
        """A RUNNING run no process is working on: not ours, and its process on this host is gone.

        Runs started by another machine are left alone on a shared server (they may be live);
        in the embedded store they cannot be running, so they count as orphaned.
        """
        if run.info.run_id in self._live:
            return False
        record = run_record(run)
        host, pid = record.host, record.pid
        if not host:
            return self.is_local
        if host != socket.gethostname():
            return self.is_local
        if not pid.isdigit() or int(pid) == os.getpid():
            return True  # this process restarted its tracker: nothing of that run is still training
        return not pid_alive(int(pid))

    def mark_interrupted(self) -> list[str]:
        """Runs left RUNNING by a crash or restart become KILLED / "interrupted"; call once at start-up.

        Runs of other live processes (another app on this machine, or on a shared MLflow server
        another machine) keep running.
        """
        interrupted = []
        with self._lock:
            for run in self._search("attributes.status = 'RUNNING'"):
                if not self._orphaned(run):
                    continue
                run_id = run.info.run_id
                # read again: a job of this process may have ended the run since the search (it leaves
                # _LIVE_RUNS only after the run is terminated), and a finished run must stay finished
                if self.client.get_run(run_id).info.status != "RUNNING":
                    continue
                self.set_tags(run_id, {TAG_STATUS: "interrupted"})
                self.client.set_terminated(run_id, status="KILLED")
                run_cache.touch()
                interrupted.append(run_id)
        return interrupted

    def delete_run(self, run_id: str) -> None:
        """Delete a run and free its artifact folder on disk; it no longer lists."""
        run = self.get_run(run_id)
        with self._lock:
            self.client.delete_run(run_id)
            run_cache.touch()
            self._cache.forget(run_id)
            self._epoch_keys.pop(run_id, None)
        folder = local_path(run.info.artifact_uri or "")
        if folder is None:
            return
        run_folder = folder.parent if folder.name == "artifacts" and folder.parent.name == run_id else folder
        root = self.artifact_dir.resolve()
        resolved = run_folder.resolve()
        if resolved != root and root in resolved.parents:  # never delete outside our artifact folder
            shutil.rmtree(resolved, ignore_errors=True)

    # -- reading ------------------------------------------------------------------------------

    def _search(self, filter_string: str = "") -> list:
        with store_errors(self.tracking_uri, writing=False):
            return self._search_pages(filter_string)

    def _search_pages(self, filter_string: str) -> list:
        runs: list = []
        token = None
        while True:
            page = self.client.search_runs([self.experiment_id], filter_string=filter_string,
                                           order_by=["attributes.start_time DESC"], max_results=1000,
                                           page_token=token)
            runs.extend(page)
            token = page.token
            if not token:
                return runs

    def _token(self):
        """What a cached listing is valid for: this process's writes and the SQLite store's runs; None: not cached."""
        stored = run_cache.sqlite_token(self.tracking_uri, self.experiment_id)
        return None if stored is None else (run_cache.generation(), stored)

    def _records(self, token) -> list[RunRecord]:
        """Every run of the experiment as RunRecords, newest first; one search, reused while `token` holds.

        Take the token before calling: a write during the search then makes the next call search again.
        """
        def search() -> list:  # the embedded store read in four queries; a server (or a surprise) through MLflow
            with store_errors(self.tracking_uri, writing=False):
                stored = read_runs(self.tracking_uri, self.experiment_id)
            return stored if stored is not None else self._search()
        with self._lock:
            return self._cache.records(token, search)

    def get_run(self, run_id: str):
        """The mlflow Run (info, data.params, data.metrics, data.tags); TrackingError if unknown or deleted."""
        from mlflow.exceptions import MlflowException

        try:
            with self._lock:
                run = self.client.get_run(run_id)
        except MlflowException as error:
            if not not_found(error) and "not found" not in str(error).lower():
                raise TrackingError("errors.tracking.read_failed", uri=self.tracking_uri,
                                    detail=str(error).splitlines()[0][:200] if str(error) else "") from error
            raise TrackingError("errors.tracking.not_found", run_id=run_id) from None
        except StudioError:
            raise
        except Exception as error:  # noqa: BLE001 - a store that failed, not a missing run
            with store_errors(self.tracking_uri, writing=False):
                raise error
        if run.info.lifecycle_stage == "deleted":
            raise TrackingError("errors.tracking.not_found", run_id=run_id)
        return run

    def record(self, run_id: str) -> RunRecord:
        """The run as a RunRecord (status, device, data, user... as fields); TrackingError if unknown or deleted."""
        return self.records([run_id])[run_id]

    def records(self, run_ids) -> dict[str, RunRecord]:
        """{run id: RunRecord} of several runs at once: finished ones from the current listing, others read;
        TrackingError if one is unknown or deleted."""
        token = self._token()
        found = {}
        for run_id in run_ids:
            cached = self._cache.record(run_id, token)
            found[run_id] = cached if cached is not None else run_record(self.get_run(run_id))
        return found

    def list_runs(self, use_case: str | None = None, *, curve_points: bool = False):
        """One row per run, newest first: ids, names, device, status, start, duration, final metrics, params.

        Learning-curve runs on a share of the training split (tag studio.train_fraction < 1) are left
        out unless `curve_points` (core.selection.learning_curve reads them).
        """
        if len(self.pending_ends):  # the store may accept writes again: end runs it refused to end
            self.pending_ends.retry()
        token = self._token()
        records = self._records(token)
        return self._cache.frame((use_case or "", curve_points), token,
                                 lambda: runs_frame(records, use_case, curve_points))

    def history(self, run_id: str) -> dict[str, list[float]]:
        """Per-epoch metric histories ordered by epoch, e.g. {"loss": [...], "val_accuracy": [...]}."""
        kept = self._cache.history(run_id)
        if kept is not None:
            return kept
        run = self.get_run(run_id)
        keys = sorted(epoch_keys(run.data.tags))
        result: dict[str, list[float]] = {}
        with self._lock, store_errors(self.tracking_uri, writing=False):
            candidates = keys or sorted(run.data.metrics)
            for key in candidates:
                points = sorted(self.client.get_metric_history(run_id, key), key=lambda m: (m.step, m.timestamp))
                if not keys and not any(point.step >= 1 for point in points):
                    continue  # a final metric (step 0), not a curve
                result[key] = [float(point.value) for point in points]
        if self._cache.ended(run_id, run.info.status):  # a finished run's curves never change
            self._cache.keep_history(run_id, result)
        return result

    def _artifact_root(self, run) -> Path | None:
        return local_path(run.info.artifact_uri or "")

    def _local_artifact(self, run_id: str, path: str) -> Path:
        listed = self._cache.artifact_uri(run_id)  # a finished run the listing showed: no get_run per file
        root = local_path(listed) if listed else self._artifact_root(self.get_run(run_id))
        if root is not None:
            local = root / path
            if not local.exists():
                raise TrackingError("errors.tracking.artifact_missing", run_id=run_id, path=path)
            return local
        destination = self.artifact_dir / "downloads" / run_id
        destination.mkdir(parents=True, exist_ok=True)
        try:
            with self._lock:
                return Path(self.client.download_artifacts(run_id, path, dst_path=str(destination)))
        except Exception:  # noqa: BLE001 - any remote failure means the artifact is not there for us
            raise TrackingError("errors.tracking.artifact_missing", run_id=run_id, path=path) from None

    def artifact_file(self, run_id: str, path: str) -> Path:
        """A local copy of one of the run's artifacts (downloaded from a shared server when remote)."""
        return self._local_artifact(run_id, path)

    def load_dict(self, run_id: str, filename: str) -> Any:
        """A JSON artifact stored with log_dict (a finished run's is read once, then kept: it never changes)."""
        text = self._cache.text(run_id, filename)
        if text is None:
            text = self._local_artifact(run_id, filename).read_text(encoding="utf-8")
            if self._cache.ended(run_id):
                self._cache.keep_text(run_id, filename, text)
        return json.loads(text)

    def model_path(self, run_id: str) -> Path:
        """Local path of the run's model file (downloaded first when the store is remote)."""
        try:
            folder = self._local_artifact(run_id, "model")
        except TrackingError:
            raise TrackingError("errors.tracking.no_model", run_id=run_id) from None
        if folder.is_file():
            return folder
        files = sorted(p for p in folder.iterdir())
        for suffix in MODEL_SUFFIXES:
            for path in files:
                if path.name.endswith(suffix):
                    return path
        if files:
            return files[0]
        raise TrackingError("errors.tracking.no_model", run_id=run_id)


def tracker_from_settings(settings: Settings | None = None) -> Tracker:
    """The studio's tracker: settings.tracking_uri (SQLite by default) with artifacts under settings.artifact_dir."""
    if settings is None:
        settings = get_settings()
    return Tracker(settings.tracking_uri, settings.artifact_dir, settings.experiment_name)
