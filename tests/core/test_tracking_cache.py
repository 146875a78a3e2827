"""What the tracker keeps between page reruns (core.tracking.run_cache) on a real SQLite store: the listing is
searched once until a run is added, finished or deleted (here or by another process), and a finished run's
evaluation.json and curves are read once, never for a run still training or one deleted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import TrackingError
from core.tracking import store
from core.tracking.store import Tracker

from test_tracking_store import EPOCHS, copy_db, empty_db, start  # noqa: F401 - fixture

REPO_ROOT = Path(__file__).resolve().parents[2]
EVALUATION = {"y_true": [0, 1, 1, 0], "y_pred": [0, 1, 0, 0], "class_names": ["0", "1"]}


@pytest.fixture
def tracker(empty_db, tmp_path) -> Tracker:  # noqa: F811
    return Tracker(copy_db(empty_db, tmp_path / "mlflow.db"), tmp_path / "artifacts")


class Calls:
    """Counts calls of one function of `owner` (the real one still answers)."""

    def __init__(self, owner, name: str, monkeypatch):
        self.count = 0
        original = getattr(owner, name)

        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)
        monkeypatch.setattr(owner, name, counted)


def finished_run(tracker: Tracker, model: str = "cnn", evaluation: dict | None = None) -> str:
    run_id = start(tracker, model=model)
    for epoch, metrics in EPOCHS.items():
        tracker.log_epoch(run_id, epoch, metrics)
    tracker.log_metrics(run_id, {"test_accuracy": 0.75})
    tracker.log_dict(run_id, evaluation or EVALUATION, "evaluation.json")
    tracker.finish(run_id, "completed")
    return run_id


def test_the_listing_is_searched_once_until_a_run_is_added_finished_or_deleted(tracker, monkeypatch):
    first = finished_run(tracker)
    searches = Calls(store, "read_runs", monkeypatch)  # the store read in one go (MLflow's search for a server)
    mlflow_searches = Calls(tracker.client, "search_runs", monkeypatch)
    assert list(tracker.list_runs()["run_id"]) == [first]
    assert list(tracker.list_runs(use_case="vision")["run_id"]) == [first]
    assert tracker.list_runs(use_case="nlp").empty
    assert searches.count == 1  # one search serves every rerun and every use-case filter

    second = start(tracker, model="mlp")
    listed = tracker.list_runs()
    assert list(listed["run_id"]) == [second, first] and list(listed["status"]) == ["running", "completed"]
    tracker.log_metrics(second, {"test_accuracy": 0.5})
    tracker.finish(second, "completed")
    listed = tracker.list_runs()
    assert list(listed["status"]) == ["completed", "completed"] and listed["test_accuracy"].iloc[0] == 0.5
    tracker.delete_run(first)
    assert list(tracker.list_runs()["run_id"]) == [second]
    assert searches.count == 4  # after each change, and only then
    tracker.list_runs()
    assert searches.count == 4 and mlflow_searches.count == 0


def test_a_listed_table_changed_by_a_page_does_not_change_the_next_listing(tracker):
    run_id = finished_run(tracker)
    listed = tracker.list_runs()
    listed.loc[0, "model"] = "changed"
    listed["extra"] = 1
    again = tracker.list_runs()
    assert again.loc[0, "model"] == "cnn" and "extra" not in again.columns and again.loc[0, "run_id"] == run_id


def test_a_run_another_process_adds_and_finishes_is_listed_at_once(tracker, tmp_path):
    first = finished_run(tracker)
    assert len(tracker.list_runs()) == 1
    code = (f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r}); from core.tracking.store import Tracker; "
            f"t = Tracker({tracker.tracking_uri!r}, {str(tmp_path / 'artifacts')!r}); "
            "r = t.start_run(use_case='nlp', dataset='en_reviews', model='cnn', params={}); "
            "t.log_metrics(r, {'test_accuracy': 0.9}); t.finish(r, 'completed'); print(r)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, check=True)
    other = result.stdout.strip().splitlines()[-1]
    listed = tracker.list_runs()
    assert list(listed["run_id"]) == [other, first] and listed["status"].tolist() == ["completed", "completed"]
    assert tracker.record(other).use_case == "nlp"


def test_a_finished_runs_evaluation_and_record_are_read_once_without_a_get_run_each(tracker, monkeypatch):
    run_id = finished_run(tracker)
    tracker.list_runs()
    get_runs = Calls(tracker.client, "get_run", monkeypatch)
    assert tracker.load_dict(run_id, "evaluation.json") == EVALUATION
    assert tracker.record(run_id).status == "completed"
    assert get_runs.count == 0  # the listing already said where its files are and that it ended
    stored = Path(tracker.artifact_file(run_id, "evaluation.json"))
    stored.write_text('{"changed": true}', encoding="utf-8")  # never happens to a finished run: proves the copy
    assert tracker.load_dict(run_id, "evaluation.json") == EVALUATION
    history = tracker.history(run_id)
    history["loss"].append(99.0)  # a caller's change stays its own
    assert tracker.history(run_id)["loss"] == [1.2, 0.6, 0.3]


def test_a_running_runs_files_and_curves_are_read_afresh(tracker):
    run_id = start(tracker)
    tracker.log_epoch(run_id, 1, EPOCHS[1])
    tracker.log_dict(run_id, {"step": 1}, "evaluation.json")
    tracker.list_runs()
    assert tracker.load_dict(run_id, "evaluation.json") == {"step": 1}
    assert tracker.history(run_id)["loss"] == [1.2]
    tracker.log_epoch(run_id, 2, EPOCHS[2])
    tracker.log_dict(run_id, {"step": 2}, "evaluation.json")
    assert tracker.load_dict(run_id, "evaluation.json") == {"step": 2}
    assert tracker.history(run_id)["loss"] == [1.2, 0.6]


def test_a_deleted_runs_kept_evaluation_is_not_served(tracker):
    kept, deleted = finished_run(tracker), finished_run(tracker, model="mlp")
    tracker.list_runs()
    assert tracker.load_dict(deleted, "evaluation.json") == EVALUATION
    tracker.delete_run(deleted)
    with pytest.raises(TrackingError, match=deleted):
        tracker.load_dict(deleted, "evaluation.json")
    with pytest.raises(TrackingError, match=deleted):
        tracker.record(deleted)
    assert list(tracker.list_runs()["run_id"]) == [kept]


def test_the_stores_runs_read_straight_from_sqlite_are_mlflows_own_records(tracker):
    from core.tracking.records import run_record
    from core.tracking.sqlite_runs import read_runs

    finished_run(tracker)
    running = start(tracker, model="mlp")
    tracker.log_metrics(running, {"test_accuracy": float("nan"), "parameters": 1234.0})
    tracker.delete_run(finished_run(tracker, model="logreg"))
    stored = read_runs(tracker.tracking_uri, tracker.experiment_id)
    def plain(run) -> str:  # NaN (no example count, a NaN metric) never equals itself: compare the text
        record = vars(run_record(run))
        return repr({key: sorted(value.items()) if isinstance(value, dict) else value for key, value in record.items()})

    assert [plain(run) for run in stored] == [plain(run) for run in tracker._search()]
    assert len(stored) == 2 and stored[0].info.artifact_uri.endswith("artifacts")
    assert read_runs("http://mlflow.example:5000", "1") is None  # a server is searched through MLflow
