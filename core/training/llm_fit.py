"""The LLM backend: a large language model as a candidate (kind "llm"), beside Keras and scikit-learn.

Nothing is trained. "Fitting" opens the model (the GGUF file loaded, or the endpoint's client made: a missing
file or package fails here, before any scoring) and draws the k-shot examples from the training split; the
evaluation then asks the model about each test text, reporting Progress(phase="scoring") item by item and
stopping when the person cancels (core.llm.classifier.LLMClassifier.predict_proba).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from core.llm.catalogue import local_model_path
from core.training.fitters import OnePassFitter, ProgressCallback, TaskInputs
from core.training.runner import FitResult, Progress, TrainConfig

if TYPE_CHECKING:
    from core.contract.usecase import FineTune
    from core.llm.classifier import Scores


class LLMFitter(OnePassFitter):
    """LLM candidates: one pass (the examples drawn), on the host; llama.cpp places a local model's layers on a
    GPU by itself where its build has one (configuring TensorFlow's device would only cost its import)."""

    kind = "llm"

    def fit(self, model: Any, inputs: TaskInputs, config: TrainConfig, *, on_progress: ProgressCallback | None,
            cancel_event: threading.Event | None, fine_tune: FineTune | None = None) -> FitResult:
        """Draw the examples from the training split, open the model, and arm scoring's progress and cancel."""
        started = time.perf_counter()
        model.fit(inputs.x_train, inputs.y_train, labels=inputs.labels)
        if model.transport == "local":  # a catalogue model is downloaded once (progress shown), then verified
            model.model = str(local_model_path(model.model, progress=_download_reporter(on_progress)))
        model.open()
        model.on_item = _item_reporter(on_progress)
        model.cancel_event = cancel_event
        stopped = "cancelled" if cancel_event is not None and cancel_event.is_set() else "completed"
        return FitResult(history={}, epochs_run=1, stopped_reason=stopped, seconds=time.perf_counter() - started,
                         samples_per_second=0.0)

    def serving(self, model: Any) -> Callable[[Any], Any]:
        return model.predict_proba

    def throughput(self, model: Any, x: Any) -> float | None:
        """Not measured: every batch costs money; the per-item latency comes from the scoring itself."""
        return None


def _download_reporter(on_progress: ProgressCallback | None) -> Callable[[int, int], None] | None:
    if on_progress is None:
        return None

    def report(done: int, total: int) -> None:
        on_progress(Progress(phase="downloading", batch=int(done), batches=max(int(total), 1)))

    return report


def _item_reporter(on_progress: ProgressCallback | None) -> Callable[[int, int, Scores], None] | None:
    """Progress(phase="scoring") per answered item, with the time so far and the time left at this pace."""
    if on_progress is None:
        return None
    started = time.perf_counter()

    def report(done: int, total: int, scores: Scores) -> None:
        elapsed = time.perf_counter() - started
        eta = elapsed / done * (total - done) if done else None
        on_progress(Progress(phase="scoring", batch=int(done), batches=int(total), elapsed_s=elapsed, eta_s=eta))

    return report


LLM = LLMFitter()
