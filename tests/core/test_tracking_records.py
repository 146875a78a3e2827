"""RunRecord: a real run's studio.* tags, params and metrics read back as typed fields (embedded SQLite tracker)."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from core.errors import TrackingError
from core.tracking.records import (TAG_DATASET_ROWS, TAG_DEVICE, TAG_ERROR, TAG_EXECUTOR, TAG_FINGERPRINT,
                                   TAG_SOURCE_KIND, TAG_STATUS, TAG_USER, TAG_WORKER, RunRecord, run_record)


@pytest.fixture(scope="module")
def tracker(studio_tracker):
    return studio_tracker


@pytest.fixture(scope="module")
def trained(tracker):
    from core.training.pipeline import run_training, TrainingSpec

    outcome = run_training(TrainingSpec("vision", "digits", "logreg", user="ada@example.com"), tracker=tracker,
                           tags={TAG_EXECUTOR: "ray", TAG_WORKER: "node-1"})
    return outcome


def test_a_trained_run_reads_back_as_a_record(tracker, trained):
    from core.data.cache import load_dataset

    record = tracker.record(trained.run_id)
    tags = tracker.get_run(trained.run_id).data.tags
    dataset = load_dataset("vision", "digits", seed=0)
    assert isinstance(record, RunRecord) and record.run_id == trained.run_id
    assert (record.use_case, record.dataset, record.model) == ("vision", "digits", "logreg")
    assert record.status == "completed" and record.completed and record.mlflow_status == "FINISHED"
    assert record.device == trained.device == tags[TAG_DEVICE] and record.device_kind in ("CPU", "GPU")
    assert record.fingerprint == dataset.fingerprint == tags[TAG_FINGERPRINT]
    assert record.dataset_title == dataset.title and record.source_kind == tags[TAG_SOURCE_KIND] == "bundled"
    assert record.dataset_rows == 1797.0 == float(tags[TAG_DATASET_ROWS])
    assert record.user == "ada@example.com" == tags[TAG_USER]
    assert (record.executor, record.worker) == ("ray", "node-1")
    assert record.params["model_kind"] == "sklearn" == record.model_kind and record.seed == 0
    assert record.metrics["test_accuracy"] == pytest.approx(trained.metrics["test_accuracy"])
    assert {"loss", "val_loss"} <= record.curves and "loss" not in record.metrics  # curves are not final metrics
    assert isinstance(record.started, datetime) and record.ended >= record.started and record.duration_s >= 0
    assert record.error == "" and record.host


def test_list_runs_rows_are_the_records_fields(tracker, trained):
    record = tracker.record(trained.run_id)
    row = tracker.list_runs("vision").set_index("run_id").loc[trained.run_id]
    assert (row["status"], row["device"], row["user"], row["source_kind"]) == (
        record.status, record.device, record.user, record.source_kind)
    assert row["dataset_rows"] == record.dataset_rows and row["test_accuracy"] == record.metrics["test_accuracy"]


def test_failed_and_running_runs(tracker):
    run_id = tracker.start_run(use_case="vision", dataset="digits", model="mlp", params={"seed": 3})
    running = tracker.record(run_id)
    assert running.status == "running" and running.mlflow_status == "RUNNING" and math.isnan(running.duration_s)
    assert running.seed == 3 and math.isnan(running.dataset_rows)  # no sizes recorded: unknown, not 0
    tracker.finish(run_id, "failed", error="ValueError: boom")
    failed = tracker.record(run_id)
    assert (failed.status, failed.error, failed.mlflow_status) == ("failed", "ValueError: boom", "FAILED")
    assert tracker.get_run(run_id).data.tags[TAG_STATUS] == "failed" and tracker.get_run(run_id).data.tags[TAG_ERROR]


def test_record_of_an_unknown_run_is_a_tracking_error(tracker):
    with pytest.raises(TrackingError, match="nope"):
        tracker.record("nope")


def test_run_record_falls_back_to_split_sizes_and_the_device_param():
    class Info:
        run_id, run_name, status, start_time, end_time = "r1", "old run", "FINISHED", 1_000, 4_500

    class Data:
        tags = {"studio.use_case": "finance", "studio.epoch_metrics": "loss"}
        params = {"train_size": "70", "val_size": "10", "test_size": "20", "device": "CPU (2 cores)"}
        metrics = {"loss": 0.4, "test_roc_auc": 0.8}

    record = run_record(type("Run", (), {"info": Info, "data": Data})())
    assert record.status == "finished" and record.dataset_rows == 100.0 and record.device == "CPU (2 cores)"
    assert record.metrics == {"test_roc_auc": 0.8} and record.duration_s == 3.5 and record.model_kind == "keras"
