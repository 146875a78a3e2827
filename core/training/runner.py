"""The training runner: fit settings and their checks, progress and result types, and Keras `fit` with progress,
ETA, cancel, NaN and early-stopping callbacks (scikit-learn estimators: core.training.sklearn_fit, same result type).

The callbacks are built to cost almost nothing: they never read the per-batch `logs` (touching
them would force a device sync), report batch progress at most every 0.25 s, and read metrics
only once per epoch. Keras/TensorFlow are imported lazily so importing this module stays cheap.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from core.errors import TrainingError

PHASES = ("downloading", "preparing", "training", "evaluating", "done")
PROGRESS_INTERVAL_S = 0.25

EPOCHS_RANGE = (1, 500)
BATCH_SIZE_RANGE = (1, 4096)
PATIENCE_RANGE = (1, 100)


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """How to fit a model: epochs, batch size, learning rate, early stopping, seed, class weights."""

    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 1e-3
    early_stopping: bool = False
    patience: int = 3
    seed: int = 0
    class_weight: str | Mapping[int, float] | None = None  # "balanced", {class: weight} or None
    validation: bool = True

    def validate(self) -> "TrainConfig":
        """Raise TrainingError naming the fix when a setting is out of range; return self."""
        return validate(self)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def validate(config: TrainConfig) -> TrainConfig:
    """Check a TrainConfig; each problem raises TrainingError with a message that says what to change."""
    low, high = EPOCHS_RANGE
    if not _is_int(config.epochs) or not low <= config.epochs <= high:
        raise TrainingError("errors.training.bad_epochs", value=config.epochs, low=low, high=high)
    low, high = BATCH_SIZE_RANGE
    if not _is_int(config.batch_size) or not low <= config.batch_size <= high:
        raise TrainingError("errors.training.bad_batch_size", value=config.batch_size, low=low, high=high)
    rate = config.learning_rate
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not (
        math.isfinite(rate) and 0.0 < rate <= 1.0
    ):
        raise TrainingError("errors.training.bad_learning_rate", value=rate)
    low, high = PATIENCE_RANGE
    if not _is_int(config.patience) or not low <= config.patience <= high:
        raise TrainingError("errors.training.bad_patience", value=config.patience, low=low, high=high)
    if not _is_int(config.seed) or config.seed < 0:
        raise TrainingError("errors.training.bad_seed", value=config.seed)
    weight = config.class_weight
    if weight is not None and weight != "balanced":
        if not isinstance(weight, Mapping) or not weight or not all(
            _is_int(k) and k >= 0 and isinstance(v, (int, float, np.number)) and math.isfinite(v) and v >= 0
            for k, v in weight.items()
        ):
            raise TrainingError("errors.training.bad_class_weight", value=str(weight)[:80])
    return config


@dataclass(frozen=True)
class Progress:
    """A snapshot of a training job for the UI: phase, epoch/batch position, ETA and curves so far.

    epoch is 1-based (the epoch running, or just finished); history holds one value per
    finished epoch for each metric (loss, accuracy, val_loss, val_accuracy), all lists equally long.
    """

    phase: str
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    elapsed_s: float = 0.0
    eta_s: float | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    samples_per_second: float | None = None

    @property
    def fraction(self) -> float:
        """Share of the training done, 0..1, for a progress bar."""
        if self.phase == "done":
            return 1.0
        if self.phase in ("downloading", "scoring"):  # bytes of pretrained weights; items an LLM has answered
            return float(min(1.0, self.batch / self.batches)) if self.batches else 0.0
        if self.epochs <= 0:
            return 0.0
        within = self.batch / self.batches if self.batches else 0.0
        return float(min(1.0, max(0.0, (max(self.epoch - 1, 0) + within) / self.epochs)))

    def with_phase(self, phase: str) -> "Progress":
        """The same snapshot in another phase (the pipeline reports "evaluating" and "done")."""
        return replace(self, phase=phase, eta_s=0.0 if phase == "done" else self.eta_s)


@dataclass(frozen=True)
class FitResult:
    """What a fit produced: per-epoch history, how and why it stopped, and measured speed."""

    history: dict[str, list[float]]
    epochs_run: int
    stopped_reason: str  # completed | cancelled | early_stopped | diverged
    seconds: float  # wall time of the whole fit, compile and validation included
    samples_per_second: float  # steady training speed: samples per second of the training loop, tracing left out
    best_epoch: int | None = None  # 1-based epoch with the lowest val_loss (loss without validation)

    def diverged_error(self, learning_rate: float) -> TrainingError:
        """The user-facing error for a diverged fit."""
        return TrainingError("errors.training.diverged", epoch=self.epochs_run, learning_rate=learning_rate)


def _best_epoch(history: Mapping[str, Sequence[float]]) -> int | None:
    values = history.get("val_loss") or history.get("loss") or []
    finite = [(value, index) for index, value in enumerate(values) if math.isfinite(value)]
    return min(finite)[1] + 1 if finite else None


def check_lengths(x: Any, y: Any, split: str) -> int:
    n = len(y)
    try:
        n_x = len(next(iter(x.values()))) if isinstance(x, Mapping) else len(x)
    except (TypeError, StopIteration):
        n_x = n
    if n_x != n:
        raise TrainingError("errors.training.length_mismatch", split=split, n_x=n_x, n_y=n)
    if split == "train" and n == 0:
        raise TrainingError("errors.training.no_data")
    return n


def balanced_class_weight(y: np.ndarray) -> dict[int, float]:
    """Weights n / (k * count) per present class, as scikit-learn's "balanced" computes them."""
    labels, counts = np.unique(np.asarray(y).astype(np.int64), return_counts=True)
    total = counts.sum()
    return {int(label): float(total / (len(labels) * count)) for label, count in zip(labels, counts)}


def _make_callbacks(keras, *, n_train, config, on_progress, cancel_event, started):
    """The progress and cancel callbacks (classes built lazily because they subclass keras's Callback)."""

    batches = max(1, math.ceil(n_train / config.batch_size))

    class ProgressCallback(keras.callbacks.Callback):
        """Throttled batch progress with ETA, full history at each epoch end; never reads batch logs.

        Timing leaves out the first batch of the first epoch (graph tracing, a one-off cost) when
        estimating ETA and samples per second, so the numbers describe the steady training speed.
        """

        def __init__(self):
            super().__init__()
            self.history: dict[str, list[float]] = {}
            self.train_samples = 0
            self.train_seconds = 0.0
            self._estimates: list[float] = []  # steady seconds per full epoch, validation included
            self._val_seconds: float | None = None
            self._steady_batch: float | None = None
            self._epoch = 0
            self._epoch_start = 0.0
            self._second_batch_start: float | None = None
            self._loop_end: float | None = None
            self._batches_started = 0
            self._last_report = 0.0

        def _emit(self, **fields):
            on_progress(Progress(phase="training", epochs=config.epochs, batches=batches,
                                 elapsed_s=time.perf_counter() - started,
                                 history={key: list(values) for key, values in self.history.items()},
                                 **fields))

        def _epoch_estimate(self, batch_time: float) -> float:
            recent = self._estimates[1:][-3:] or self._estimates[-1:]
            if recent:
                return sum(recent) / len(recent)
            return batches * batch_time + (self._val_seconds or 0.0)

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch = epoch
            self._epoch_start = time.perf_counter()
            self._second_batch_start = None
            self._loop_end = None
            self._batches_started = 0

        def on_train_batch_begin(self, batch, logs=None):
            # Batch begin, not end: no logs exist here, so nothing forces a device sync.
            self._batches_started = batch + 1
            now = time.perf_counter()
            if batch == 1:
                self._second_batch_start = now
            if on_progress is None or now - self._last_report < PROGRESS_INTERVAL_S:
                return
            self._last_report = now
            batch_time = speed = None
            if batch >= 2 and self._second_batch_start is not None:
                batch_time = (now - self._second_batch_start) / (batch - 1)
                speed = config.batch_size / batch_time if batch_time > 0 else None
            elif self._steady_batch is not None:
                batch_time = self._steady_batch
            eta = None
            if batch_time is not None:
                remaining_epochs = config.epochs - self._epoch - 1
                eta = ((batches - batch) * batch_time + (self._val_seconds or 0.0)
                       + remaining_epochs * self._epoch_estimate(batch_time))
            self._emit(epoch=self._epoch + 1, batch=batch, eta_s=eta, samples_per_second=speed)

        def on_test_begin(self, logs=None):
            if self._loop_end is None:  # validation starts: the training loop of this epoch is over
                self._loop_end = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            loop_end = self._loop_end if self._loop_end is not None else now
            done = self._batches_started
            samples = min(done * config.batch_size, n_train)
            loop_start = self._epoch_start
            if epoch == 0 and done >= 2 and self._second_batch_start is not None:
                samples -= min(config.batch_size, n_train)  # leave the traced first batch out
                loop_start = self._second_batch_start
            loop_seconds = max(loop_end - loop_start, 1e-9)
            self.train_samples += samples
            self.train_seconds += loop_seconds
            if samples > 0:
                self._steady_batch = loop_seconds * config.batch_size / samples
                self._val_seconds = now - loop_end
                if done == batches:
                    self._estimates.append(batches * self._steady_batch + self._val_seconds)
            for key, value in (logs or {}).items():
                try:
                    self.history.setdefault(key, []).append(float(value))
                except (TypeError, ValueError):
                    continue
            self._last_report = now
            if on_progress is not None:
                remaining_epochs = config.epochs - epoch - 1
                eta = remaining_epochs * self._epoch_estimate(self._steady_batch or 0.0)
                self._emit(epoch=epoch + 1, batch=batches, eta_s=eta,
                           samples_per_second=samples / loop_seconds if samples > 0 else None)

    class CancelCallback(keras.callbacks.Callback):
        """Stops training at the next batch (or epoch end) once the job's cancel event is set."""

        def __init__(self):
            super().__init__()
            self.cancelled = False

        def _check(self):
            if cancel_event is not None and cancel_event.is_set():
                self.cancelled = True
                self.model.stop_training = True

        def on_train_batch_begin(self, batch, logs=None):
            self._check()

        def on_epoch_end(self, epoch, logs=None):
            self._check()  # a cancel during an epoch-end report stops before the next epoch starts

    class FiniteWeightsCallback(keras.callbacks.Callback):
        """Stops when any weight is NaN/Inf at an epoch end.

        Keras clips predicted probabilities before the cross-entropy, so a network whose weights
        have blown up to NaN reports a finite loss of ln(num_classes) and TerminateOnNaN never
        fires; the weights tell the truth.
        """

        def __init__(self):
            super().__init__()
            self.diverged = False

        def on_epoch_end(self, epoch, logs=None):
            if not all(np.isfinite(keras.ops.convert_to_numpy(w)).all() for w in self.model.trainable_weights):
                self.diverged = True
                self.model.stop_training = True

    return ProgressCallback(), CancelCallback(), FiniteWeightsCallback()


def fit_keras(
    model: Any,
    x_train: Any,
    y_train: np.ndarray,
    x_val: Any = None,
    y_val: np.ndarray | None = None,
    config: TrainConfig | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    cancel_event: threading.Event | None = None,
    loss: Any = "sparse_categorical_crossentropy",
    metrics: Sequence[Any] = ("accuracy",),
) -> FitResult:
    """Compile and fit an uncompiled Keras model with progress, cancel, NaN and early-stopping callbacks.

    Call core.training.device.configure_device before building the model (dtype policy).
    Progress is reported to on_progress from the training thread; a set cancel_event stops
    at the next batch with stopped_reason "cancelled"; a NaN/Inf loss stops with "diverged".
    """
    import keras

    config = validate(config or TrainConfig())
    started = time.perf_counter()
    n_train = check_lengths(x_train, y_train, "train")
    use_validation = bool(config.validation and x_val is not None and y_val is not None and len(y_val) > 0)
    if use_validation:
        check_lengths(x_val, y_val, "val")
    if on_progress is not None:
        on_progress(Progress(phase="preparing", epochs=config.epochs,
                             batches=max(1, math.ceil(n_train / config.batch_size))))
    if cancel_event is not None and cancel_event.is_set():
        return FitResult({}, 0, "cancelled", time.perf_counter() - started, 0.0, None)

    keras.utils.set_random_seed(int(config.seed))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=float(config.learning_rate)),
        loss=loss,
        metrics=list(metrics),
    )
    progress, cancel, finite = _make_callbacks(keras, n_train=n_train, config=config, on_progress=on_progress,
                                               cancel_event=cancel_event, started=started)
    callbacks: list[Any] = [progress, cancel, keras.callbacks.TerminateOnNaN(), finite]
    early = None
    if config.early_stopping:
        early = keras.callbacks.EarlyStopping(monitor="val_loss" if use_validation else "loss",
                                              patience=int(config.patience), restore_best_weights=True)
        callbacks.append(early)

    class_weight = config.class_weight
    if class_weight == "balanced":
        class_weight = balanced_class_weight(y_train)
    elif class_weight is not None:
        class_weight = {int(k): float(v) for k, v in class_weight.items()}

    model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val) if use_validation else None,
        epochs=int(config.epochs),
        batch_size=int(config.batch_size),
        class_weight=class_weight,
        callbacks=callbacks,
        verbose=0,
    )
    seconds = time.perf_counter() - started
    history = progress.history
    epochs_run = len(history.get("loss", []))
    losses = history.get("loss", [])
    if finite.diverged or any(not math.isfinite(value) for value in losses):
        reason = "diverged"
    elif cancel.cancelled:
        reason = "cancelled"
    elif early is not None and early.stopped_epoch > 0:
        reason = "early_stopped"
    else:
        reason = "completed"
    throughput = progress.train_samples / progress.train_seconds if progress.train_seconds > 0 else 0.0
    return FitResult(history=history, epochs_run=epochs_run, stopped_reason=reason, seconds=seconds,
                     samples_per_second=float(throughput), best_epoch=_best_epoch(history))
