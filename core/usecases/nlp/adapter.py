"""The NLP task adapter: builds text models on the training split's vocabulary, fits on raw strings,
evaluates with the most confident mistakes (texts included) and times one raw string through the
compiled serving path."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.data.dataset import Dataset
from core.errors import ModelLoadError
from core.training.adapters import ClassificationAdapter
from core.usecases.nlp.serving import TEXT_PATHS, predict_text_proba, text_latency, text_throughput

MISTAKE_TEXT_CHARS = 600


def _tensor(texts: Any) -> Any:
    import tensorflow as tf

    return tf.constant([str(text) for text in texts], dtype=tf.string)


class TextClassificationAdapter(ClassificationAdapter):
    """Raw texts in, class probabilities out; the Keras model holds its own tokenisation."""

    def describe(self, dataset: Dataset) -> dict[str, Any]:
        extra = dataset.extra
        return {"num_classes": dataset.num_classes, "language": extra.get("language", "en"),
                "token_split": extra.get("split", "whitespace"),
                "sequence_length": int(extra.get("sequence_length", 128))}

    def builder_args(self, dataset: Dataset) -> dict[str, Any]:
        """Text models take the training texts (a network adapts its vocabulary on them), the language, how the
        language splits into tokens and the typical text length."""
        extra = dataset.extra
        return {"texts": dataset.x_train, "num_classes": dataset.num_classes, "language": extra.get("language", "en"),
                "split": extra.get("split", "whitespace"), "text_length": int(extra.get("sequence_length", 128))}

    def network_inputs(self, model: Any, x: Any) -> Any:
        """Raw strings as a tf.string tensor: the network tokenises inside its graph."""
        return _tensor(x)

    mistakes = 20

    def predict(self, model: Any, kind: str, x: Any) -> np.ndarray:
        """Class probabilities of raw texts through the model kind's text path."""
        return predict_text_proba(model, [str(text) for text in x], kind=kind)

    def time_one(self, model: Any, kind: str, x: Any) -> dict[str, float]:
        """p50/p95 ms of one raw text through the compiled serving path."""
        return text_latency(model, str(x[0]), kind=kind)

    def annotate_mistakes(self, mistakes: list[dict[str, Any]], x: Any) -> None:
        """The review itself, so the page can show what was misread."""
        for mistake in mistakes:
            mistake["text"] = str(x[mistake["index"]])[:MISTAKE_TEXT_CHARS]

    def evaluate(self, model: Any, kind: str, dataset: Dataset, *, latency: bool = True) -> dict[str, Any]:
        """The classification evaluation (the most confident mistakes with their texts), with the data's language."""
        evaluation = super().evaluate(model, kind, dataset, latency=latency)
        evaluation["language"] = dataset.extra.get("language", "en")
        return evaluation

    def throughput(self, model: Any, kind: str, dataset: Dataset) -> float | None:
        if not TEXT_PATHS[kind].measures_throughput or not len(dataset.x_test):
            return None
        return float(text_throughput(model, list(dataset.x_test)))

    def check_imported(self, model: Any, dataset: Dataset) -> None:
        inputs = getattr(model, "inputs", None) or []
        if len(inputs) != 1 or str(inputs[0].dtype) != "string":
            raise ModelLoadError("errors.nlp.model_not_text")
        outputs = int(model.output_shape[-1])
        if outputs != dataset.num_classes:
            raise ModelLoadError("errors.model.classes_mismatch", outputs=outputs, classes=dataset.num_classes)


ADAPTER = TextClassificationAdapter()
