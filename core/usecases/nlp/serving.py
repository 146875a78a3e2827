"""Raw strings through a compiled path: a traced tf.function taking a batch of strings, latency and throughput.

core.evaluation.serving handles float images; texts need a tf.string signature. The function is
traced once per model (weakly cached) and answers one review in a few milliseconds on a CPU. Each model
kind has one text path (KerasTexts, SklearnTexts: predict, time one text, read its tokeniser), picked by kind.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Sequence

import numpy as np

from core.evaluation.serving import measure_latency

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


class KerasTexts:
    """A Keras text model: raw strings as a tf.string tensor through its traced serving function."""

    measures_throughput = True

    def predict_proba(self, model: Any, texts: list[str], batch_size: int) -> np.ndarray:
        serve = text_serving_function(model)
        if not texts:
            return np.zeros((0, int(model.outputs[0].shape[-1])), dtype=np.float32)
        parts = [serve(_as_strings(texts[i:i + batch_size])).numpy() for i in range(0, len(texts), batch_size)]
        return np.concatenate(parts, axis=0)

    def one_text(self, model: Any, text: str) -> Callable[[Any], Any]:
        """A predict function for one review, its tensor built once (what latency times)."""
        serve, batch = text_serving_function(model), _as_strings([text])
        return lambda _: serve(batch)

    def settings(self, model: Any) -> dict[str, Any]:
        """How its TextVectorization layer tokenises: {"split": ..., "sequence_length": int|None}."""
        from core.usecases.nlp.models import vectorizer_of

        layer = vectorizer_of(model)
        if layer is None:
            return {"split": "whitespace", "sequence_length": None}
        config = layer.get_config()
        split = config.get("split") if config.get("split") in ("whitespace", "character") else "whitespace"
        return {"split": split, "sequence_length": config.get("output_sequence_length")}

    def vocabulary(self, model: Any) -> frozenset:
        """The single tokens its vectorizer knows (padding and out-of-vocabulary entries left out)."""
        from core.usecases.nlp.models import vectorizer_of

        layer = vectorizer_of(model)
        return frozenset(str(v) for v in layer.get_vocabulary()[2:]) if layer is not None else frozenset()


class SklearnTexts:
    """A scikit-learn text pipeline (TF-IDF + model): raw strings as an object array through predict_proba."""

    measures_throughput = False  # its batch path is the same predict_proba latency times

    def predict_proba(self, model: Any, texts: list[str], batch_size: int) -> np.ndarray:
        return np.asarray(model.predict_proba(np.array(texts, dtype=object)), dtype=np.float64)

    def one_text(self, model: Any, text: str) -> Callable[[Any], Any]:
        batch = np.array([text], dtype=object)
        return lambda _: model.predict_proba(batch)

    def settings(self, model: Any) -> dict[str, Any]:
        """Word or character n-grams, by its TF-IDF analyzer; no length limit."""
        tfidf = model.named_steps.get("tfidf") if hasattr(model, "named_steps") else None
        analyzer = getattr(tfidf, "analyzer", "word")
        return {"split": "character" if str(analyzer).startswith("char") else "whitespace", "sequence_length": None}

    def vocabulary(self, model: Any) -> frozenset:
        """The single terms its TF-IDF step learned (n-grams of several words left out)."""
        return frozenset(term for term in model.named_steps["tfidf"].vocabulary_ if " " not in term)


class LLMTexts:
    """A large language model asked about each text (core.llm.classifier): one-hot answers, an invalid answer a
    row of zeros. What it costs per call (a test sample, latency from the scoring, no validation) is its
    backend's to say (core.training.llm_fit)."""

    measures_throughput = False
    explains = False  # occlusion would ask it once more per word; it has no vocabulary of its own to check

    def predict_proba(self, model: Any, texts: list[str], batch_size: int) -> np.ndarray:
        return model.predict_proba(texts)

    def one_text(self, model: Any, text: str) -> Callable[[Any], Any]:
        raise ValueError("An LLM's latency comes from its scoring (core.training.llm_fit); it is not timed again.")

    def settings(self, model: Any) -> dict[str, Any]:
        return {"split": "whitespace", "sequence_length": None}

    def vocabulary(self, model: Any) -> frozenset:
        return frozenset()


# by the model's kind ("llm_embed": an LLM's embeddings + a trained head, asked like an LLM: each text costs a call)
TEXT_PATHS = {"keras": KerasTexts(), "sklearn": SklearnTexts(), "llm": LLMTexts(), "llm_embed": LLMTexts()}


def predict_text_proba(model: Any, texts: Sequence[str], *, kind: str = "keras", batch_size: int = 256) -> np.ndarray:
    """Class probabilities (n, k) for raw texts from a Keras text model or a scikit-learn pipeline."""
    return TEXT_PATHS[kind].predict_proba(model, [str(text) for text in texts], batch_size)


def text_latency(model: Any, text: str, *, kind: str = "keras", warmup: int = 10, repeats: int = 100) -> dict[str, float]:
    """p50/p95 ms of one raw string through the compiled serving path (sklearn: predict_proba)."""
    return measure_latency(TEXT_PATHS[kind].one_text(model, text), np.zeros((1, 1), dtype=np.float32),
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
