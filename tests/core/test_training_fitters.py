"""One fitter per backend: chosen once by kind, each builds and fits on the task's backend-neutral inputs."""

from __future__ import annotations

import numpy as np
import pytest

from core.contract.usecase import Candidate
from core.data.dataset import Dataset
from core.training import runner
from core.training.adapters import ClassificationAdapter
from core.training.fitters import FITTERS, KERAS, SKLEARN, TaskInputs, call_builder, fitter_for, register_fitter
from core.training.runner import TrainConfig


def _dataset() -> Dataset:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    return Dataset("toy", "toy", "binary", x[:40], y[:40], x[40:50], y[40:50], x[50:], y[50:], ("a", "b"),
                   "bundled", "", "")


def build_recorded(input_shape, num_classes, *, width=4, random_state=None):
    """A builder that names some builder facts and not others: it gets exactly those it names."""
    return {"input_shape": input_shape, "num_classes": num_classes, "width": width, "random_state": random_state}


def _candidate(kind: str, **hparams) -> Candidate:
    return Candidate("recorded", "models.mlp.name", "models.mlp.description", kind, f"{__name__}:build_recorded",
                     hparams=hparams)


def test_the_kind_picks_the_fitter_once_and_unknown_kinds_are_refused():
    assert fitter_for("keras") is KERAS and fitter_for("sklearn") is SKLEARN
    with pytest.raises(ValueError, match="Unknown model kind 'xgboost'; use one of keras, sklearn, llm"):
        fitter_for("xgboost")
    config = TrainConfig(epochs=7)
    assert KERAS.run_config(config).epochs == 7 and SKLEARN.run_config(config).epochs == 1
    assert KERAS.uses_accelerator and not SKLEARN.uses_accelerator
    assert SKLEARN.throughput(object(), np.zeros((2, 3))) is None


def test_a_third_backend_is_one_registered_fitter_and_a_kind_cannot_be_taken_twice(monkeypatch):
    class EchoFitter:
        kind, one_pass, uses_accelerator = "echo", True, False

    monkeypatch.setitem(FITTERS, "echo", None)
    del FITTERS["echo"]
    echo = register_fitter(EchoFitter())
    try:
        assert fitter_for("echo") is echo
        with pytest.raises(ValueError, match="Model kind 'keras' already has a fitter; pick a new kind"):
            register_fitter(EchoFitter.__new__(type("Other", (EchoFitter,), {"kind": "keras"})))
    finally:
        FITTERS.pop("echo", None)


def test_builders_get_the_task_facts_they_name_their_hparams_and_their_backends_extras():
    inputs = ClassificationAdapter().inputs(_candidate("sklearn", width=9), _dataset())
    assert inputs.builder_args == {"input_shape": (3,), "num_classes": 2}
    assert inputs.labels == ("a", "b") and inputs.loss == "sparse_categorical_crossentropy"
    assert SKLEARN.build(_candidate("sklearn", width=9), inputs, seed=3) == {
        "input_shape": (3,), "num_classes": 2, "width": 9, "random_state": 3}
    # the Keras fitter passes no random_state (it seeds globally), and a hparam wins over a task fact
    keras_candidate = _candidate("keras", num_classes=5)
    built = call_builder(keras_candidate, ClassificationAdapter().inputs(keras_candidate, _dataset()))
    assert built == {"input_shape": (3,), "num_classes": 5, "width": 4, "random_state": None}


def test_keras_fit_takes_the_tasks_network_inputs_loss_and_metrics_by_name(monkeypatch):
    dataset, seen = _dataset(), {}

    def fake_fit_keras(model, x_train, y_train, x_val, y_val, config, **kwargs):
        seen.update(x_train=x_train, y_train=y_train, config=config, **kwargs)
        return "fitted"

    monkeypatch.setattr(runner, "fit_keras", fake_fit_keras)
    inputs = TaskInputs(dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val, loss="binary_crossentropy",
                        metrics=("auc", "accuracy"), network_inputs=lambda model, x: (model, x * 2))
    config = TrainConfig(epochs=2)
    assert KERAS.fit("network", inputs, config, on_progress=None, cancel_event=None) == "fitted"
    model, doubled = seen["x_train"]
    assert model == "network"
    np.testing.assert_allclose(doubled, dataset.x_train * 2)
    # a sigmoid output takes a float (n, 1) target
    assert seen["y_train"].shape == (40, 1) and seen["y_train"].dtype == np.float32
    assert seen["config"] is config and seen["loss"] == "binary_crossentropy"
    assert seen["metrics"][0].name == "auc" and seen["metrics"][1] == "accuracy"
    with pytest.raises(ValueError, match="Unknown metric 'f2'; the Keras fitter knows accuracy, auc, rmse, mae"):
        KERAS.fit("network", TaskInputs(dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val,
                                        metrics=("f2",)), config, on_progress=None, cancel_event=None)


def test_sklearn_fit_is_one_pass_on_the_raw_splits_with_the_runs_class_weights():
    from sklearn.linear_model import LogisticRegression

    dataset, reports = _dataset(), []
    inputs = ClassificationAdapter().inputs(_candidate("sklearn"), dataset)
    model = LogisticRegression(random_state=0)
    result = SKLEARN.fit(model, inputs, TrainConfig(class_weight="balanced"), on_progress=reports.append,
                         cancel_event=None)
    assert result.epochs_run == 1 and model.class_weight == "balanced"
    assert reports and reports[-1].history["loss"] == result.history["loss"]
