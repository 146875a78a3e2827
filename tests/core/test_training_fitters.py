"""One fitter per backend: chosen once by kind, each reads the task adapter's hooks for its backend."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.dataset import Dataset
from core.training import runner
from core.training.adapters import ClassificationAdapter
from core.training.fitters import KERAS, SKLEARN, fitter_for
from core.training.runner import TrainConfig


def _dataset() -> Dataset:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    return Dataset("toy", "toy", "binary", x[:40], y[:40], x[40:50], y[40:50], x[50:], y[50:], ("a", "b"),
                   "bundled", "", "")


class Candidate:
    fine_tune = None


class HookedAdapter(ClassificationAdapter):
    """Records which backend hooks the fitters call."""

    def __init__(self):
        self.calls: list[str] = []

    def build_keras(self, candidate, dataset):
        self.calls.append("build_keras")
        return "network"

    def build_sklearn(self, candidate, dataset, *, seed):
        from sklearn.linear_model import LogisticRegression

        self.calls.append(f"build_sklearn:{seed}")
        return LogisticRegression(random_state=seed)

    def keras_data(self, model, dataset):
        self.calls.append("keras_data")
        return dataset.x_train * 2, dataset.y_train, dataset.x_val * 2, dataset.y_val

    def keras_metrics(self):
        return ["auc-object"]

    def sklearn_history(self, history):
        return {**history, "doubled_loss": [2 * value for value in history.get("loss", [])]}


def test_the_kind_picks_the_fitter_once_and_unknown_kinds_are_refused():
    assert fitter_for("keras") is KERAS and fitter_for("sklearn") is SKLEARN
    with pytest.raises(ValueError, match="Unknown model kind 'xgboost'; use one of keras, sklearn"):
        fitter_for("xgboost")
    config = TrainConfig(epochs=7)
    assert KERAS.run_config(config).epochs == 7 and SKLEARN.run_config(config).epochs == 1
    assert KERAS.uses_accelerator and not SKLEARN.uses_accelerator
    assert SKLEARN.throughput(object(), np.zeros((2, 3))) is None


def test_each_fitter_builds_through_its_own_adapter_hook():
    adapter, dataset = HookedAdapter(), _dataset()
    assert KERAS.build(adapter, Candidate(), dataset, seed=3) == "network"
    SKLEARN.build(adapter, Candidate(), dataset, seed=3)
    assert adapter.calls == ["build_keras", "build_sklearn:3"]


def test_keras_fit_reads_the_adapters_inputs_loss_and_metrics(monkeypatch):
    adapter, dataset, seen = HookedAdapter(), _dataset(), {}

    def fake_fit_keras(model, x_train, y_train, x_val, y_val, config, **kwargs):
        seen.update(x_train=x_train, config=config, **kwargs)
        return "fitted"

    monkeypatch.setattr(runner, "fit_keras", fake_fit_keras)
    config = TrainConfig(epochs=2)
    assert KERAS.fit_task(adapter, "network", Candidate(), dataset, config, on_progress=None,
                          cancel_event=None) == "fitted"
    np.testing.assert_allclose(seen["x_train"], dataset.x_train * 2)
    assert seen["config"] is config and seen["loss"] == adapter.loss and seen["metrics"] == ["auc-object"]


def test_sklearn_fit_reports_and_returns_the_tasks_curve_names():
    adapter, dataset, reports = HookedAdapter(), _dataset(), []
    model = SKLEARN.build(adapter, Candidate(), dataset, seed=0)
    result = SKLEARN.fit_task(adapter, model, Candidate(), dataset, TrainConfig(class_weight="balanced"),
                              on_progress=reports.append, cancel_event=None)
    assert result.epochs_run == 1 and model.class_weight == "balanced"
    assert result.history["doubled_loss"] == [2 * result.history["loss"][0]]
    assert reports[-1].history["doubled_loss"] == result.history["doubled_loss"]
