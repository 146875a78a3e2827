"""The whole training pipeline on real digits: tracking, evaluation, re-evaluation, divergence, cancel, import."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from core.config import get_settings
from core.errors import ModelLoadError, TrainingError
from core.training import pipeline
from core.data.cache import UPLOAD_NAME, load_dataset
from core.data.uploads import store_upload
from core.training.pipeline import run_training, TrainingSpec
from core.training.saved_runs import import_model_run, reevaluate_run
from core.training.runner import TrainConfig


@pytest.fixture(scope="module")
def tracker(studio_tracker):
    """A tracker on a throw-away SQLite store shared by this module's tests."""
    return studio_tracker


@pytest.fixture(scope="module")
def baseline_outcome(tracker):
    return run_training(TrainingSpec("vision", "digits", "logreg"), tracker=tracker)


@pytest.fixture(scope="module")
def cnn_outcome(tracker):
    progress = []
    outcome = run_training(TrainingSpec("vision", "digits", "cnn", TrainConfig(epochs=2)), tracker=tracker,
                           report=progress.append)
    return outcome, progress


def test_baseline_is_trained_evaluated_and_tracked(tracker, baseline_outcome):
    outcome = baseline_outcome
    assert outcome.status == "completed"
    assert 0.93 <= outcome.metrics["test_accuracy"] <= 1.0  # logistic regression on digits: about 0.97
    assert outcome.metrics["parameters"] == 650  # 64 pixels x 10 classes + 10 intercepts
    evaluation = outcome.evaluation
    matrix = np.array(evaluation["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 360  # the whole test split
    assert np.trace(matrix) / matrix.sum() == pytest.approx(outcome.metrics["test_accuracy"])
    assert len(evaluation["misclassified"]) == matrix.sum() - np.trace(matrix)
    y_true, y_pred = np.array(evaluation["y_true"]), np.array(evaluation["y_pred"])
    assert len(y_pred) == 360 and np.mean(y_true == y_pred) == pytest.approx(outcome.metrics["test_accuracy"])
    assert 100 < outcome.metrics["peak_rss_mb"] < 24_000  # the process, measured while it trained
    run = tracker.get_run(outcome.run_id)
    assert run.data.tags["studio.status"] == "completed"
    assert run.data.params["model"] == "logreg" and run.data.params["test_size"] == "360"
    assert tracker.history(outcome.run_id)["val_accuracy"]  # tracked like a one-epoch Keras run


def test_cnn_reports_progress_logs_every_epoch_and_measures_latency(tracker, cnn_outcome):
    outcome, progress = cnn_outcome
    assert outcome.status == "completed"
    history = tracker.history(outcome.run_id)
    assert len(history["accuracy"]) == 2 and len(history["val_loss"]) == 2
    assert history["val_accuracy"] == pytest.approx(outcome.history["val_accuracy"])
    assert [p.phase for p in progress][-1] == "evaluating"
    assert max(p.epoch for p in progress) == 2
    assert 0 < outcome.metrics["latency_p50_ms"] <= outcome.metrics["latency_p95_ms"]
    assert outcome.metrics["model_size_bytes"] > 10_000
    run = tracker.get_run(outcome.run_id)
    assert run.data.tags["studio.device_kind"] == "CPU"
    assert tracker.model_path(outcome.run_id).suffix == ".keras"


def test_same_seed_gives_the_same_initial_weights_and_result(tracker, cnn_outcome):
    outcome, _ = cnn_outcome
    again = run_training(TrainingSpec("vision", "digits", "cnn", TrainConfig(epochs=2)), tracker=tracker)
    assert again.history["loss"][0] == pytest.approx(outcome.history["loss"][0], rel=1e-3)


def test_reloaded_model_evaluates_to_the_stored_accuracy(tracker, cnn_outcome):
    outcome, _ = cnn_outcome
    evaluation = reevaluate_run(tracker, outcome.run_id)
    assert evaluation["same_data"] is True
    assert evaluation["accuracy"] == pytest.approx(outcome.metrics["test_accuracy"])
    assert evaluation["confusion_matrix"] == outcome.evaluation["confusion_matrix"]


def test_a_run_that_diverges_to_nan_is_stopped_and_marked(tracker, monkeypatch):
    digits = load_dataset("vision", "digits")
    poisoned = digits.x_train.copy()
    poisoned[0, 0, 0, 0] = np.nan  # one NaN pixel makes the loss NaN in the first epoch
    broken = dataclasses.replace(digits, x_train=poisoned)
    monkeypatch.setattr(pipeline, "load_dataset", lambda *args, **kwargs: broken)
    before = len(tracker.list_runs())
    with pytest.raises(TrainingError, match="diverged to NaN at epoch 1; lower the learning rate"):
        run_training(TrainingSpec("vision", "digits", "mlp", TrainConfig(epochs=3)), tracker=tracker)
    runs = tracker.list_runs()
    assert len(runs) == before + 1
    assert runs.iloc[0]["status"] == "diverged"
    assert set(runs.iloc[1:]["status"]) <= {"completed"}  # earlier runs untouched


def test_cancel_stops_training_and_keeps_the_run_as_cancelled(tracker):
    cancel = threading.Event()

    def report(progress):
        if progress.epoch >= 1 and progress.history.get("loss"):
            cancel.set()

    outcome = run_training(TrainingSpec("vision", "digits", "mlp", TrainConfig(epochs=20)), tracker=tracker, report=report,
                           cancel_event=cancel)
    assert outcome.status == "cancelled"
    assert 1 <= len(outcome.history["loss"]) < 20
    assert tracker.get_run(outcome.run_id).data.tags["studio.status"] == "cancelled"


def test_invalid_settings_are_refused_before_a_run_starts(tracker):
    before = len(tracker.list_runs())
    with pytest.raises(TrainingError, match="[Ll]earning rate"):
        run_training(TrainingSpec("vision", "digits", "cnn", TrainConfig(learning_rate=5.0)), tracker=tracker)
    assert len(tracker.list_runs()) == before


def test_imported_model_is_evaluated_and_tracked(tracker, cnn_outcome):
    outcome, _ = cnn_outcome
    data = tracker.model_path(outcome.run_id).read_bytes()
    imported = import_model_run(tracker=tracker, use_case="vision", dataset="digits", model_bytes=data,
                                filename="digits_cnn.keras")
    assert imported.metrics["test_accuracy"] == pytest.approx(outcome.metrics["test_accuracy"])
    assert tracker.get_run(imported.run_id).data.params["model"] == "imported"


def test_imported_model_for_other_images_is_refused_by_shape(tracker, cnn_outcome):
    outcome, _ = cnn_outcome
    data = tracker.model_path(outcome.run_id).read_bytes()
    before = len(tracker.list_runs())
    with pytest.raises(ModelLoadError, match=r"\(8, 8, 1\).*\(28, 28, 1\)|\(28, 28, 1\).*\(8, 8, 1\)"):
        import_model_run(tracker=tracker, use_case="vision", dataset="mnist5k", model_bytes=data,
                         filename="digits_cnn.keras")
    assert len(tracker.list_runs()) == before


def test_benchmark_specs_give_every_candidate_its_default_budget_on_one_split():
    specs = pipeline.benchmark_specs("vision", "digits", seed=3)
    assert [spec.candidate for spec in specs] == ["logreg", "mlp", "cnn", "cnn_regularised", "mobilenet_v3_small",
                                                  "efficientnet_v2_b0"]
    assert {spec.config.seed for spec in specs} == {3} and {spec.dataset for spec in specs} == {"digits"}
    assert [spec.config.epochs for spec in specs] == [1, 20, 15, 20, 6, 6]
    # an LLM is not benchmarked unasked: it needs a model (and endpoint, key, prices) only a person can name
    assert "llm_endpoint" in {c.id for c in pipeline.get_use_case("vision").candidates}
    assert not [spec for spec in pipeline.benchmark_specs("nlp", "en_reviews") if spec.candidate.startswith("llm")]  # embeddings too


def test_an_upload_run_records_the_original_file_name_and_row_count(tracker, tmp_path):
    """Uploads are stored under a content hash; the run keeps the name and size people know the file by."""
    import pandas as pd

    from core.tracking.records import TAG_DATASET_ROWS, TAG_SOURCE_KIND, TAG_SOURCE_NAME

    rng = np.random.default_rng(0)
    income = rng.normal(50, 15, 240).round(1)
    frame = pd.DataFrame({"income": income, "age": rng.integers(20, 70, 240),
                          "Status": np.where(income + rng.normal(0, 10, 240) < 45, "bad", "good")})
    frame.loc[3, "Status"] = None  # a row without a target is left out: 239 rows are used
    path = store_upload(frame.to_csv(index=False).encode(), suffix=".csv")
    kwargs = {"path": str(path), "target": "Status", "bad_value": "bad", UPLOAD_NAME: "C:\\data\\german.csv"}
    outcome = run_training(TrainingSpec("finance", "upload_csv", "scorecard", dataset_kwargs=kwargs), tracker=tracker)

    tags = tracker.get_run(outcome.run_id).data.tags
    assert tags[TAG_SOURCE_NAME] == "german.csv"  # the name, not the browser's path nor the stored hash
    assert tags[TAG_SOURCE_KIND] == "uploaded" and tags[TAG_DATASET_ROWS] == "239"
    row = tracker.list_runs("finance").set_index("run_id").loc[outcome.run_id]
    assert row["source_name"] == "german.csv" and row["dataset_rows"] == 239
    assert path.name != "german.csv" and path.stem in tags["studio.dataset_title"]  # the file itself is a hash
    # the name only describes the data: the same file under another name is the same dataset and split
    renamed = load_dataset("finance", "upload_csv", **{**kwargs, UPLOAD_NAME: "other.csv"})
    assert renamed.fingerprint == tags["studio.dataset_fingerprint"]
    assert reevaluate_run(tracker, outcome.run_id)["same_data"] is True


def test_benchmark_specs_leave_out_pretrained_candidates_that_cannot_download(tracker, monkeypatch):
    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()
    try:
        specs = pipeline.benchmark_specs("vision", "digits")
    finally:
        monkeypatch.delenv("STUDIO_OFFLINE")
        get_settings.cache_clear()
    assert [spec.candidate for spec in specs] == ["logreg", "mlp", "cnn", "cnn_regularised"]


def test_pretrained_candidate_offline_fails_before_any_run_with_the_download_size(tracker, monkeypatch):
    from core.models.weights import WeightsUnavailable

    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()
    before = len(tracker.list_runs())
    try:
        with pytest.raises(WeightsUnavailable, match="needs a one-time 4 MB download of its pretrained weights; "
                                                     "offline now"):
            run_training(TrainingSpec("vision", "digits", "mobilenet_v3_small", TrainConfig(epochs=2)),
                         tracker=tracker)
    finally:
        monkeypatch.delenv("STUDIO_OFFLINE")
        get_settings.cache_clear()
    assert len(tracker.list_runs()) == before  # nothing half-logged; the other candidates are unaffected


def test_a_scikit_learn_run_does_not_import_tensorflow(tmp_path):
    """A scikit-learn job (the digits baseline) trains, is evaluated and tracked without TensorFlow or Keras:
    importing them costs seconds per job and per Ray worker (issue 23). A fresh interpreter, so nothing
    earlier in this test session has imported them already."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from core.config import get_settings\n"
        "from core.tracking.store import tracker_from_settings\n"
        "from core.training.pipeline import TrainingSpec, run_training\n"
        "tracker = tracker_from_settings(get_settings())\n"
        "outcome = run_training(TrainingSpec('vision', 'digits', 'logreg'), tracker=tracker)\n"
        "print(outcome.status, outcome.device, '|', tracker.record(outcome.run_id).device, '|',"
        " outcome.metrics['test_accuracy'] > 0.9)\n"
        "print(sorted(name for name in ('tensorflow', 'keras') if name in sys.modules))\n"
    )
    env = {**os.environ, "STUDIO_DATA_DIR": str(tmp_path), "STUDIO_OFFLINE": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600,
                          cwd=str(pipeline.__file__).rsplit("/core/", 1)[0])
    assert done.returncode == 0, done.stderr[-3000:]
    status_line, imported = done.stdout.strip().splitlines()[-2:]
    assert status_line.startswith("completed CPU")
    # the run records the CPU it fitted on (not a GPU it never used) and the fit is the real one
    assert status_line.split(" | ")[1:] == [f"CPU ({os.cpu_count()} cores)", "True"], status_line
    assert imported == "[]", imported
