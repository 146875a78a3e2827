"""One fitter per model backend: what differs between a Keras network and a scikit-learn estimator.

A candidate's `kind` ("keras" | "sklearn") picks its fitter once (`fitter_for`); the pipeline and the task
adapters then ask the fitter (fit, seed, device scope, serving path, throughput) instead of testing the kind.
Keras and TensorFlow are imported only inside the Keras fitter's methods.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from typing import Any, Callable, ContextManager, Sequence

from core.training.runner import FitResult, TrainConfig


class KerasFitter:
    """Keras networks: compiled and fitted epoch by epoch on the chosen device, served through a traced tf.function."""

    kind = "keras"
    one_pass = False  # trains for the configured epochs
    uses_accelerator = True

    def run_config(self, config: TrainConfig) -> TrainConfig:
        """The fit settings this backend trains with (Keras: as asked)."""
        return config

    def build(self, adapter: Any, candidate: Any, dataset: Any, *, seed: int) -> Any:
        """A fresh, uncompiled network from the task adapter (its weights follow the seed set by `seed`)."""
        return adapter.build_keras(candidate, dataset)

    def seed(self, seed: int) -> None:
        """Seed the initial weights (Keras, NumPy and Python random) before the model is built."""
        import keras

        keras.utils.set_random_seed(seed)

    def scope(self, device: Any) -> ContextManager[Any]:
        """Place building and fitting on the run's device."""
        from core.training.epoch_log import device_scope

        return device_scope(device)

    def fit(self, model: Any, x_train: Any, y_train: Any, x_val: Any, y_val: Any, config: TrainConfig, *,
            on_progress: Callable[[Any], None] | None, cancel_event: threading.Event | None,
            loss: Any, metrics: Sequence[Any], fine_tune: Any = None) -> FitResult:
        """fit_keras, or the two-stage fine-tune (core.training.finetune) for a candidate with a plan."""
        if fine_tune is not None:
            from core.training.finetune import fit_two_stage

            return fit_two_stage(model, x_train, y_train, x_val, y_val, config, on_progress=on_progress,
                                 cancel_event=cancel_event, loss=loss, metrics=metrics, plan=fine_tune)
        from core.training.runner import fit_keras

        return fit_keras(model, x_train, y_train, x_val, y_val, config, on_progress=on_progress,
                         cancel_event=cancel_event, loss=loss, metrics=metrics)

    def fit_task(self, adapter: Any, model: Any, candidate: Any, dataset: Any, config: TrainConfig, *,
                 on_progress: Callable[[Any], None] | None, cancel_event: threading.Event | None) -> FitResult:
        """Fit on a task adapter's Keras inputs with its loss and metrics (two stages for a fine-tune plan)."""
        x_train, y_train, x_val, y_val = adapter.keras_data(model, dataset)
        return self.fit(model, x_train, y_train, x_val, y_val, config, on_progress=on_progress,
                        cancel_event=cancel_event, loss=adapter.loss, metrics=adapter.keras_metrics(),
                        fine_tune=getattr(candidate, "fine_tune", None))

    def serving(self, model: Any) -> Callable[[Any], Any]:
        """The single-sample predict path latency is measured on: a traced tf.function (not model.predict)."""
        from core.evaluation.serving import serving_function

        return serving_function(model)

    def row_latency(self, adapter: Any, model: Any, dataset: Any) -> dict[str, float]:
        """p50/p95 ms of one raw example through the task adapter's Keras serving path."""
        return adapter.keras_row_latency(model, dataset)

    def throughput(self, model: Any, x: Any) -> float | None:
        """Examples per second in batches through the serving function."""
        from core.evaluation.serving import batch_throughput

        return float(batch_throughput(self.serving(model), x))


class SklearnFitter:
    """scikit-learn estimators: one fit on the training split (one "epoch"), served by predict_proba."""

    kind = "sklearn"
    one_pass = True  # fitted once: the run's epochs are 1 whatever was asked
    uses_accelerator = False

    def run_config(self, config: TrainConfig) -> TrainConfig:
        return dataclasses.replace(config, epochs=1)

    def build(self, adapter: Any, candidate: Any, dataset: Any, *, seed: int) -> Any:
        """An unfitted estimator from the task adapter, with random_state=seed."""
        return adapter.build_sklearn(candidate, dataset, seed=seed)

    def seed(self, seed: int) -> None:
        """Nothing to seed globally: estimators take random_state when built."""

    def scope(self, device: Any) -> ContextManager[Any]:
        return contextlib.nullcontext()

    def fit(self, model: Any, x_train: Any, y_train: Any, x_val: Any, y_val: Any, config: TrainConfig, *,
            on_progress: Callable[[Any], None] | None, cancel_event: threading.Event | None,
            loss: Any = None, metrics: Sequence[Any] = (), fine_tune: Any = None) -> FitResult:
        """fit_sklearn with the run's class weights (loss and metrics are Keras settings: not used)."""
        from core.training.sklearn_fit import fit_sklearn

        return fit_sklearn(model, x_train, y_train, x_val, y_val, on_progress=on_progress,
                           cancel_event=cancel_event, class_weight=config.class_weight)

    def fit_task(self, adapter: Any, model: Any, candidate: Any, dataset: Any, config: TrainConfig, *,
                 on_progress: Callable[[Any], None] | None, cancel_event: threading.Event | None) -> FitResult:
        """Fit on the raw splits; the curves (reported and returned) as the task names them (sklearn_history)."""

        def report(progress: Any) -> None:
            history = adapter.sklearn_history(getattr(progress, "history", None) or {})
            on_progress(dataclasses.replace(progress, history=history) if history else progress)

        result = self.fit(model, dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val, config,
                          on_progress=report if on_progress is not None else None, cancel_event=cancel_event)
        return dataclasses.replace(result, history=adapter.sklearn_history(result.history))

    def serving(self, model: Any) -> Callable[[Any], Any]:
        return model.predict_proba

    def row_latency(self, adapter: Any, model: Any, dataset: Any) -> dict[str, float]:
        """p50/p95 ms of one raw example through the task adapter's scikit-learn path."""
        return adapter.sklearn_row_latency(model, dataset)

    def throughput(self, model: Any, x: Any) -> float | None:
        """Not measured for estimators (their batch path is the same predict_proba latency measures)."""
        return None


KERAS = KerasFitter()
SKLEARN = SklearnFitter()
FITTERS = {fitter.kind: fitter for fitter in (KERAS, SKLEARN)}


def fitter_for(kind: str) -> KerasFitter | SklearnFitter:
    """The fitter of a candidate's (or a logged run's) model kind; ValueError names the known kinds."""
    try:
        return FITTERS[kind]
    except KeyError:
        raise ValueError(f"Unknown model kind {kind!r}; use one of {', '.join(FITTERS)}.") from None
