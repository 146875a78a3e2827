"""Two-stage fine-tuning as one fit: the new head on a frozen pretrained part, then its top unfrozen.

Stage 1 trains everything but the pretrained layer (a nested backbone or an embedding) at the
chosen learning rate; stage 2 unfreezes the top of it (batch normalisation stays frozen) and
continues at a lower rate. Both stages report to the same progress callback with one epoch
count and one history, so the live curve runs on across the stage boundary.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING, Any, Callable, Sequence

from core.training.runner import FitResult, Progress, TrainConfig, _best_epoch, fit_keras, validate

if TYPE_CHECKING:
    from core.contract.usecase import FineTune


def stage_epochs(epochs: int, head_fraction: float) -> tuple[int, int]:
    """(head epochs, fine-tune epochs): at least one head epoch; one epoch in all trains the head only."""
    epochs = int(epochs)
    if epochs <= 1:
        return epochs, 0
    head = min(epochs - 1, max(1, round(epochs * float(head_fraction))))
    return head, epochs - head


def _pretrained_layer(model: Any, plan: FineTune) -> Any:
    try:
        return model.get_layer(plan.layer)
    except ValueError:
        raise ValueError(f"Model {model.name!r} has no layer {plan.layer!r} to fine-tune; check the candidate's "
                         "fine-tune plan.") from None


def freeze_pretrained(model: Any, plan: FineTune) -> None:
    """Stage 1: the pretrained layer (and everything inside it) stops training; the head trains."""
    _pretrained_layer(model, plan).trainable = False


def unfreeze_top(model: Any, plan: FineTune) -> None:
    """Stage 2: the pretrained layer trains again from its first sub-layer named plan.unfreeze_from...
    on (all of it when empty or when it has no sub-layers); batch normalisation stays frozen."""
    import keras

    layer = _pretrained_layer(model, plan)
    layer.trainable = True
    inner = list(getattr(layer, "layers", []) or [])
    if not inner:
        return
    start = 0
    if plan.unfreeze_from:
        names = [sub.name for sub in inner]
        matches = [index for index, name in enumerate(names) if name.startswith(plan.unfreeze_from)]
        if not matches:
            raise ValueError(f"No layer of {layer.name!r} starts with {plan.unfreeze_from!r}; "
                             "fix the candidate's fine-tune plan.")
        start = matches[0]
    for index, sub in enumerate(inner):
        sub.trainable = index >= start and not isinstance(sub, keras.layers.BatchNormalization)


def _shifted(on_progress: Callable[[Progress], None] | None, *, offset: int, total: int,
             before: dict[str, list[float]]) -> Callable[[Progress], None] | None:
    """Report a stage's progress as part of the whole fit: epochs counted on, history joined."""
    if on_progress is None:
        return None

    def report(progress: Progress) -> None:
        history = {key: [*before.get(key, []), *values] for key, values in (progress.history or {}).items()}
        for key, values in before.items():
            history.setdefault(key, list(values))
        on_progress(dataclasses.replace(progress, epoch=progress.epoch + offset, epochs=total, history=history))

    return report


def fit_two_stage(
    model: Any,
    x_train: Any,
    y_train: Any,
    x_val: Any = None,
    y_val: Any = None,
    config: TrainConfig | None = None,
    *,
    plan: FineTune,
    on_progress: Callable[[Progress], None] | None = None,
    cancel_event: threading.Event | None = None,
    loss: Any = "sparse_categorical_crossentropy",
    metrics: Sequence[Any] = ("accuracy",),
) -> FitResult:
    """fit_keras in two stages (see the module doc) returning one FitResult over all epochs."""
    config = validate(config or TrainConfig())
    head_epochs, tune_epochs = stage_epochs(config.epochs, plan.head_fraction)
    freeze_pretrained(model, plan)
    first = fit_keras(model, x_train, y_train, x_val, y_val, dataclasses.replace(config, epochs=head_epochs),
                      on_progress=_shifted(on_progress, offset=0, total=config.epochs, before={}),
                      cancel_event=cancel_event, loss=loss, metrics=metrics)
    if tune_epochs == 0 or first.stopped_reason in ("cancelled", "diverged"):
        return first
    unfreeze_top(model, plan)
    rate = float(config.learning_rate) * float(plan.learning_rate_factor)
    second = fit_keras(model, x_train, y_train, x_val, y_val,
                       dataclasses.replace(config, epochs=tune_epochs, learning_rate=rate),
                       on_progress=_shifted(on_progress, offset=first.epochs_run, total=config.epochs,
                                            before=first.history),
                       cancel_event=cancel_event, loss=loss, metrics=metrics)
    history = {key: [*first.history.get(key, []), *second.history.get(key, [])]
               for key in {*first.history, *second.history}}
    seconds = first.seconds + second.seconds
    samples = first.samples_per_second * first.seconds + second.samples_per_second * second.seconds
    return FitResult(history=history, epochs_run=first.epochs_run + second.epochs_run,
                     stopped_reason=second.stopped_reason, seconds=seconds,
                     samples_per_second=float(samples / seconds) if seconds > 0 else 0.0,
                     best_epoch=_best_epoch(history))
