"""How many labelled examples a model needed, read off its learning curve (tracked points: test_training_learning_curve)."""

from __future__ import annotations

import pandas as pd

from core.selection import learning_curve as curves


def test_examples_needed_is_the_first_size_within_tolerance_of_the_best():
    assert curves.examples_needed([100, 250, 500, 1000], [0.80, 0.955, 0.962, 0.96]) == 250
    assert curves.examples_needed([100, 250, 500, 1000], [0.80, 0.90, 0.95, 0.97]) == 1000
    assert curves.examples_needed([100, 250], [0.9, 0.95], tolerance=0.1) == 100
    # lower is better (RMSE): within 0.01 of the smallest value
    assert curves.examples_needed([100, 200, 400], [1.2, 0.905, 0.90], higher_is_better=False) == 200
    assert curves.examples_needed([100, 200], [float("nan"), None]) is None


def test_needed_by_model_and_the_newest_curve():
    points = pd.DataFrame({"curve_id": ["new"] * 4 + ["old"],
                           "model": ["cnn", "cnn", "logreg", "logreg", "cnn"],
                           "train_size": [100, 1000, 100, 1000, 100],
                           "test_accuracy": [0.80, 0.95, 0.945, 0.95, 0.5]})
    newest = curves.latest_curve(points)
    assert set(newest["curve_id"]) == {"new"} and len(newest) == 4
    assert curves.needed_by_model(newest, "test_accuracy") == {"cnn": 1000, "logreg": 100}
    assert curves.needed_by_model(newest, "test_rmse") == {}
