"""Task adapters: what differs by task inside the pipeline, in no backend's terms.

The pipeline (core.training.pipeline) owns what every run shares: data loading, device, tracking, timing, memory,
saving the model, cancel and divergence handling. A backend's fitter (core.training.fitters) owns how a Keras
network or a scikit-learn estimator is built and fitted. An adapter owns what differs by task: the inputs it hands
every fitter (`inputs`: data, loss, metrics, label set, what builders take), how its curves are named, and its
evaluation. Each use-case package names its adapter in `UseCase.adapter` ("module:ATTRIBUTE", e.g.
core.usecases.vision.adapter:ADAPTER): image classification uses ClassificationAdapter as it is; tables, texts or
user-item pairs subclass it and override a hook or two.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from core.data.dataset import Dataset
from core.errors import ModelLoadError
from core.evaluation.metrics import classification_evaluation, split_predictions
from core.evaluation.serving import measure_latency, predict_proba
from core.training.fitters import TaskInputs, fitter_for

if TYPE_CHECKING:
    from core.contract.usecase import Candidate


class ClassificationAdapter:
    """Image/array classification: builders take (input_shape, num_classes); sparse cross-entropy, accuracy."""

    #: What training minimises and what each epoch reports beside it (TaskInputs.loss / .metrics).
    loss: str = "sparse_categorical_crossentropy"
    metrics_per_epoch: tuple[str, ...] = ("accuracy",)
    #: How a network built for this task takes raw x (TaskInputs.network_inputs); None: as it is.
    network_inputs: Callable[[Any, Any], Any] | None = None

    def describe(self, dataset: Dataset) -> dict[str, Any]:
        """Run parameters that describe the data's shape (logged with every run)."""
        return {"input_shape": "x".join(str(d) for d in dataset.input_shape), "num_classes": dataset.num_classes}

    def inputs(self, candidate: Candidate, dataset: Dataset) -> TaskInputs:
        """What every backend's fitter builds and fits on: the splits, loss, metrics, labels and builder facts."""
        return TaskInputs(dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val,
                          labels=tuple(dataset.class_names), loss=self.loss, metrics=self.metrics_per_epoch,
                          builder_args=self.builder_args(dataset), hparams=self.hparams(candidate, dataset),
                          network_inputs=self.network_inputs)

    def builder_args(self, dataset: Dataset) -> dict[str, Any]:
        """The facts a candidate's builder may take by name (image classification: input shape and class count)."""
        return {"input_shape": dataset.input_shape, "num_classes": dataset.num_classes}

    def hparams(self, candidate: Candidate, dataset: Dataset) -> Mapping[str, Any]:
        """The candidate's hyperparameters as its builder takes them (a task may resolve a named one from data)."""
        return candidate.hparams

    def curves(self, history: dict[str, list[float]]) -> dict[str, list[float]]:
        """A fit's per-epoch curves as this task names them, whatever the backend (classification: as fitted)."""
        return history

    #: How many of the most confident mistakes an evaluation keeps.
    mistakes: int = 24

    def predict(self, model: Any, kind: str, x: Any) -> np.ndarray:
        """Class probabilities (n, k) of these examples through the model's serving path."""
        return predict_proba(model, x)

    def time_one(self, model: Any, kind: str, x: Any) -> dict[str, float]:
        """p50/p95 ms of the first example through the serving path, one at a time."""
        return measure_latency(fitter_for(kind).serving(model), x[:1].astype("float32"))

    def annotate_mistakes(self, mistakes: list[dict[str, Any]], x: Any) -> None:
        """Add to each mistake what the page shows of its example (texts: the text); images: nothing."""

    def evaluate(self, model: Any, kind: str, dataset: Dataset, *, latency: bool = True) -> dict[str, Any]:
        """Test-set metrics, the most confident mistakes and single-sample serving latency (stored as
        evaluation.json), and validation predictions.

        The backend decides what costs per call (core.training.fitters: an LLM): it may score a stratified sample
        of the test rows (stored as test_rows, so every comparison with this run uses them; a mistake's index is
        still its row in the test split), skip validation, give the latency it measured while scoring instead of
        timing more calls, and add what it measured (tokens, cost, invalid answers)."""
        fitter = fitter_for(kind)
        started = time.perf_counter()
        rows = fitter.test_rows(model, dataset.y_test)
        x_test = dataset.x_test if rows is None else take_rows(dataset.x_test, rows)
        y_test = np.asarray(dataset.y_test) if rows is None else np.asarray(dataset.y_test)[rows]
        probabilities = self.predict(model, kind, x_test)
        evaluation: dict[str, Any] = classification_evaluation(y_test, probabilities, list(dataset.class_names),
                                                               mistakes=self.mistakes)
        evaluation.update(predict_seconds=time.perf_counter() - started, dataset_fingerprint=dataset.fingerprint)
        self.annotate_mistakes(evaluation["misclassified"], x_test)
        if rows is not None:
            for mistake in evaluation["misclassified"]:
                mistake["index"] = int(rows[mistake["index"]])
            evaluation["test_rows"] = [int(row) for row in rows]
        if latency and len(y_test):  # what the test scoring measured, before validation is scored
            evaluation.update(fitter.measured_latency(model) or self.time_one(model, kind, x_test))
        evaluation.update(fitter.evaluation_extra(model, x_test))
        if len(dataset.y_val) and fitter.scores_validation:
            evaluation["validation"] = split_predictions(dataset.y_val, self.predict(model, kind, dataset.x_val))
        return evaluation

    def metrics(self, evaluation: dict[str, Any]) -> dict[str, float]:
        """The scalar test metrics of an evaluation (names start with test_, latency_ or llm_): for an LLM also its
        invalid answers, tokens and cost per item."""
        metrics = {"test_accuracy": float(evaluation["accuracy"]), "test_macro_f1": float(evaluation["macro_f1"])}
        for name in ("p50_ms", "p95_ms"):
            if name in evaluation:
                metrics[f"latency_{name}"] = float(evaluation[name])
        llm = evaluation.get("llm")
        if llm:
            metrics.update(test_items=float(llm["items"]), llm_cost_per_1000=float(llm["cost_per_1000"]),
                           llm_spent=float(llm["spent"]), llm_tokens_in_per_item=float(llm["tokens_in_per_item"]),
                           llm_tokens_out_per_item=float(llm["tokens_out_per_item"]),
                           llm_cached_answers=float(llm["cached_answers"]))
            if "invalid_answers" in llm:  # answers that named no label (an embedding model gives none)
                metrics.update(test_invalid_rate=float(llm["invalid_rate"]),
                               test_invalid_answers=float(llm["invalid_answers"]))
        return metrics

    def throughput(self, model: Any, kind: str, dataset: Dataset) -> float | None:
        """Test examples per second in batches through the serving path; None where not measured."""
        return fitter_for(kind).throughput(model, dataset.x_test)

    def check_imported(self, model: Any, dataset: Dataset) -> None:
        """Raise ModelLoadError when an uploaded model cannot take this dataset's inputs or classes."""
        model_shape = tuple(int(d) for d in model.input_shape[1:])
        if model_shape != dataset.input_shape:
            raise ModelLoadError("errors.model.shape_mismatch", model_shape=model_shape,
                                 data_shape=dataset.input_shape)
        outputs = int(model.output_shape[-1])
        if outputs != dataset.num_classes:
            raise ModelLoadError("errors.model.classes_mismatch", outputs=outputs, classes=dataset.num_classes)



def take_rows(x: Any, rows: Any) -> Any:
    """The examples at these row indices, whether x is an array, a list or a dict of columns."""
    if isinstance(x, dict):
        return {name: np.asarray(column)[rows] for name, column in x.items()}
    return np.asarray(x)[rows] if not isinstance(x, np.ndarray) else x[rows]


def first_rows(x: Any, count: int = 1) -> Any:
    """The first `count` examples of x, whether x is an array or a dict of columns."""
    if isinstance(x, dict):
        return {name: np.asarray(column)[:count] for name, column in x.items()}
    return x[:count]
