"""Serve predictions fast and measure it honestly: a traced tf.function, p50/p95 latency, throughput.

model.predict costs ~55 ms for one sample (it builds a tf.data pipeline per call); a traced
tf.function with a fixed input signature answers one sample in about a millisecond on a CPU.
TensorFlow is imported lazily so scikit-learn-only callers never pay for it.
"""

from __future__ import annotations

import time
import weakref
from typing import Any, Callable

import numpy as np

from core.models.io import is_keras_model

_SERVING_CACHE: "weakref.WeakKeyDictionary[Any, Callable]" = weakref.WeakKeyDictionary()


def _is_keras(model: Any) -> bool:
    return is_keras_model(model)


def make_serving_function(model: Any) -> Callable:
    """A traced tf.function taking float32 (None, *input_shape) and returning float32 probabilities."""
    return _make_serving_function(model, weak=False)


def _make_serving_function(model: Any, *, weak: bool) -> Callable:
    """weak=True holds the model by weak reference (for the cache, whose values must not keep keys alive)."""
    import tensorflow as tf

    if not _is_keras(model):
        raise ValueError(f"make_serving_function needs a keras.Model, got {type(model).__name__}; "
                         "use model.predict_proba for scikit-learn models.")
    input_shape = tuple(model.inputs[0].shape[1:])
    signature = [tf.TensorSpec(shape=(None, *input_shape), dtype=tf.float32, name="image")]

    reference = weakref.ref(model) if weak else (lambda: model)

    # The fixed signature means one trace; the traced graph keeps the weights it captured.
    @tf.function(input_signature=signature, reduce_retracing=True)
    def serve(images):
        return tf.cast(reference()(images, training=False), tf.float32)

    serve.get_concrete_function()  # trace now, so the first real request is not the slow one
    return serve


def serving_function(model: Any) -> Callable:
    """The cached serving function of a Keras model (built once per model object)."""
    try:
        return _SERVING_CACHE[model]
    except (KeyError, TypeError):
        pass
    serve = _make_serving_function(model, weak=True)
    try:
        _SERVING_CACHE[model] = serve
    except TypeError:  # not weak-referenceable: just do not cache
        pass
    return serve


def _to_numpy(result: Any) -> np.ndarray:
    return result.numpy() if hasattr(result, "numpy") else np.asarray(result)


def _as_batch(predict_fn: Callable, sample: np.ndarray) -> np.ndarray:
    """One example as a batch of one; a sample that already has a leading axis of 1 is kept."""
    sample = np.asarray(sample, dtype=np.float32)
    signature = getattr(predict_fn, "input_signature", None)
    if signature:
        rank = len(signature[0].shape)
        return sample if sample.ndim == rank else sample[np.newaxis]
    return sample if sample.ndim >= 2 and sample.shape[0] == 1 else sample[np.newaxis]


def measure_latency(predict_fn: Callable, sample, *, warmup: int = 20, repeats: int = 200) -> dict[str, float]:
    """p50/p95 wall time in ms of single-sample predictions, result materialised as NumPy each call."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}; use e.g. 200.")
    batch = _as_batch(predict_fn, sample)
    for _ in range(max(0, int(warmup))):
        _to_numpy(predict_fn(batch))
    timings = np.empty(int(repeats), dtype=np.float64)
    clock = time.perf_counter
    for index in range(int(repeats)):
        start = clock()
        _to_numpy(predict_fn(batch))
        timings[index] = clock() - start
    timings_ms = timings * 1000.0
    return {
        "p50_ms": float(np.percentile(timings_ms, 50)),
        "p95_ms": float(np.percentile(timings_ms, 95)),
        "mean_ms": float(timings_ms.mean()),
        "repeats": int(repeats),
    }


def batch_throughput(predict_fn: Callable, x, *, batch_size: int = 256, repeats: int = 3) -> float:
    """Samples per second predicting x in batches (median over `repeats` full passes, after a warm-up batch)."""
    x = np.asarray(x, dtype=np.float32)
    if len(x) == 0:
        raise ValueError("x is empty; pass at least one sample to measure throughput.")
    if batch_size < 1 or repeats < 1:
        raise ValueError("batch_size and repeats must be at least 1; use e.g. batch_size=256, repeats=3.")
    _to_numpy(predict_fn(x[:batch_size]))
    rates = []
    for _ in range(int(repeats)):
        start = time.perf_counter()
        for begin in range(0, len(x), batch_size):
            _to_numpy(predict_fn(x[begin:begin + batch_size]))
        elapsed = max(time.perf_counter() - start, 1e-9)
        rates.append(len(x) / elapsed)
    return float(np.median(rates))


def predict_proba(model: Any, x, *, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (n, k) for a Keras model (via its serving function) or a scikit-learn model."""
    x = np.asarray(x)
    if _is_keras(model):
        serve = serving_function(model)
        x = x.astype(np.float32, copy=False)
        if len(x) == 0:
            return np.zeros((0, int(model.outputs[0].shape[-1])), dtype=np.float32)
        parts = [_to_numpy(serve(x[begin:begin + batch_size])) for begin in range(0, len(x), batch_size)]
        return np.concatenate(parts, axis=0)
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(x))
    raise ValueError(f"{type(model).__name__} has no predict_proba; pass a keras.Model or a scikit-learn classifier.")
