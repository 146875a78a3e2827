"""Team mode on real components: a local Ray cluster (`ray start --head`) and an `mlflow server`.

Jobs from the pipeline run in Ray actors and land on the tracking server with their model; two
jobs run at once (a third waits for a free CPU); cancel; re-attach after the submitting process
exited; a worker killed mid-run ends as failed and its run as interrupted; a second tracker and a
second data dir ("another replica") reload and re-evaluate the runs, uploads included.

The plumbing (a job reaching a worker, its run on the server, re-attaching, another replica) is tested
with scikit-learn jobs, whose workers never import TensorFlow; Keras networks train on Ray where the test
is about training epoch by epoch (live progress, cancel, a worker killed mid-training).
"""

from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core.config import REPO_ROOT, get_settings, load_settings
from core.errors import AccessError, TrainingError
from core.tracking.store import Tracker
from core.training.executors import job_queue_from_settings
from core.training.jobs import SERVER, JobQueue, LocalExecutor
from core.data.uploads import store_upload
from core.training.pipeline import make_training_job, TrainingSpec
from core.training.saved_runs import load_run_dataset, reevaluate_run
from core.training.runner import TrainConfig

ray_jobs = pytest.importorskip("core.training.ray_jobs", reason="ray is not installed (requirements-team.txt)")

JOB_TIMEOUT = 420  # seconds; a fresh worker for a Keras job imports TensorFlow, slow on a loaded 2-core machine
EXPERIMENT = "team-tests"


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    """Poll `condition()` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def team_settings(data_dir: Path, head_address: str, tracking_uri: str):
    return load_settings({"STUDIO_DATA_DIR": str(data_dir), "MLFLOW_TRACKING_URI": tracking_uri,
                          "STUDIO_EXECUTOR": "ray", "RAY_ADDRESS": head_address, "STUDIO_OFFLINE": "1",
                          "STUDIO_DEVICE": "cpu", "STUDIO_EXPERIMENT": EXPERIMENT}).ensure_dirs()


# ---- without a cluster ----------------------------------------------------------------------

def test_the_default_queue_is_the_local_worker_thread():
    queue = job_queue_from_settings(load_settings({}))
    assert type(queue) is JobQueue and isinstance(queue.executor, LocalExecutor)


def test_the_default_queue_does_not_import_ray():
    code = ("import sys; from core.config import load_settings;"
            "from core.training.executors import job_queue_from_settings;"
            "job_queue_from_settings(load_settings({})); print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert out.stdout.strip() == "False", out.stderr[-2000:]


def test_ray_executor_setting_and_typos():
    settings = load_settings({"STUDIO_EXECUTOR": "Ray", "RAY_ADDRESS": "10.0.0.5:6379"})
    assert (settings.executor, settings.ray_address) == ("ray", "10.0.0.5:6379")
    assert load_settings({}).executor == "local"
    with pytest.raises(ValueError, match="STUDIO_EXECUTOR='dask' is not one of local, ray"):
        load_settings({"STUDIO_EXECUTOR": "dask"})


def test_settings_travel_to_a_worker_as_its_environment(tmp_path):
    settings = load_settings({"STUDIO_DATA_DIR": str(tmp_path), "STUDIO_DEVICE": "cpu", "STUDIO_OFFLINE": "1",
                              "MLFLOW_TRACKING_URI": "http://127.0.0.1:5000", "STUDIO_MIXED_PRECISION": "0",
                              "STUDIO_EXECUTOR": "ray", "STUDIO_LANGUAGE": "zh"})
    assert load_settings(settings.as_environ()) == settings


def test_a_cluster_is_multi_machine_when_a_node_is_elsewhere():
    assert not ray_jobs.spans_machines(["127.0.0.1"], "192.0.2.2")
    assert not ray_jobs.spans_machines(["192.0.2.2", "192.0.2.2"], "192.0.2.2")
    assert ray_jobs.spans_machines(["192.0.2.2", "192.0.2.9"], "192.0.2.2")


def test_errors_and_trackers_survive_pickling(tmp_path):
    error = pickle.loads(pickle.dumps(TrainingError("errors.team.worker_lost", title="vision / digits / cnn")))
    assert isinstance(error, TrainingError) and error.key == "errors.team.worker_lost"
    assert "Ray 工作进程" in error.message("zh") and "vision / digits / cnn" in error.message("zh")
    tracker = pickle.loads(pickle.dumps(Tracker(f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "art", "exp")))
    assert (tracker.tracking_uri, tracker.artifact_dir, tracker.experiment_name) == (
        f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "art", "exp")


def _credit_csv(rows: int = 240, seed: int = 3) -> bytes:
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, rows).round(1)
    debt = rng.normal(20, 8, rows).round(1)
    bad = (debt / np.maximum(income, 1) + rng.normal(0, 0.15, rows)) > 0.45
    frame = pd.DataFrame({"income": income, "debt": debt, "age": rng.integers(20, 70, rows),
                          "Status": np.where(bad, "bad", "good")})
    return frame.to_csv(index=False).encode()


def test_an_upload_travels_with_the_job_not_as_a_path(tmp_path):
    """The worker gets the upload's bytes and stores them in its own data dir; the app's file may be gone."""
    app = load_settings({"STUDIO_DATA_DIR": str(tmp_path / "app"), "STUDIO_OFFLINE": "1"}).ensure_dirs()
    worker = load_settings({"STUDIO_DATA_DIR": str(tmp_path / "worker"), "STUDIO_OFFLINE": "1"}).ensure_dirs()
    path = store_upload(_credit_csv(), suffix=".csv", settings=app)
    spec = TrainingSpec("finance", "upload_csv", "scorecard", TrainConfig(epochs=1),
                        {"path": str(path), "target": "Status", "bad_value": "bad"})
    tracker = Tracker(f"sqlite:///{tmp_path / 'runs.db'}", tmp_path / "artifacts")
    shipped = pickle.dumps(make_training_job(spec, tracker, settings=app).for_remote())
    path.unlink()  # the worker cannot see the app's disk
    job = pickle.loads(shipped)
    job.settings = worker
    queue = JobQueue()
    state = queue.wait(queue.submit(job, title="upload"), JOB_TIMEOUT)
    assert state.state == "completed", state.error
    stored = tracker.load_dict(state.result.run_id, "dataset.json")["kwargs"]["path"]
    assert Path(stored) == worker.data_dir / "uploads" / path.name and Path(stored).read_bytes() == _credit_csv()


# ---- on a real Ray cluster and MLflow server --------------------------------------------------

@pytest.fixture(scope="module")
def team(ray_head, mlflow_server, tmp_path_factory):
    settings = team_settings(tmp_path_factory.mktemp("team-app"), ray_head.address, mlflow_server)
    tracker = Tracker(settings.tracking_uri, settings.artifact_dir, settings.experiment_name)
    queue = ray_jobs.RayJobQueue(settings, tracker=tracker)
    yield SimpleNamespace(settings=settings, tracker=tracker, queue=queue, head=ray_head, server=mlflow_server)
    queue.cancel_all()


def submit(team, spec: TrainingSpec) -> str:
    return team.queue.submit(make_training_job(spec, team.tracker, settings=team.settings), title=spec.title(),
                             meta={"use_case": spec.use_case, "model": spec.candidate})


def hold_job(seconds: float):
    """A job that reports its worker's pid until cancelled or `seconds` passed (pickled by value to the worker)."""

    def job(context):
        import os as worker_os
        import time as worker_time

        started = worker_time.monotonic()
        while not context.cancelled.is_set() and worker_time.monotonic() - started < seconds:
            context.report({"pid": worker_os.getpid()})
            worker_time.sleep(0.1)
        context.raise_if_cancelled()
        return {"status": "completed", "pid": worker_os.getpid()}

    return job


@pytest.mark.slow
def test_a_pipeline_job_runs_on_ray_and_lands_on_the_server_with_its_model(team, tmp_path):
    spec = TrainingSpec("vision", "digits", "logreg", TrainConfig(epochs=1, seed=0))  # the plumbing: no Keras
    state = team.queue.wait(submit(team, spec), JOB_TIMEOUT)
    assert state.state == "completed", state.error
    run = team.tracker.get_run(state.result.run_id)
    tags = run.data.tags
    assert tags["studio.executor"] == "ray" and tags["studio.status"] == "completed"
    assert tags["studio.pid"] != str(os.getpid()) and f"pid {tags['studio.pid']}" in tags["studio.worker"]
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")  # stored through the server, not on a disk path
    assert len(team.tracker.history(run.info.run_id)["val_accuracy"]) == 1  # the per-epoch curve, one pass

    # another app instance (its own artifact folder) sees the run, downloads and re-evaluates its model
    other = Tracker(team.server, tmp_path / "replica-artifacts", EXPERIMENT)
    assert run.info.run_id in set(other.list_runs(use_case="vision")["run_id"])
    assert other.model_path(run.info.run_id).is_file()
    again = reevaluate_run(other, run.info.run_id)
    assert again["same_data"] and again["accuracy"] == pytest.approx(run.data.metrics["test_accuracy"], abs=1e-6)


@pytest.mark.slow
def test_an_llm_candidate_scores_on_a_ray_worker_like_any_job(team, tiny_gguf):
    pytest.importorskip("llama_cpp")
    spec = TrainingSpec("nlp", "en_reviews", "llm_local", TrainConfig(seed=0),
                        candidate_params={"model": str(tiny_gguf), "k": 2, "test_sample": 12})
    state = team.queue.wait(submit(team, spec), JOB_TIMEOUT)
    assert state.state == "completed", state.error
    run = team.tracker.get_run(state.result.run_id).data
    assert run.tags["studio.executor"] == "ray" and run.tags["studio.pid"] != str(os.getpid())
    assert run.params["starting_point"] == "llm" and run.params["hp_k"] == "2"
    assert run.metrics["test_items"] == 12 and run.metrics["test_invalid_rate"] == 0.0
    assert team.tracker.model_path(state.result.run_id).name == "model.llm.json"  # through the server


@pytest.mark.slow
def test_two_jobs_run_at_once_and_a_third_waits_for_a_cpu(team):
    first, second = (team.queue.submit(hold_job(600), title=f"hold {n}", meta={}) for n in (1, 2))
    wait_for(lambda: all(team.queue.get(job).state == "running" for job in (first, second)), JOB_TIMEOUT,
             "two jobs running at the same time")
    pids = wait_for(lambda: {(team.queue.get(job).progress or {}).get("pid") for job in (first, second)} - {None},
                    60, "progress from both workers")
    assert len(pids) == 2  # two worker processes
    third = team.queue.submit(hold_job(600), title="hold 3", meta={})
    time.sleep(3)  # give the scheduler a chance to (wrongly) start it; the assert below needs no timing
    assert team.queue.get(third).state == "queued"  # the cluster has 2 CPUs, both taken
    assert team.queue.free_resources() == (0.0, 0.0)  # what the page's "waiting for a free worker" line shows
    assert team.queue.cancel(third, by=SERVER) and team.queue.get(third).state == "cancelled"
    wait_for(lambda: team.queue.cluster.worker(third) is None, 60, "the queued job's actor to be removed")
    for job in (first, second):
        assert team.queue.cancel(job, by=SERVER)
    for job in (first, second):
        assert team.queue.wait(job, 120).state == "cancelled"


@pytest.mark.slow
def test_live_progress_then_cancel_a_pipeline_job(team):
    spec = TrainingSpec("vision", "digits", "cnn", TrainConfig(epochs=60, batch_size=32, seed=0))
    job = submit(team, spec)
    state = wait_for(lambda: (s := team.queue.get(job)).progress is not None
                     and getattr(s.progress, "epoch", 0) >= 2 and len(s.progress.history.get("loss", [])) >= 1
                     and s.run_id and s, JOB_TIMEOUT, "live progress of epoch 2 with a loss curve")
    assert state.progress.epochs == 60 and state.progress.batches > 0 and state.state == "running"
    assert team.queue.cancel(job, by=SERVER)
    done = team.queue.wait(job, 180)
    assert done.state == "cancelled" and done.result.status == "cancelled"
    assert team.tracker.get_run(done.run_id).data.tags["studio.status"] == "cancelled"


SUBMIT_AND_EXIT = textwrap.dedent("""
    import sys
    from core.config import load_settings
    from core.tracking.store import Tracker
    from core.training.pipeline import make_training_job, TrainingSpec
    from core.training.ray_jobs import RayJobQueue
    from core.training.runner import TrainConfig

    settings = load_settings(dict(line.split("=", 1) for line in sys.argv[1:]))
    tracker = Tracker(settings.tracking_uri, settings.artifact_dir, settings.experiment_name)
    spec = TrainingSpec("vision", "digits", "logreg", TrainConfig(epochs=1, seed=1))
    queue = RayJobQueue(settings, tracker=tracker)
    job = queue.submit(make_training_job(spec, tracker, settings=settings), title=spec.title(),
                       meta={"use_case": "vision"})
    assert queue.get(job).error is None, queue.get(job).error
    print(job)
""")


@pytest.mark.slow
def test_a_restarted_app_reattaches_to_a_job_still_running_on_the_cluster(team):
    env_args = [f"{key}={value}" for key, value in team.settings.as_environ().items()]
    out = subprocess.run([sys.executable, "-c", SUBMIT_AND_EXIT, *env_args], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert out.returncode == 0, out.stderr[-3000:]
    job = out.stdout.strip().splitlines()[-1]
    # the submitting process (the "app") has exited; a new queue finds the job in the cluster
    fresh = ray_jobs.RayJobQueue(team.settings, tracker=team.tracker)
    assert job in {state.id for state in fresh.jobs()}
    done = fresh.wait(job, JOB_TIMEOUT)
    assert done.state == "completed", done.error
    assert team.tracker.get_run(done.result.run_id).data.tags["studio.status"] == "completed"
    assert ray_jobs.RayJobQueue(team.settings).get(job).run_id == done.result.run_id  # and yet another one


@pytest.mark.slow
def test_a_worker_killed_mid_training_fails_the_job_and_interrupts_its_run(team):
    spec = TrainingSpec("vision", "digits", "cnn", TrainConfig(epochs=60, batch_size=32, seed=0))
    job = submit(team, spec)
    state = wait_for(lambda: (s := team.queue.get(job)).run_id and getattr(s.progress, "epoch", 0) >= 1 and s,
                     JOB_TIMEOUT, "the job to start training")
    pid = int(team.tracker.get_run(state.run_id).data.tags["studio.pid"])
    assert pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    done = wait_for(lambda: (s := team.queue.get(job)).finished and s, 120, "the job to notice its dead worker")
    assert done.state == "failed" and isinstance(done.error, TrainingError)
    with pytest.raises(TrainingError, match="stopped before the run ended"):
        raise done.error
    run = team.tracker.get_run(state.run_id)
    assert run.info.status == "KILLED" and run.data.tags["studio.status"] == "interrupted"
    # the queue keeps working
    again = team.queue.wait(team.queue.submit(hold_job(0.5), title="after the crash", meta={}), JOB_TIMEOUT)
    assert again.state == "completed" and again.result["status"] == "completed"


@pytest.mark.slow
def test_an_uploaded_csv_trains_on_ray_and_another_replica_reloads_it_from_the_server(team, tmp_path, monkeypatch):
    path = store_upload(_credit_csv(), suffix=".csv", settings=team.settings)
    spec = TrainingSpec("finance", "upload_csv", "scorecard", TrainConfig(epochs=1),
                        {"path": str(path), "target": "Status", "bad_value": "bad"})
    state = team.queue.wait(submit(team, spec), JOB_TIMEOUT)
    assert state.state == "completed", state.error
    run_id = state.result.run_id
    # another replica on another machine: the app's upload file is not there, its own data dir is empty
    path.unlink()
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "replica"))
    get_settings.cache_clear()
    try:
        replica = Tracker(team.server, get_settings().artifact_dir, EXPERIMENT)
        dataset = load_run_dataset(replica, run_id)
        assert dataset.fingerprint == replica.get_run(run_id).data.tags["studio.dataset_fingerprint"]
        assert (tmp_path / "replica" / "uploads" / path.name).read_bytes() == _credit_csv()
    finally:
        get_settings.cache_clear()


@pytest.mark.slow
def test_sqlite_with_a_cluster_of_several_machines_is_refused_with_what_to_set(team, tmp_path, monkeypatch):
    import ray

    team.queue.cluster.connect()
    local = load_settings({**team.settings.as_environ(), "STUDIO_DATA_DIR": str(tmp_path),
                           "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"})
    nodes = [{"Alive": True, "NodeManagerAddress": "127.0.0.1"}, {"Alive": True, "NodeManagerAddress": "192.0.2.77"}]
    monkeypatch.setattr(ray, "nodes", lambda: nodes)
    queue = ray_jobs.RayJobQueue(local)
    state = queue.get(queue.submit(hold_job(0.1), title="refused", meta={}))
    assert state.state == "failed" and state.error.key == "errors.team.local_tracking"
    with pytest.raises(TrainingError, match="mlflow server --serve-artifacts.*MLFLOW_TRACKING_URI"):
        raise state.error
    monkeypatch.setattr(ray, "nodes", lambda: nodes[:1])
    assert not (tmp_path / "mlflow.db").exists()
    ray_jobs.RayCluster(local).check_tracking()  # one machine: SQLite is fine, and the app creates the store
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"experiments", "runs", "metrics"} <= tables


@pytest.mark.slow
def test_jobs_starting_at_once_on_a_fresh_sqlite_store_all_land_in_it(team, tmp_path):
    """Workers opening a fresh SQLite file at once each created MLflow's tables and all but one failed
    ("table evaluation_datasets already exists": bench_team.py's logistic-regression job)."""
    local = load_settings({**team.settings.as_environ(), "STUDIO_DATA_DIR": str(tmp_path),
                           "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'fresh.db'}"}).ensure_dirs()
    tracker = Tracker(local.tracking_uri, local.artifact_dir, local.experiment_name)
    queue = ray_jobs.RayJobQueue(local, tracker=tracker)
    specs = [TrainingSpec("vision", "digits", "logreg", TrainConfig(epochs=1, seed=seed)) for seed in (0, 1)]
    jobs = [queue.submit(make_training_job(spec, tracker, settings=local), title=spec.title(), meta={})
            for spec in specs]
    states = [queue.wait(job, JOB_TIMEOUT) for job in jobs]
    assert [state.state for state in states] == ["completed", "completed"], [state.error for state in states]
    assert sorted(tracker.list_runs(use_case="vision")["run_id"]) == sorted(state.run_id for state in states)


@pytest.mark.slow
def test_a_dead_registry_is_started_again_and_a_job_that_trained_on_is_found_again(team):
    """Issue 21 item 5: killing the `studio-jobs` actor mid-job left the page with None and no job ever started."""
    import ray

    from core.auth import Identity
    from core.training.ray_workers import NAMESPACE, REGISTRY_NAME

    owner = Identity(user="tom@example.com", role="trainer", name="Tom")
    job = team.queue.submit(hold_job(8), title="held", meta={"n": 1}, owner=owner.user, owner_name="Tom")
    wait_for(lambda: (team.queue.get(job) or SimpleNamespace(progress=None)).progress, JOB_TIMEOUT,
             "the held job to report")
    # another app instance knows whose job it is and refuses a stranger's cancel (issue 21 item 2)
    other_app = ray_jobs.RayJobQueue(team.settings)
    assert (other_app.get(job).owner, other_app.get(job).owner_name) == (owner.user, "Tom")
    with pytest.raises(AccessError, match="only the person who started it"):
        other_app.cancel(job, by=Identity(user="tina@example.com", role="trainer", name="Tina"))
    assert not other_app.get(job).cancel_requested
    ray.kill(ray.get_actor(REGISTRY_NAME, namespace=NAMESPACE), no_restart=True)
    team.queue.jobs()  # no exception: the registry is started again
    found = wait_for(lambda: (s := team.queue.get(job)) and s, 60, "the running job's record to come back")
    assert found.owner == owner.user and found.title == "held"  # its owner came back with it
    # a CI run once read None here right after the record had come back: poll until it has ended, and say
    # what the registry held if it never does
    done = wait_for(lambda: (s := team.queue.get(job)) and s.finished and s, 120,
                    f"the job to end in the new registry (it holds {[j.id for j in team.queue.jobs()]}, job {job})")
    assert done.state == "completed" and done.result["status"] == "completed"
    again = team.queue.wait(team.queue.submit(hold_job(0.2), title="after", meta={"n": 2}), JOB_TIMEOUT)
    assert again.state == "completed"  # new jobs start again
