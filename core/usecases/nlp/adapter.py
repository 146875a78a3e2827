"""The NLP task adapter: builds text models on the training split's vocabulary, fits on raw strings,
evaluates with the most confident mistakes (texts included) and times one raw string through the
compiled serving path."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

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
        """Test metrics with the most confident mistakes (texts included), validation predictions and one raw
        text's latency; the model's text path may score a sample of the test rows (stored as test_rows) and add
        what it measured (an LLM: tokens, cost, invalid answers)."""
        path = TEXT_PATHS[kind]
        started = time.perf_counter()
        rows = path.test_rows(model, dataset.y_test) if hasattr(path, "test_rows") else None
        texts = [str(text) for text in (dataset.x_test if rows is None else np.asarray(dataset.x_test)[rows])]
        truth = np.asarray(dataset.y_test) if rows is None else np.asarray(dataset.y_test)[rows]
        probabilities = predict_text_proba(model, texts, kind=kind)
        evaluation: dict[str, Any] = classification_evaluation(truth, probabilities, list(dataset.class_names),
                                                               mistakes=20)
        for mistake in evaluation["misclassified"]:  # the review itself, so the page can show what was misread
            mistake["text"] = texts[mistake["index"]][:MISTAKE_TEXT_CHARS]
        evaluation.update(predict_seconds=time.perf_counter() - started, dataset_fingerprint=dataset.fingerprint,
                          language=dataset.extra.get("language", "en"))
        if rows is not None:  # every comparison with this run uses these rows
            evaluation["test_rows"] = [int(row) for row in rows]
        if len(dataset.x_val) and getattr(path, "scores_validation", True):
            evaluation["validation"] = split_predictions(
                dataset.y_val, predict_text_proba(model, list(dataset.x_val), kind=kind))
        if latency and texts:
            evaluation.update(path.latency(model, texts[0]) if hasattr(path, "latency")
                              else text_latency(model, texts[0], kind=kind))
        if hasattr(path, "extra"):
            evaluation.update(path.extra(model, texts))
        return evaluation

    def metrics(self, evaluation: dict[str, Any]) -> dict[str, float]:
        """The classification metrics, and for an LLM its invalid answers, tokens and cost per item."""
        metrics = super().metrics(evaluation)
        llm = evaluation.get("llm")
        if llm:
            metrics.update(test_invalid_rate=float(llm["invalid_rate"]), test_invalid_answers=float(llm["invalid_answers"]),
                           test_items=float(llm["items"]), llm_cost_per_1000=float(llm["cost_per_1000"]),
                           llm_spent=float(llm["spent"]), llm_tokens_in_per_item=float(llm["tokens_in_per_item"]),
                           llm_tokens_out_per_item=float(llm["tokens_out_per_item"]),
                           llm_cached_answers=float(llm["cached_answers"]))
        return metrics

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
