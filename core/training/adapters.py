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

    def evaluate(self, model: Any, kind: str, dataset: Dataset, *, latency: bool = True) -> dict[str, Any]:
        """Test-set metrics, misclassified examples and single-sample serving latency (stored as evaluation.json)."""
        started = time.perf_counter()
        probabilities = predict_proba(model, dataset.x_test)
        evaluation: dict[str, Any] = {
            **classification_evaluation(dataset.y_test, probabilities, list(dataset.class_names), mistakes=24),
            "predict_seconds": time.perf_counter() - started,
            "dataset_fingerprint": dataset.fingerprint,
        }
        if len(dataset.y_val):
            evaluation["validation"] = split_predictions(dataset.y_val, predict_proba(model, dataset.x_val))
        if latency:
            evaluation.update(measure_latency(fitter_for(kind).serving(model), dataset.x_test[:1].astype("float32")))
        return evaluation

    def metrics(self, evaluation: dict[str, Any]) -> dict[str, float]:
        """The scalar test metrics of an evaluation (names start with test_ or latency_)."""
        metrics = {"test_accuracy": float(evaluation["accuracy"]), "test_macro_f1": float(evaluation["macro_f1"])}
        for name in ("p50_ms", "p95_ms"):
            if name in evaluation:
                metrics[f"latency_{name}"] = float(evaluation[name])
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



def first_rows(x: Any, count: int = 1) -> Any:
    """The first `count` examples of x, whether x is an array or a dict of columns."""
    if isinstance(x, dict):
        return {name: np.asarray(column)[:count] for name, column in x.items()}
    return x[:count]
