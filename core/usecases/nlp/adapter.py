"""The NLP task adapter: builds text models on the training split's vocabulary, fits on raw strings,
evaluates with the most confident mistakes (texts included) and times one raw string through the
compiled serving path."""

from __future__ import annotations

import time
from typing import Any

from core.data.dataset import Dataset
from core.errors import ModelLoadError
from core.evaluation.metrics import classification_evaluation, split_predictions
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

    def evaluate(self, model: Any, kind: str, dataset: Dataset, *, latency: bool = True) -> dict[str, Any]:
        started = time.perf_counter()
        probabilities = predict_text_proba(model, list(dataset.x_test), kind=kind)
        evaluation: dict[str, Any] = classification_evaluation(dataset.y_test, probabilities,
                                                               list(dataset.class_names), mistakes=20)
        for mistake in evaluation["misclassified"]:  # the review itself, so the page can show what was misread
            mistake["text"] = str(dataset.x_test[mistake["index"]])[:MISTAKE_TEXT_CHARS]
        evaluation.update(predict_seconds=time.perf_counter() - started, dataset_fingerprint=dataset.fingerprint,
                          language=dataset.extra.get("language", "en"))
        if len(dataset.x_val):
            evaluation["validation"] = split_predictions(
                dataset.y_val, predict_text_proba(model, list(dataset.x_val), kind=kind))
        if latency and len(dataset.x_test):
            evaluation.update(text_latency(model, str(dataset.x_test[0]), kind=kind))
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
