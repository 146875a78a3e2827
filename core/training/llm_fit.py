"""The LLM backend: a large language model as a candidate (kind "llm"), beside Keras and scikit-learn.

Nothing is trained. "Fitting" opens the model (the GGUF file loaded, or the endpoint's client made: a missing
file or package fails here, before any scoring) and draws the k-shot examples from the training split; the
evaluation then asks the model about each test text, reporting Progress(phase="scoring") item by item and
stopping when the person cancels (core.llm.classifier.LLMClassifier.predict_proba).
"""

from __future__ import annotations

import dataclasses
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
        self.open_model(model, on_progress, cancel_event)
        return FitResult(history={}, epochs_run=1, stopped_reason=_stopped(cancel_event),
                         seconds=time.perf_counter() - started, samples_per_second=0.0)

    def open_model(self, model: Any, on_progress: ProgressCallback | None,
                   cancel_event: threading.Event | None) -> None:
        """Open the model (a catalogue model downloaded once, progress shown, then verified) and arm scoring's
        progress and cancel."""
        if model.transport == "local":
            model.model = str(local_model_path(model.model, progress=_download_reporter(on_progress)))
        model.open()
        model.on_item = _item_reporter(on_progress)
        model.cancel_event = cancel_event

    def serving(self, model: Any) -> Callable[[Any], Any]:
        return model.predict_proba

    def throughput(self, model: Any, x: Any) -> float | None:
        """Not measured: every batch costs money; the per-item latency comes from the scoring itself."""
        return None

    # Every call costs time or money: validation is not scored, nothing is timed twice, and a run may score a
    # stratified sample of the test split.
    scores_validation = False

    def test_rows(self, model: Any, y_test: Any) -> Any:
        """A stratified, seeded sample of the run's test_sample rows, or None for all of them."""
        from core.llm.classifier import sample_test_rows

        return sample_test_rows(y_test, getattr(model, "test_sample", None), random_state=model.random_state)

    def measured_latency(self, model: Any) -> dict[str, float]:
        """p50/p95 ms per item of the answers just scored (cache hits left out)."""
        summary = model.last_scores_.summary(model.prices)
        return {"p50_ms": summary["item_p50_ms"], "p95_ms": summary["item_p95_ms"]}

    def evaluation_extra(self, model: Any, x_test: Any) -> dict[str, Any]:
        """What the run stores about the LLM: model, transport, what it read, k, the first prompt as a person reads
        it, prices, tokens and cost."""
        client = model.open()
        return {"llm": {"model_name": getattr(client, "model_name", model.model), "transport": model.transport,
                        "inputs": model.inputs, "k": int(model.k),
                        "prompt": model.prompt_text(x_test[0]) if len(x_test) else "",
                        "prices": dataclasses.asdict(model.prices), **model.last_scores_.summary(model.prices)}}


def _stopped(cancel_event: threading.Event | None) -> str:
    return "cancelled" if cancel_event is not None and cancel_event.is_set() else "completed"


def _download_reporter(on_progress: ProgressCallback | None) -> Callable[[int, int], None] | None:
    if on_progress is None:
        return None

    def report(done: int, total: int) -> None:
        on_progress(Progress(phase="downloading", batch=int(done), batches=max(int(total), 1)))

    return report


def _item_reporter(on_progress: ProgressCallback | None, phase: str = "scoring",
                   ) -> Callable[[int, int, Scores], None] | None:
    """Progress(phase=phase) per answered (or embedded) item, with the time so far and the time left at this pace."""
    if on_progress is None:
        return None
    started = time.perf_counter()

    def report(done: int, total: int, scores: Scores) -> None:
        elapsed = time.perf_counter() - started
        eta = elapsed / done * (total - done) if done else None
        on_progress(Progress(phase=phase, batch=int(done), batches=int(total), elapsed_s=elapsed, eta_s=eta))

    return report


class LLMEmbeddingFitter(LLMFitter):
    """LLM embeddings + a trained head (core.llm.embedding): the training and validation texts are embedded
    (progress "embedding", cancel between batches, the budget) and the head fitted on the training ones; the test
    texts are embedded while evaluating (progress "scoring"), a sample of them when the run asks."""

    kind = "llm_embed"
    # a trained head has probabilities worth a cut-off: its validation texts are embedded while fitting (paid for
    # there), so scoring them in the evaluation comes from the vector cache
    scores_validation = True

    def fit(self, model: Any, inputs: TaskInputs, config: TrainConfig, *, on_progress: ProgressCallback | None,
            cancel_event: threading.Event | None, fine_tune: FineTune | None = None) -> FitResult:
        started = time.perf_counter()
        self.open_model(model, on_progress, cancel_event)
        model.on_item = _item_reporter(on_progress, "embedding")  # the training texts first, then scoring
        model.fit(inputs.x_train, inputs.y_train, labels=inputs.labels, also=inputs.x_val)
        model.on_item = _item_reporter(on_progress)
        seconds = time.perf_counter() - started
        return FitResult(history={}, epochs_run=1, stopped_reason=_stopped(cancel_event), seconds=seconds,
                         samples_per_second=len(inputs.x_train) / seconds if seconds > 0 else 0.0)

    def evaluation_extra(self, model: Any, x_test: Any) -> dict[str, Any]:
        """What the run stores about the embedding model: name, transport, vector size, tokens and cost per
        test text, and what embedding the training and validation texts cost (the run's spending covers all)."""
        llm = super().evaluation_extra(model, x_test)["llm"]
        train = dict(model.train_summary_)
        return {"llm": {**llm, "embedding_dimensions": int(model.dimensions_), **train,
                        "spent": float(llm["spent"] + train.get("train_spent", 0.0))}}


LLM = LLMFitter()
LLM_EMBED = LLMEmbeddingFitter()
