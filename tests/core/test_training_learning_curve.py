"""Learning curve: stratified subsets of the training split, one tracked run per point, read back by curve."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from core.config import get_settings
from core.data.dataset import Dataset
from core.errors import DataError
from core.selection import learning_curve as curves
from core.training import learning_curve as lc
from core.training import subsets
from test_training_pipeline import tracker  # noqa: F401 - the pipeline tests' throw-away tracker (module scope)


def tiny_dataset(y_train, x_train=None) -> Dataset:
    y_train = np.asarray(y_train)
    x_train = np.arange(len(y_train) * 2, dtype="float32").reshape(-1, 2) if x_train is None else x_train
    return Dataset(id="tiny", title="tiny", task="multiclass", x_train=x_train, y_train=y_train,
                   x_val=np.ones((3, 2), "float32"), y_val=np.array([0, 1, 2]),
                   x_test=np.zeros((4, 2), "float32"), y_test=np.array([0, 1, 2, 0]),
                   class_names=("a", "b", "c"), source_kind="bundled", provenance="test", licence="none")


def test_subset_sizes_are_exact_and_each_class_keeps_its_share():
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)  # 60 / 30 / 10 %
    data = tiny_dataset(y)
    for fraction, size, per_class in ((0.1, 10, [6, 3, 1]), (0.25, 25, [15, 8, 2]), (0.5, 50, [30, 15, 5])):
        subset = subsets.training_subset(data, fraction, seed=3)
        assert len(subset.y_train) == size == subsets.subset_size(100, fraction, 3)
        counts = np.bincount(subset.y_train, minlength=3)
        assert np.abs(counts - np.array(per_class)).max() <= 1 and counts.sum() == size
        # x rows travel with their labels: row i of x_train is (2i, 2i+1) and has label y[i]
        rows = (subset.x_train[:, 0] / 2).astype(int)
        assert np.array_equal(y[rows], subset.y_train) and len(set(rows)) == size
        # validation and test splits are the very same arrays
        assert subset.x_val is data.x_val and subset.y_test is data.y_test and subset.x_test is data.x_test
    assert subsets.training_subset(data, 1.0) is data


def test_subset_is_reproducible_by_seed_and_keeps_rare_classes():
    data = tiny_dataset([0] * 97 + [1, 2, 2])
    first, again = subsets.training_subset(data, 0.1, seed=0), subsets.training_subset(data, 0.1, seed=0)
    assert np.array_equal(first.x_train, again.x_train)
    assert not np.array_equal(first.x_train, subsets.training_subset(data, 0.1, seed=1).x_train)
    assert len(first.y_train) == 10
    assert subsets.subset_size(100, 0.01, num_classes=3) == 3  # one example per class at least


def test_subset_of_columns_and_ratings_is_uniform():
    columns = {"user": np.arange(40), "item": np.arange(40) * 10}
    ratings = Dataset(id="r", title="r", task="rating", x_train=columns, y_train=np.linspace(0.5, 5, 40, dtype="float32"),
                      x_val=columns, y_val=np.ones(40, "float32"), x_test=columns, y_test=np.ones(40, "float32"),
                      class_names=(), source_kind="bundled", provenance="t", licence="t")
    subset = subsets.training_subset(ratings, 0.25, seed=0)
    assert len(subset.y_train) == 10 and set(subset.x_train) == {"user", "item"}
    assert np.array_equal(subset.x_train["item"], subset.x_train["user"] * 10)
    assert np.allclose(subset.y_train, np.linspace(0.5, 5, 40)[subset.x_train["user"]])


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5])
def test_a_fraction_outside_zero_to_one_is_refused(fraction):
    with pytest.raises(ValueError, match="fraction must be in"):
        subsets.subset_size(100, fraction)


def test_default_candidates_are_one_per_starting_point():
    from core.contract.registry import get_use_case

    nlp = get_use_case("nlp")
    assert lc.default_candidates(nlp, usable=lambda c: True) == ["wordllama", nlp.default_candidate or "fasttext",
                                                                   "tfidf_logreg"]
    vision = get_use_case("vision")
    chosen = lc.default_candidates(vision, usable=lambda c: False)  # offline: no ImageNet weights
    assert chosen[-1] == "logreg" and len(chosen) == 2
    assert not vision.candidate(chosen[0]).pretrained and vision.candidate(chosen[0]).kind == "keras"


@pytest.fixture(scope="module")
def curve(tracker):
    progress = []
    job = lc.LearningCurveJob("vision", "digits", ["logreg"], tracker, fractions=(0.1, 0.5, 1.0))
    return job, lc.run_learning_curve(job, report=progress.append), progress


def test_curve_trains_each_point_on_its_subset_and_the_same_test_split(tracker, curve):
    from core.data.cache import load_dataset

    job, result, progress = curve
    full = load_dataset("vision", "digits", seed=0)
    assert result["status"] == "completed" and result["split"] == full.fingerprint
    points = result["points"]
    assert [p["train_size"] for p in points] == [round(0.1 * 1257), round(0.5 * 1257), 1257]
    for point in points:
        params = tracker.get_run(point["run_id"]).data.params
        assert int(params["train_size"]) == point["train_size"]  # the run really trained on the subset
        assert params["val_size"] == str(len(full.y_val)) and params["test_size"] == str(len(full.y_test))
        assert params[curves.PARAM_CURVE] == job.curve_id and params[curves.PARAM_SPLIT] == full.fingerprint
        assert 0.5 < point["test_accuracy"] <= 1.0
    # logistic regression on digits: about 0.9 with 126 examples, about 0.97 with all 1,257
    assert points[0]["test_accuracy"] < points[-1]["test_accuracy"]
    done = [len(p.done) for p in progress]
    assert done == sorted(done) and done[-1] == 3 and {p.point for p in progress} == {1, 2, 3}
    assert progress[-1].fraction == pytest.approx(1.0)


def test_subset_runs_stay_out_of_the_runs_list_and_come_back_as_curve_points(tracker, curve):
    job, result, _ = curve
    listed = tracker.list_runs(use_case="vision")
    assert list(listed["run_id"]) == [result["points"][-1]["run_id"]]  # only the full-data point
    points = curves.curve_points(tracker, "vision")
    assert len(points) == 3 and set(points["curve_id"]) == {job.curve_id}
    assert list(points["fraction"]) == [0.1, 0.5, 1.0]
    assert list(points["train_size"]) == [126, 628, 1257]
    assert points["test_accuracy"].between(0, 1).all()
    assert curves.curve_points(tracker, "vision", split="another").empty
    needed = curves.needed_by_model(curves.latest_curve(points), "test_accuracy")
    assert needed["logreg"] in (126, 628, 1257)


def test_a_cancelled_curve_stops_before_the_next_point(tracker):
    cancel = threading.Event()
    cancel.set()
    result = lc.run_learning_curve(lc.LearningCurveJob("vision", "digits", ["logreg"], tracker), cancel_event=cancel)
    assert result["status"] == "cancelled" and result["points"] == []


def test_a_model_that_cannot_train_here_is_refused_in_words(tracker, monkeypatch):
    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()
    job = lc.LearningCurveJob("vision", "digits", ["mobilenet_v3_small", "logreg"], tracker)
    with pytest.raises(DataError, match="cannot be trained for a learning curve here: mobilenet_v3_small"):
        lc.run_learning_curve(job)
    get_settings.cache_clear()


def test_a_model_whose_weights_cannot_download_is_left_out_and_the_others_train(tracker, monkeypatch):
    """No network, STUDIO_OFFLINE unset: the whole curve failed on the pretrained model's download; now that model
    is left out with the reason and the rest of the curve is measured. Nothing but it: the job fails in words."""
    import dataclasses
    import socket

    from core.models import weights

    with socket.socket() as sock:  # a port nobody listens on: the download fails at once, as with no network
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    spec = weights.WEIGHT_FILES["mobilenet_v3_small"]
    monkeypatch.setitem(weights.WEIGHT_FILES, "mobilenet_v3_small",
                        dataclasses.replace(spec, url=f"http://127.0.0.1:{closed}/weights.h5"))
    monkeypatch.delenv("STUDIO_OFFLINE", raising=False)
    get_settings.cache_clear()
    assert weights.weights_status("mobilenet_v3_small")[0] == "download"
    job = lc.LearningCurveJob("vision", "digits", ["mobilenet_v3_small", "logreg"], tracker, fractions=(0.5, 1.0))
    result = lc.run_learning_curve(job)
    assert result["status"] == "completed"
    assert [p["model"] for p in result["points"]] == ["logreg", "logreg"]
    assert list(result["skipped"]) == ["mobilenet_v3_small"]
    assert "offline now" in result["skipped"]["mobilenet_v3_small"].message("en")
    with pytest.raises(weights.WeightsUnavailable, match="one-time .* download"):
        lc.run_learning_curve(lc.LearningCurveJob("vision", "digits", ["mobilenet_v3_small"], tracker))
    get_settings.cache_clear()
