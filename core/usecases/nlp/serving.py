"""Raw strings through a compiled path: a traced tf.function taking a batch of strings, latency and throughput.

core.evaluation.serving handles float images; texts need a tf.string signature. The function is
traced once per model (weakly cached) and answers one review in a few milliseconds on a CPU.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Sequence

import numpy as np

_CACHE: "weakref.WeakKeyDictionary[Any, Callable]" = weakref.WeakKeyDictionary()


def text_serving_function(model: Any) -> Callable:
    """The cached traced function strings (None,) -> float32 probabilities of a Keras text model."""
    try:
        return _CACHE[model]
    except (KeyError, TypeError):
        pass
    import tensorflow as tf

    reference = weakref.ref(model)

    @tf.function(input_signature=[tf.TensorSpec(shape=(None,), dtype=tf.string, name="text")], reduce_retracing=True)
    def serve(texts):
        return tf.cast(reference()(texts, training=False), tf.float32)

    serve.get_concrete_function()
    try:
        _CACHE[model] = serve
    except TypeError:
        pass
    return serve


def _as_strings(texts: Sequence[str]) -> Any:
    import tensorflow as tf

    return tf.constant([str(text) for text in texts], dtype=tf.string)


def predict_text_proba(model: Any, texts: Sequence[str], *, kind: str = "keras", batch_size: int = 256) -> np.ndarray:
    """Class probabilities (n, k) for raw texts from a Keras text model or a scikit-learn pipeline."""
    texts = [str(text) for text in texts]
    if kind != "keras":
        return np.asarray(model.predict_proba(np.array(texts, dtype=object)), dtype=np.float64)
    serve = text_serving_function(model)
    if not texts:
        return np.zeros((0, int(model.outputs[0].shape[-1])), dtype=np.float32)
    parts = [serve(_as_strings(texts[i:i + batch_size])).numpy() for i in range(0, len(texts), batch_size)]
    return np.concatenate(parts, axis=0)


def text_latency(model: Any, text: str, *, kind: str = "keras", warmup: int = 10, repeats: int = 100) -> dict[str, float]:
    """p50/p95 ms of one raw string through the compiled serving path (sklearn: predict_proba)."""
    from core.evaluation.serving import measure_latency

    if kind == "keras":
        serve = text_serving_function(model)
        batch = _as_strings([text])
        return measure_latency(lambda _: serve(batch), np.zeros((1, 1), dtype=np.float32),
                               warmup=warmup, repeats=repeats)
    batch = np.array([text], dtype=object)
    return measure_latency(lambda _: model.predict_proba(batch), np.zeros((1, 1), dtype=np.float32),
                           warmup=warmup, repeats=repeats)


def text_throughput(model: Any, texts: Sequence[str], *, batch_size: int = 256) -> float:
    """Texts per second predicted in batches through the serving function (one warm-up batch first)."""
    import time

    texts = list(texts)
    if not texts:
        raise ValueError("texts is empty; pass at least one text to measure throughput.")
    predict_text_proba(model, texts[:batch_size])
    started = time.perf_counter()
    predict_text_proba(model, texts, batch_size=batch_size)
    return len(texts) / max(time.perf_counter() - started, 1e-9)
