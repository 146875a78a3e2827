"""Task adapters: how a use case builds, fits and evaluates its candidates inside the pipeline.

The pipeline (core.training.pipeline) owns what every run shares: data loading, device,
tracking, timing, memory, saving the model, cancel and divergence handling. An adapter owns
what differs by task. Each use-case package names its adapter in `UseCase.adapter`
("module:ATTRIBUTE", e.g. core.usecases.vision.adapter:ADAPTER): image classification uses
ClassificationAdapter as it is; tables, texts or user-item pairs subclass it and override a method or two.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import numpy as np

from core.data.dataset import Dataset
from core.training.fitters import fitter_for


class ClassificationAdapter:
    """Image/array classification: build(input_shape, num_classes), sparse cross-entropy, accuracy."""

    #: Keras loss the Keras fitter compiles the model with (its metrics: keras_metrics()).
    loss: Any = "sparse_categorical_crossentropy"

    def describe(self, dataset: Dataset) -> dict[str, Any]:
        """Run parameters that describe the data's shape (logged with every run)."""
        return {"input_shape": "x".join(str(d) for d in dataset.input_shape), "num_classes": dataset.num_classes}

    def build(self, candidate: Any, dataset: Dataset, *, seed: int) -> Any:
        """A fresh, uncompiled model (Keras) or an unfitted estimator (scikit-learn): the candidate's fitter
        calls build_keras or build_sklearn."""
        return fitter_for(candidate.kind).build(self, candidate, dataset, seed=seed)

    def build_keras(self, candidate: Any, dataset: Dataset) -> Any:
        return candidate.build(dataset.input_shape, dataset.num_classes, **pretrained_weights(candidate))

    def build_sklearn(self, candidate: Any, dataset: Dataset, *, seed: int) -> Any:
        return candidate.build(random_state=seed)

    def fit(self, model: Any, candidate: Any, dataset: Dataset, config: Any, *,
            on_progress: Callable[[Any], None], cancel_event: threading.Event) -> Any:
        """Fit on the train split (validation on val) and return a core.training.runner.FitResult: the
        candidate's fitter reads the task's keras_data / keras_metrics or sklearn_history hooks."""
        return fitter_for(candidate.kind).fit_task(self, model, candidate, dataset, config, on_progress=on_progress,
                                                   cancel_event=cancel_event)

    def keras_data(self, model: Any, dataset: Dataset) -> tuple[Any, Any, Any, Any]:
        """(x_train, y_train, x_val, y_val) as the Keras model takes them (arrays: as they are)."""
        return dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val

    def keras_metrics(self) -> list[Any]:
        """Metrics the Keras fitter compiles the model with (built on call: Keras metric objects hold state)."""
        return ["accuracy"]

    def sklearn_history(self, history: dict[str, list[float]]) -> dict[str, list[float]]:
        """An estimator's one-epoch curves as this task names them (classification: loss and accuracy as fitted)."""
        return history

    def evaluate(self, model: Any, kind: str, dataset: Dataset, *, latency: bool = True) -> dict[str, Any]:
        """Test-set metrics, misclassified examples and single-sample serving latency (stored as evaluation.json)."""
        from core.evaluation.metrics import classification_evaluation, split_predictions
        from core.evaluation.serving import measure_latency, predict_proba

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
        from core.errors import ModelLoadError

        model_shape = tuple(int(d) for d in model.input_shape[1:])
        if model_shape != dataset.input_shape:
            raise ModelLoadError("errors.model.shape_mismatch", model_shape=model_shape,
                                 data_shape=dataset.input_shape)
        outputs = int(model.output_shape[-1])
        if outputs != dataset.num_classes:
            raise ModelLoadError("errors.model.classes_mismatch", outputs=outputs, classes=dataset.num_classes)



def pretrained_weights(candidate: Any, *, progress: Callable[[int, int], None] | None = None) -> dict[str, str]:
    """{"weights_path": local verified file} for a candidate with a weight download, else {}.

    Downloads once (core.models.weights); raises WeightsUnavailable offline.
    """
    key = getattr(candidate, "weights", "")
    if not key:
        return {}
    from core.models.weights import ensure_weights

    return {"weights_path": str(ensure_weights(key, progress=progress))}


def download_weights(candidate: Any, report: Callable[[Any], None]) -> None:
    """Fetch a candidate's pretrained weights once (cache hit afterwards), reporting bytes as progress."""
    from core.training.runner import Progress

    def progress(done: int, total: int) -> None:
        report(Progress(phase="downloading", batch=int(done), batches=max(int(total), 1)))

    pretrained_weights(candidate, progress=progress)


def first_rows(x: Any, count: int = 1) -> Any:
    """The first `count` examples of x, whether x is an array or a dict of columns."""
    if isinstance(x, dict):
        return {name: np.asarray(column)[:count] for name, column in x.items()}
    return x[:count]
