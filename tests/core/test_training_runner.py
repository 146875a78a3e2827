"""Training runner: Keras fit with progress/cancel/NaN/early stopping, sklearn baselines, config checks."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from core.errors import TrainingError
from core.training.runner import (
    FitResult,
    Progress,
    TrainConfig,
    balanced_class_weight,
    fit_keras,
    validate,
)
from core.training.sklearn_fit import fit_sklearn

N_TRAIN, N_VAL, FEATURES, CLASSES = 96, 32, 4, 3


@pytest.fixture(scope="module")
def data():
    """Three separable blobs: enough signal to learn, small enough to train in a blink."""
    rng = np.random.default_rng(0)
    centres = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype="float32")
    y = rng.integers(0, CLASSES, N_TRAIN + N_VAL)
    x = (centres[y] + rng.normal(0, 0.5, (len(y), FEATURES))).astype("float32")
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]


def tiny_model(scale_logits: float | None = None):
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(FEATURES,), name="features")
    hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
    logits = layers.Dense(CLASSES, name="logits")(hidden)
    if scale_logits is not None:
        logits = layers.Rescaling(scale_logits, name="scale")(logits)
    outputs = layers.Activation("softmax", name="probabilities")(logits)
    return keras.Model(inputs=inputs, outputs=outputs, name="tiny")


def test_two_epochs_give_two_history_points_and_progress_in_order(data):
    x, y, x_val, y_val = data
    reports: list[Progress] = []
    model = tiny_model()
    result = fit_keras(model, x, y, x_val, y_val, TrainConfig(epochs=2, batch_size=16, learning_rate=0.01),
                       on_progress=reports.append)
    assert isinstance(result, FitResult)
    assert result.stopped_reason == "completed" and result.epochs_run == 2
    assert {key: len(values) for key, values in result.history.items()} == {
        "loss": 2, "accuracy": 2, "val_loss": 2, "val_accuracy": 2}
    assert reports[0].phase == "preparing"
    epochs_seen = [report.epoch for report in reports[1:]]
    assert epochs_seen == sorted(epochs_seen) and epochs_seen[-1] == 2
    epoch_ends = [report for report in reports if report.batch == report.batches and report.history]
    assert [report.epoch for report in epoch_ends] == [1, 2]
    assert [len(report.history["val_loss"]) for report in epoch_ends] == [1, 2]
    assert epoch_ends[-1].eta_s == 0.0 and epoch_ends[0].batches == math.ceil(N_TRAIN / 16)
    assert result.samples_per_second > 0 and result.seconds > 0
    # Same numbers Keras recorded, and the last val_loss is the cross-entropy NumPy computes.
    np.testing.assert_allclose(result.history["loss"], model.history.history["loss"], rtol=1e-6)
    probabilities = model.predict(x_val, verbose=0)
    numpy_loss = -np.mean(np.log(probabilities[np.arange(N_VAL), y_val]))
    assert result.history["val_loss"][-1] == pytest.approx(numpy_loss, rel=1e-4)
    assert result.best_epoch == int(np.argmin(result.history["val_loss"])) + 1


def test_cancel_from_progress_after_epoch_one_stops_with_cancelled(data):
    x, y, x_val, y_val = data
    cancel = threading.Event()

    def on_progress(progress: Progress):
        if len(progress.history.get("loss", [])) >= 1:
            cancel.set()

    result = fit_keras(tiny_model(), x, y, x_val, y_val, TrainConfig(epochs=5, batch_size=16),
                       on_progress=on_progress, cancel_event=cancel)
    assert result.stopped_reason == "cancelled"
    assert result.epochs_run == 1 and len(result.history["val_accuracy"]) == 1


def test_cancel_set_before_start_trains_nothing(data):
    x, y, x_val, y_val = data
    cancel = threading.Event()
    cancel.set()
    result = fit_keras(tiny_model(), x, y, x_val, y_val, TrainConfig(epochs=3), cancel_event=cancel)
    assert (result.stopped_reason, result.epochs_run, result.history) == ("cancelled", 0, {})


def test_huge_inputs_diverge_to_nan(data):
    x, y, x_val, y_val = data
    config = TrainConfig(epochs=3, batch_size=16, learning_rate=1.0)
    result = fit_keras(tiny_model(), x * 1e30, y, x_val * 1e30, y_val, config)
    assert result.stopped_reason == "diverged"
    assert result.epochs_run == 1 and math.isnan(result.history["loss"][0])
    error = result.diverged_error(config.learning_rate)
    assert isinstance(error, TrainingError)
    with pytest.raises(TrainingError, match="NaN at epoch 1; lower the learning rate \\(now 1.0\\)"):
        raise error


def test_early_stopping_stops_when_validation_loss_never_improves(data):
    x, y, x_val, y_val = data
    # Logits times zero: every output is uniform, gradients are zero, the loss is ln(3) for ever.
    result = fit_keras(tiny_model(scale_logits=0.0), x, y, x_val, y_val,
                       TrainConfig(epochs=10, batch_size=32, early_stopping=True, patience=2))
    assert result.stopped_reason == "early_stopped"
    assert result.epochs_run == 3  # best at epoch 1, then two epochs without improvement
    assert result.best_epoch == 1
    np.testing.assert_allclose(result.history["val_loss"], [math.log(3)] * 3, rtol=1e-6)


def test_without_validation_only_training_curves(data):
    x, y, _, _ = data
    result = fit_keras(tiny_model(), x, y, None, None, TrainConfig(epochs=1, validation=False))
    assert set(result.history) == {"loss", "accuracy"} and result.best_epoch == 1


def test_balanced_class_weights_match_scikit_learn():
    from sklearn.utils.class_weight import compute_class_weight

    y = np.array([0, 0, 0, 1, 2, 2])
    weights = balanced_class_weight(y)
    assert weights == pytest.approx({0: 6 / 9, 1: 6 / 3, 2: 6 / 6})
    expected = compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=y)
    assert [weights[c] for c in (0, 1, 2)] == pytest.approx(list(expected))


def test_balanced_class_weights_change_the_loss(data):
    x, y, x_val, y_val = data
    skewed = y.copy()
    skewed[:60] = 0  # class 0 dominates
    plain = fit_keras(tiny_model(), x, skewed, x_val, y_val, TrainConfig(epochs=1, batch_size=32))
    weighted = fit_keras(tiny_model(), x, skewed, x_val, y_val,
                         TrainConfig(epochs=1, batch_size=32, class_weight="balanced"))
    assert weighted.stopped_reason == "completed"
    assert weighted.history["loss"][0] != pytest.approx(plain.history["loss"][0], rel=1e-3)


def test_fit_keras_runs_as_a_background_job(data):
    from core.training.jobs import JobQueue

    x, y, x_val, y_val = data
    queue = JobQueue()

    def job(ctx):
        return fit_keras(tiny_model(), x, y, x_val, y_val, TrainConfig(epochs=1, batch_size=32),
                         on_progress=ctx.report, cancel_event=ctx.cancelled)

    state = queue.wait(queue.submit(job, title="tiny"), 60)
    queue.executor.shutdown()
    assert state.state == "completed", state.error
    assert isinstance(state.progress, Progress) and state.progress.epoch == 1
    assert state.result.epochs_run == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 0}, "Epochs must be a whole number from 1 to 500"),
        ({"epochs": 501}, "got 501"),
        ({"epochs": 2.5}, "Epochs"),
        ({"batch_size": 0}, "Batch size must be"),
        ({"batch_size": 5000}, "from 1 to 4096"),
        ({"learning_rate": 0.0}, "above 0 and at most 1"),
        ({"learning_rate": 2.0}, "0.001 is a safe start"),
        ({"learning_rate": float("nan")}, "learning rate"),
        ({"patience": 0}, "patience"),
        ({"seed": -1}, "seed must be"),
        ({"class_weight": "heavy"}, "Class weights must be"),
        ({"class_weight": {0: -1.0}}, "Class weights"),
    ],
)
def test_invalid_settings_name_the_fix(changes, message):
    config = TrainConfig(**changes)
    with pytest.raises(TrainingError, match=message):
        validate(config)
    with pytest.raises(TrainingError, match=message):
        config.validate()


def test_valid_settings_pass_and_keyword_only():
    config = TrainConfig(epochs=500, batch_size=4096, learning_rate=1.0, class_weight={0: 1.0, 1: 2.0})
    assert config.validate() is config
    with pytest.raises(TypeError):
        TrainConfig(10)  # type: ignore[misc]


def test_mismatched_lengths_are_refused(data):
    x, y, x_val, y_val = data
    with pytest.raises(TrainingError, match="96 inputs but 95 labels"):
        fit_keras(tiny_model(), x, y[:-1], x_val, y_val, TrainConfig(epochs=1))
    with pytest.raises(TrainingError, match="no training examples"):
        fit_sklearn(object(), x[:0], y[:0])


def test_progress_fraction():
    assert Progress("training", epoch=2, epochs=4, batch=5, batches=10).fraction == pytest.approx(0.375)
    assert Progress("preparing").fraction == 0.0
    done = Progress("training", epoch=4, epochs=4, batch=10, batches=10).with_phase("done")
    assert done.fraction == 1.0 and done.phase == "done" and done.eta_s == 0.0


def test_fit_sklearn_tracks_one_epoch_like_keras(data):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, log_loss

    x, y, x_val, y_val = data
    images, images_val = x.reshape(-1, 2, 2, 1), x_val.reshape(-1, 2, 2, 1)  # flattened by the runner
    reports: list[Progress] = []
    estimator = LogisticRegression(random_state=0, max_iter=200)
    result = fit_sklearn(estimator, images, y, images_val, y_val, on_progress=reports.append)
    assert result.stopped_reason == "completed" and result.epochs_run == 1 and result.best_epoch == 1
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert result.history["val_accuracy"] == [pytest.approx(accuracy_score(y_val, estimator.predict(x_val)))]
    assert result.history["loss"] == [pytest.approx(log_loss(y, estimator.predict_proba(x)), rel=1e-6)]
    assert result.history["val_loss"] == [pytest.approx(log_loss(y_val, estimator.predict_proba(x_val)), rel=1e-6)]
    assert [report.phase for report in reports] == ["preparing", "training", "training"]
    assert reports[-1].history == result.history and reports[-1].fraction == 1.0
    assert result.samples_per_second > 0


def test_fit_sklearn_regressor_uses_mean_squared_error(data):
    from sklearn.linear_model import LinearRegression

    x, _, x_val, _ = data
    target = x[:, 0] * 2.0 + 1.0 + np.linspace(-0.1, 0.1, len(x))
    result = fit_sklearn(LinearRegression(), x, target, x_val, x_val[:, 0] * 2.0 + 1.0)
    residual = LinearRegression().fit(x, target).predict(x) - target
    assert result.history["loss"] == [pytest.approx(float(np.mean(residual ** 2)), rel=1e-6)]
    assert "accuracy" not in result.history and "val_loss" in result.history


def test_batch_progress_is_throttled_and_has_an_eta(data, monkeypatch):
    from core.training import runner

    x, y, x_val, y_val = data
    config = TrainConfig(epochs=2, batch_size=8)
    batches = math.ceil(N_TRAIN / 8)

    monkeypatch.setattr(runner, "PROGRESS_INTERVAL_S", 1e12)  # throttled away: epoch ends only
    quiet: list[Progress] = []
    fit_keras(tiny_model(), x, y, x_val, y_val, config, on_progress=quiet.append)
    assert [(p.phase, p.epoch, p.batch) for p in quiet] == [("preparing", 0, 0), ("training", 1, batches),
                                                             ("training", 2, batches)]

    monkeypatch.setattr(runner, "PROGRESS_INTERVAL_S", 0.0)  # every batch reports
    every: list[Progress] = []
    fit_keras(tiny_model(), x, y, x_val, y_val, config, on_progress=every.append)
    first_epoch = [p for p in every if p.epoch == 1 and p.batch < batches]
    assert [p.batch for p in first_epoch] == list(range(batches))
    assert all(p.eta_s is None for p in first_epoch[:2])  # first batch is graph tracing: no estimate yet
    assert all(p.eta_s > 0 and p.samples_per_second > 0 for p in first_epoch[2:])
    second_epoch = [p for p in every if p.epoch == 2 and p.batch < batches]
    assert all(p.eta_s is not None and len(p.history["loss"]) == 1 for p in second_epoch)


def test_class_weights_go_to_every_step_that_takes_them():
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from core.training.sklearn_fit import set_class_weight

    pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    assert set_class_weight(pipe, "balanced") and pipe.named_steps["model"].class_weight == "balanced"
    plain = LogisticRegression()
    assert set_class_weight(plain, {np.int64(0): 1, 1: np.float32(3.0)})
    assert plain.class_weight == {0: 1.0, 1: 3.0} and all(type(k) is int for k in plain.class_weight)
    assert not set_class_weight(KNeighborsClassifier(), "balanced")  # takes none: left as it is
    assert not set_class_weight(pipe, None)
