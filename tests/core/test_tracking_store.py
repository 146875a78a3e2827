"""MLflow tracking adapter on a throw-away SQLite store: log, list, reload, finish, interrupt, delete."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from core.config import get_settings
from core.errors import TrackingError
from core.tracking import store
from core.tracking.store import BASE_COLUMNS, Tracker, tracker_from_settings

PARAMS = {"epochs": 3, "batch_size": 64, "learning_rate": 0.001, "use_case": "vision", "optimizer": "adam"}
EPOCHS = {
    1: {"loss": 1.2, "accuracy": 0.5, "val_loss": 1.0, "val_accuracy": 0.55},
    2: {"loss": 0.6, "accuracy": 0.8, "val_loss": 0.7, "val_accuracy": 0.75},
    3: {"loss": 0.3, "accuracy": 0.9, "val_loss": 0.5, "val_accuracy": 0.85},
}


@pytest.fixture(scope="session")
def empty_db(mlflow_template) -> Path:
    """An MLflow SQLite file with its schema created once (tests/conftest.py: creating it takes seconds)."""
    return mlflow_template


def copy_db(empty_db: Path, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(empty_db, target)
    return f"sqlite:///{target}"


@pytest.fixture
def tracker(empty_db, tmp_path) -> Tracker:
    return Tracker(copy_db(empty_db, tmp_path / "mlflow.db"), tmp_path / "artifacts")


def start(tracker: Tracker, model: str = "cnn", use_case: str = "vision") -> str:
    return tracker.start_run(use_case=use_case, dataset="digits", model=model, params=PARAMS,
                             tags={"studio.device": "CPU (2 cores)"})


def test_round_trip_start_log_finish_list_history_delete(tracker, tmp_path):
    run_id = start(tracker)
    for epoch, metrics in EPOCHS.items():
        tracker.log_epoch(run_id, epoch, metrics)
    tracker.log_metrics(run_id, {"test_accuracy": 0.875, "test_macro_f1": 0.8625})
    tracker.log_dict(run_id, {"confusion_matrix": [[5, 1], [0, 4]], "class_names": ["0", "1"]}, "evaluation.json")
    model_file = tmp_path / "model.keras"
    model_file.write_bytes(b"weights")
    tracker.log_artifact(run_id, model_file)
    tracker.finish(run_id, "completed")

    runs = tracker.list_runs()
    assert list(runs.columns[: len(BASE_COLUMNS)]) == BASE_COLUMNS
    assert len(runs) == 1
    row = runs.iloc[0]
    assert (row.run_id, row.run_name, row.use_case, row.dataset, row.model, row.device, row.status) == (
        run_id, "vision / digits / cnn", "vision", "digits", "cnn", "CPU (2 cores)", "completed")
    assert row.test_accuracy == pytest.approx(0.875) and row.test_macro_f1 == pytest.approx(0.8625)
    assert row.epochs == 3 and row.batch_size == 64 and row.learning_rate == pytest.approx(0.001)
    assert row.optimizer == "adam"
    assert "loss" not in runs.columns and "val_accuracy" not in runs.columns  # curves are not final metrics
    assert "param_use_case" not in runs.columns  # same as the use_case column
    assert isinstance(row.started, datetime) and abs((datetime.now() - row.started).total_seconds()) < 600
    assert 0 <= row.duration_s < 600

    assert tracker.history(run_id) == {key: [EPOCHS[e][key] for e in (1, 2, 3)] for key in EPOCHS[1]}
    assert tracker.load_dict(run_id, "evaluation.json")["confusion_matrix"] == [[5, 1], [0, 4]]
    path = tracker.model_path(run_id)
    assert path.name == "model.keras" and path.read_bytes() == b"weights"
    run = tracker.get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.tags["studio.status"] == "completed"
    assert run.data.params["epochs"] == "3"

    artifact_folder = tmp_path / "artifacts" / run_id
    assert artifact_folder.is_dir() and (tmp_path / "artifacts") in path.parents
    tracker.delete_run(run_id)
    assert not artifact_folder.exists()
    empty = tracker.list_runs()
    assert empty.empty and list(empty.columns) == BASE_COLUMNS
    with pytest.raises(TrackingError, match="not found"):
        tracker.get_run(run_id)


def test_empty_store_lists_no_runs_with_the_columns(tracker):
    runs = tracker.list_runs()
    assert isinstance(runs, pd.DataFrame) and runs.empty and list(runs.columns) == BASE_COLUMNS


def test_runs_are_newest_first_and_filtered_by_use_case(tracker):
    first = start(tracker, model="mlp")
    second = start(tracker, model="cnn")
    other = start(tracker, model="lstm", use_case="nlp")
    for run_id in (first, second, other):
        tracker.finish(run_id, "completed")
    assert list(tracker.list_runs().run_id) == [other, second, first]
    assert list(tracker.list_runs(use_case="vision").model) == ["cnn", "mlp"]
    assert tracker.list_runs(use_case="finance").empty


@pytest.mark.parametrize(("status", "mlflow_status"),
                         [("failed", "FAILED"), ("cancelled", "KILLED"), ("diverged", "FAILED")])
def test_finish_maps_statuses_and_keeps_the_error(tracker, status, mlflow_status):
    run_id = start(tracker)
    tracker.finish(run_id, status, error="loss became NaN")
    run = tracker.get_run(run_id)
    assert run.info.status == mlflow_status
    assert run.data.tags["studio.status"] == status and run.data.tags["studio.error"] == "loss became NaN"
    assert tracker.list_runs().iloc[0].status == status


def test_finish_refuses_an_unknown_status(tracker):
    with pytest.raises(ValueError, match="completed, failed, cancelled, diverged"):
        tracker.finish(start(tracker), "done")


def test_mark_interrupted_flips_only_runs_left_running(empty_db, tmp_path):
    uri = copy_db(empty_db, tmp_path / "mlflow.db")
    before_crash = Tracker(uri, tmp_path / "artifacts")
    finished = start(before_crash, model="mlp")
    before_crash.finish(finished, "completed")
    crashed = start(before_crash, model="cnn")  # never finished: the server "died" here
    before_crash.log_epoch(crashed, 1, EPOCHS[1])
    store._LIVE_RUNS.clear()  # the process is gone, and with it what it was training

    after_restart = Tracker(uri, tmp_path / "artifacts")
    assert after_restart.list_runs().set_index("run_id").status[crashed] == "running"
    assert after_restart.mark_interrupted() == [crashed]
    runs = after_restart.list_runs().set_index("run_id")
    assert runs.status[crashed] == "interrupted" and runs.status[finished] == "completed"
    assert after_restart.get_run(crashed).info.status == "KILLED"
    assert after_restart.get_run(finished).info.status == "FINISHED"
    assert after_restart.history(crashed) == {key: [value] for key, value in EPOCHS[1].items()}
    assert after_restart.mark_interrupted() == []


def test_unknown_runs_and_missing_files_raise_tracking_errors(tracker):
    with pytest.raises(TrackingError, match="not found") as caught:
        tracker.get_run("0123456789abcdef0123456789abcdef")
    assert caught.value.key == "errors.tracking.not_found"
    with pytest.raises(TrackingError, match="not found"):
        tracker.delete_run("0123456789abcdef0123456789abcdef")
    run_id = start(tracker)
    with pytest.raises(TrackingError, match="no saved model"):
        tracker.model_path(run_id)
    with pytest.raises(TrackingError, match="no stored file"):
        tracker.load_dict(run_id, "evaluation.json")


def test_history_skips_final_metrics_and_orders_by_epoch(tracker):
    run_id = start(tracker)
    tracker.log_epoch(run_id, 2, {"loss": 0.5})
    tracker.log_epoch(run_id, 1, {"loss": 0.9})
    tracker.log_metrics(run_id, {"test_accuracy": 0.7})
    assert tracker.history(run_id) == {"loss": [0.9, 0.5]}


def test_log_dict_accepts_numpy_values_and_folders(tracker):
    import numpy as np

    run_id = start(tracker)
    tracker.log_dict(run_id, {"matrix": np.eye(2, dtype=int), "score": np.float32(0.5)}, "eval/cm.json")
    assert tracker.load_dict(run_id, "eval/cm.json") == {"matrix": [[1, 0], [0, 1]], "score": 0.5}


def test_unusable_store_raises_a_tracking_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    tracker = Tracker(f"sqlite:///{blocker / 'mlflow.db'}", tmp_path / "artifacts")
    with pytest.raises(TrackingError, match="cannot be used"):
        tracker.list_runs()


def test_tracker_from_settings_uses_the_data_dir(empty_db, tmp_path, monkeypatch):
    data_dir = tmp_path / "studio-data"
    copy_db(empty_db, data_dir / "mlflow.db")
    monkeypatch.setenv("STUDIO_DATA_DIR", str(data_dir))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("STUDIO_ARTIFACT_DIR", raising=False)
    get_settings.cache_clear()
    try:
        tracker = tracker_from_settings(get_settings())
        assert tracker.tracking_uri == f"sqlite:///{data_dir.resolve() / 'mlflow.db'}"
        assert tracker.artifact_dir == data_dir.resolve() / "mlartifacts"
        assert tracker.is_local
        run_id = start(tracker)
        tracker.log_dict(run_id, {"ok": True}, "check.json")
        assert (data_dir.resolve() / "mlartifacts" / run_id / "artifacts" / "check.json").is_file()
    finally:
        get_settings.cache_clear()


def test_a_server_uri_is_passed_through_untouched(tmp_path):
    tracker = Tracker("http://mlflow.example.internal:5000", tmp_path / "artifacts")
    assert tracker.tracking_uri == "http://mlflow.example.internal:5000" and not tracker.is_local
    assert tracker._client is None  # nothing connects (or imports mlflow) before first use


def test_mark_interrupted_spares_live_runs_of_this_tracker_and_of_other_processes(empty_db, tmp_path,
                                                                                  monkeypatch):
    import os
    import subprocess
    import sys

    uri = copy_db(empty_db, tmp_path / "mlflow.db")
    app = Tracker(uri, tmp_path / "artifacts")
    own_live = start(app, model="own")
    assert app.mark_interrupted() == []  # this tracker is still training it

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    other_alive = start(app, model="alive")
    other_dead = start(app, model="dead")
    app.set_tags(other_alive, {"studio.pid": os.getppid()})  # a process that is certainly running
    app.set_tags(other_dead, {"studio.pid": int(dead.stdout)})  # a process that has exited
    elsewhere = start(app, model="elsewhere")
    app.set_tags(elsewhere, {"studio.host": "another-machine"})
    for run_id in (other_alive, other_dead, elsewhere):  # started "by" other processes, not trained here
        store._LIVE_RUNS.discard(run_id)

    # A run of this pid that no tracker here is training any more (its job died with the old tracker).
    own_lost = start(app, model="lost")
    store._LIVE_RUNS.discard(own_lost)

    # A new tracker in this process (as after "Clear cache"): it spares what this process still trains.
    restarted = Tracker(uri, tmp_path / "artifacts")
    monkeypatch.setattr(Tracker, "is_local", property(lambda self: False))  # as if on a shared server
    assert sorted(restarted.mark_interrupted()) == sorted([own_lost, other_dead])  # other machine: maybe live
    monkeypatch.undo()
    assert restarted.mark_interrupted() == [elsewhere]  # the embedded store: nobody else can train it
    statuses = restarted.list_runs().set_index("model").status
    assert statuses.to_dict() == {"own": "running", "lost": "interrupted", "alive": "running",
                                  "dead": "interrupted", "elsewhere": "interrupted"}
    app.finish(own_live, "completed")
    assert own_live not in store._LIVE_RUNS


def test_a_second_tracker_in_the_same_process_leaves_a_run_in_training_alone(empty_db, tmp_path):
    """Streamlit's "Clear cache" recreates the app's tracker while a job thread still logs to its run."""
    uri = copy_db(empty_db, tmp_path / "mlflow.db")
    worker = Tracker(uri, tmp_path / "artifacts")
    training = start(worker, model="training")
    assert Tracker(uri, tmp_path / "artifacts").mark_interrupted() == []
    worker.log_epoch(training, 0, {"loss": 0.5})
    worker.finish(training, "completed")
    assert worker.list_runs().set_index("model").status.to_dict() == {"training": "completed"}


def test_runs_list_the_upload_name_and_example_count_they_recorded(tracker):
    from core.tracking.records import TAG_DATASET_ROWS, TAG_SOURCE_KIND, TAG_SOURCE_NAME

    tagged = tracker.start_run(use_case="finance", dataset="upload_csv", model="gbm", params={"train_size": 10},
                               tags={TAG_SOURCE_KIND: "uploaded", TAG_SOURCE_NAME: "credit.csv", TAG_DATASET_ROWS: 1000})
    older = tracker.start_run(use_case="vision", dataset="digits", model="cnn",  # recorded before the row tag
                              params={"train_size": 1257, "val_size": 180, "test_size": 360})
    imported = tracker.start_run(use_case="vision", dataset="digits", model="imported", params={"test_size": 360})
    runs = tracker.list_runs().set_index("run_id")
    assert (runs.loc[tagged, "source_name"], runs.loc[tagged, "source_kind"]) == ("credit.csv", "uploaded")
    assert runs.loc[tagged, "dataset_rows"] == 1000  # the tag wins over the split sizes
    assert runs.loc[older, "dataset_rows"] == 1257 + 180 + 360 and runs.loc[older, "source_name"] == ""
    assert pd.isna(runs.loc[imported, "dataset_rows"])  # unknown, not a guess


def test_each_run_records_who_started_it(tracker, monkeypatch):
    import core.auth

    monkeypatch.setattr(core.auth, "local_user", lambda: "ada")
    local = start(tracker)  # single-user mode: the OS user
    signed_in = tracker.start_run(use_case="vision", dataset="digits", model="logreg", params=PARAMS,
                                  tags={"studio.user": "alice@example.com"})
    users = tracker.list_runs().set_index("run_id")["user"]
    assert users[local] == "ada" and users[signed_in] == "alice@example.com"
    assert tracker.get_run(signed_in).data.tags["studio.user"] == "alice@example.com"


# --- store faults mid-training (issue 21 item 5): a real SQLite lock stands for a store refusing writes ---


def _lock_store(tracker: Tracker):
    """An exclusive SQLite transaction on the store: every other write (and read) is refused until rollback()."""
    import sqlite3

    connection = sqlite3.connect(tracker.tracking_uri[len("sqlite:///"):], timeout=0, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    return connection


def test_a_store_that_refuses_writes_mid_run_says_what_was_lost_and_the_run_ends_failed_once_it_accepts_them(
        tracker, monkeypatch, short_sqlite_waits):
    import time

    from core.tracking import faults

    monkeypatch.setattr(faults, "RETRY_S", 0.2)
    run_id = tracker.start_run(use_case="vision", dataset="digits", model="mlp", params=PARAMS)
    tracker.log_epoch(run_id, 1, EPOCHS[1])
    lock = _lock_store(tracker)
    try:
        with pytest.raises(TrackingError, match=r"refused a write .*its result is lost") as raised:
            tracker.log_epoch(run_id, 2, EPOCHS[2])
        assert "Nothing was lost" not in str(raised.value)
        with pytest.raises(TrackingError, match="refused a write"):
            tracker.finish(run_id, "failed", error=str(raised.value))
        assert run_id in tracker.pending_ends
        with pytest.raises(TrackingError, match="cannot be read right now"):  # a page's run query: words, no traceback
            tracker.list_runs(use_case="vision")
    finally:
        lock.rollback()
        lock.close()
    deadline = time.monotonic() + 60  # written again in the background, without a restart or a page visit
    while run_id in tracker.pending_ends:
        assert time.monotonic() < deadline, "the refused final status was never written again"
        time.sleep(0.1)
    run = tracker.get_run(run_id)
    assert run.info.status == "FAILED" and run.data.tags["studio.status"] == "failed"
    assert "refused a write" in run.data.tags["studio.error"]
    assert tracker.history(run_id)["loss"] == [1.2]  # the epoch logged before the fault stays


def test_mark_interrupted_leaves_alone_a_run_that_ended_after_its_search(empty_db, tmp_path, monkeypatch):
    """A job finished its run between the start-up search for RUNNING runs and the check of who trains it:
    the run is no longer live, so it looked orphaned, and a completed run was shown as interrupted."""
    uri = copy_db(empty_db, tmp_path / "mlflow.db")
    job, warm_up = Tracker(uri, tmp_path / "artifacts"), Tracker(uri, tmp_path / "artifacts")
    run_id = start(job)
    stale = warm_up._search("attributes.status = 'RUNNING'")  # the search sees it running
    assert [run.info.run_id for run in stale] == [run_id]
    job.finish(run_id, "completed")  # ...then the job ends it
    monkeypatch.setattr(warm_up, "_search", lambda *args, **kwargs: stale)
    assert warm_up.mark_interrupted() == []
    run = job.get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.tags["studio.status"] == "completed"
