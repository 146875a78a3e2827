"""scikit-learn estimators fitted behind the runner's result type (one "epoch": loss and accuracy on train and
validation), so they are tracked, charted and compared the same way as Keras networks."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Mapping

import numpy as np

from core.training.runner import FitResult, Progress, check_lengths


def _as_features(x: Any) -> Any:
    """Images (n, h, w, c) become rows (n, h*w*c) for estimators; text and tables pass through."""
    array = np.asarray(x) if not isinstance(x, Mapping) else x
    if isinstance(array, np.ndarray) and array.ndim > 2 and array.dtype != object:
        return array.reshape(len(array), -1)
    return x


def _log_loss(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """Mean negative log-probability of the true class (classes unseen in training get ~1e-15)."""
    proba = np.clip(np.asarray(proba, dtype=np.float64), 1e-15, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    index = np.searchsorted(classes, y)
    index = np.clip(index, 0, len(classes) - 1)
    known = classes[index] == y
    picked = np.where(known, proba[np.arange(len(y)), index], 1e-15)
    return float(-np.mean(np.log(picked)))


def _sklearn_scores(estimator: Any, x: Any, y: np.ndarray) -> dict[str, float]:
    y = np.asarray(y)
    if hasattr(estimator, "predict_proba"):
        proba = np.asarray(estimator.predict_proba(x))
        classes = np.asarray(estimator.classes_)
        predicted = classes[np.argmax(proba, axis=1)]
        return {"loss": _log_loss(y, proba, classes), "accuracy": float(np.mean(predicted == y))}
    predicted = np.asarray(estimator.predict(x), dtype=np.float64)
    return {"loss": float(np.mean((predicted - y.astype(np.float64)) ** 2))}


def set_class_weight(estimator: Any, class_weight: str | Mapping[int, float] | None) -> bool:
    """Hand the run's class weights to an estimator (or a Pipeline's steps) that takes them; False when none does.

    "balanced" stays "balanced" (scikit-learn computes n / (k * count) itself); a mapping becomes {int: float}.
    """
    if class_weight is None or not hasattr(estimator, "get_params"):
        return False
    weight = class_weight if class_weight == "balanced" else {int(k): float(v) for k, v in dict(class_weight).items()}
    names = [name for name in estimator.get_params() if name == "class_weight" or name.endswith("__class_weight")]
    if names:
        estimator.set_params(**{name: weight for name in names})
    return bool(names)


def fit_sklearn(
    estimator: Any,
    x_train: Any,
    y_train: np.ndarray,
    x_val: Any = None,
    y_val: np.ndarray | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    cancel_event: threading.Event | None = None,
    class_weight: str | Mapping[int, float] | None = None,
) -> FitResult:
    """Fit a scikit-learn estimator as one "epoch" with log loss and accuracy on train and validation.

    Image arrays are flattened to rows. Regressors (no predict_proba) get mean squared error as loss.
    class_weight ("balanced" or {class: weight}) goes to every step that takes one (see set_class_weight).
    """
    started = time.perf_counter()
    set_class_weight(estimator, class_weight)
    n_train = check_lengths(x_train, y_train, "train")
    has_val = x_val is not None and y_val is not None and len(y_val) > 0
    if has_val:
        check_lengths(x_val, y_val, "val")
    if on_progress is not None:
        on_progress(Progress(phase="preparing", epochs=1, batches=1))
    if cancel_event is not None and cancel_event.is_set():
        return FitResult({}, 0, "cancelled", time.perf_counter() - started, 0.0, None)
    x_fit = _as_features(x_train)
    if on_progress is not None:
        on_progress(Progress(phase="training", epoch=1, epochs=1, batch=0, batches=1,
                             elapsed_s=time.perf_counter() - started))
    fit_started = time.perf_counter()
    estimator.fit(x_fit, y_train)
    fit_seconds = max(time.perf_counter() - fit_started, 1e-9)
    scores = _sklearn_scores(estimator, x_fit, y_train)
    history = {key: [value] for key, value in scores.items()}
    if has_val:
        for key, value in _sklearn_scores(estimator, _as_features(x_val), y_val).items():
            history[f"val_{key}"] = [value]
    throughput = n_train / fit_seconds
    seconds = time.perf_counter() - started
    if on_progress is not None:
        on_progress(Progress(phase="training", epoch=1, epochs=1, batch=1, batches=1, elapsed_s=seconds,
                             eta_s=0.0, history={key: list(values) for key, values in history.items()},
                             samples_per_second=throughput))
    return FitResult(history=history, epochs_run=1, stopped_reason="completed", seconds=seconds,
                     samples_per_second=float(throughput), best_epoch=1)
