"""One fitter per model backend, and the backend-neutral inputs every fitter consumes.

Calls go one way: the pipeline asks the use case's task adapter for `TaskInputs` (data, loss, metrics, label
set, what builders may take), then asks the candidate's fitter to build and fit on them. A fitter never calls
back into the adapter, and an adapter names no backend. A third backend is one class with the `Fitter`
methods, named in BACKENDS (or added with `register_fitter`), plus candidates that declare its kind.
Keras and TensorFlow are imported only inside the Keras fitter's methods.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Mapping, Protocol

from core.contract.usecase import resolve
from core.evaluation.serving import batch_throughput, serving_function
from core.models.weights import ensure_weights
from core.training import runner
from core.training.epoch_log import device_scope
from core.training.finetune import fit_two_stage
from core.training.runner import FitResult, Progress, TrainConfig
from core.training.sklearn_fit import fit_sklearn

if TYPE_CHECKING:
    from core.contract.usecase import Candidate, FineTune
    from core.training.device import DeviceInfo

ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class TaskInputs:
    """What a task adapter hands any backend, in no backend's terms.

    loss: what training minimises ("sparse_categorical_crossentropy" | "binary_crossentropy" |
    "mean_squared_error"); metrics: what each epoch reports beside it ("accuracy", "auc", "rmse", "mae").
    builder_args: the facts a candidate's builder may take by parameter name (input_shape, num_classes,
    features, texts, num_users...); a builder receives those its signature names. hparams: the candidate's
    hyperparameters with any the task resolves from the data (recommendation: "genres_year" -> the table).
    network_inputs: how a network built for this task takes raw x (finance: one tensor per column); None: as is.
    """

    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any
    labels: tuple[str, ...] = ()
    loss: str = "sparse_categorical_crossentropy"
    metrics: tuple[str, ...] = ("accuracy",)
    builder_args: Mapping[str, Any] = field(default_factory=dict)
    hparams: Mapping[str, Any] = field(default_factory=dict)
    network_inputs: Callable[[Any, Any], Any] | None = None


class Fitter(Protocol):
    """What the pipeline asks of a model backend (Keras, scikit-learn, ...), chosen by a candidate's `kind`."""

    kind: str
    one_pass: bool  # fitted once: a run's epochs are 1 whatever was asked (the form hides epoch settings)
    uses_accelerator: bool  # may train on a GPU (the pipeline configures the device only for these)

    def run_config(self, config: TrainConfig) -> TrainConfig: ...

    def seed(self, seed: int) -> None: ...

    def scope(self, device: DeviceInfo) -> ContextManager[Any]: ...

    def build(self, candidate: Candidate, inputs: TaskInputs, *, seed: int) -> Any: ...

    def fit(self, model: Any, inputs: TaskInputs, config: TrainConfig, *, on_progress: ProgressCallback | None,
            cancel_event: threading.Event | None, fine_tune: FineTune | None = None) -> FitResult: ...

    def serving(self, model: Any) -> Callable[[Any], Any]: ...

    def throughput(self, model: Any, x: Any) -> float | None: ...

    # How its models are evaluated (EvaluationDefaults: every test row, validation scored, latency timed, nothing
    # extra). A backend whose every call costs time or money (an LLM) says otherwise.
    scores_validation: bool

    def test_rows(self, model: Any, y_test: Any) -> Any: ...

    def measured_latency(self, model: Any) -> dict[str, float] | None: ...

    def evaluation_extra(self, model: Any, x_test: Any) -> dict[str, Any]: ...


class EvaluationDefaults:
    """How a fitted model is evaluated where a prediction is cheap: on every test row, validation scored too,
    latency timed by the adapter, nothing added to the evaluation."""

    scores_validation = True

    def test_rows(self, model: Any, y_test: Any) -> Any:
        """The test rows to score: None for all of them."""
        return None

    def measured_latency(self, model: Any) -> dict[str, float] | None:
        """Latency measured while scoring (None: the adapter times single predictions)."""
        return None

    def evaluation_extra(self, model: Any, x_test: Any) -> dict[str, Any]:
        """What the backend measured beyond the task's metrics (stored in evaluation.json)."""
        return {}


def call_builder(candidate: Candidate, inputs: TaskInputs, **extra: Any) -> Any:
    """The candidate's builder called with the builder_args and `extra` its signature names, and its hparams."""
    builder = resolve(candidate.builder)
    named = {name for name, parameter in inspect.signature(builder).parameters.items()
             if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)}
    hparams = dict(inputs.hparams)
    offered = {**inputs.builder_args, **extra}
    return builder(**{name: value for name, value in offered.items() if name in named and name not in hparams},
                   **hparams)


def _keras_metric(name: str) -> Any:
    """A Keras metric for a neutral metric name (built on call: Keras metric objects hold state)."""
    import keras

    makers: dict[str, Callable[[], Any]] = {
        "accuracy": lambda: "accuracy",
        "auc": lambda: keras.metrics.AUC(name="auc"),
        "rmse": lambda: keras.metrics.RootMeanSquaredError(name="rmse"),
        "mae": lambda: keras.metrics.MeanAbsoluteError(name="mae"),
    }
    try:
        return makers[name]()
    except KeyError:
        raise ValueError(f"Unknown metric {name!r}; the Keras fitter knows {', '.join(makers)}.") from None


def pretrained_weights(candidate: Candidate, *, progress: Callable[[int, int], None] | None = None) -> dict[str, str]:
    """{"weights_path": local verified file} for a candidate with a weight download, else {}.

    Downloads once (core.models.weights); raises WeightsUnavailable offline.
    """
    key = getattr(candidate, "weights", "")
    if not key:
        return {}
    return {"weights_path": str(ensure_weights(key, progress=progress))}


class KerasFitter(EvaluationDefaults):
    """Keras networks: compiled and fitted epoch by epoch on the chosen device, served through a traced tf.function."""

    kind = "keras"
    one_pass = False
    uses_accelerator = True

    def run_config(self, config: TrainConfig) -> TrainConfig:
        """The fit settings this backend trains with (Keras: as asked)."""
        return config

    def seed(self, seed: int) -> None:
        """Seed the initial weights (Keras, NumPy and Python random) before the model is built."""
        import keras

        keras.utils.set_random_seed(seed)

    def scope(self, device: DeviceInfo) -> ContextManager[Any]:
        """Place building and fitting on the run's device."""
        return device_scope(device)

    def build(self, candidate: Candidate, inputs: TaskInputs, *, seed: int) -> Any:
        """A fresh, uncompiled network (its weights follow the seed set by `seed`), with its pretrained weights."""
        return call_builder(candidate, inputs, **pretrained_weights(candidate))

    def keras_data(self, model: Any, inputs: TaskInputs) -> tuple[Any, Any, Any, Any]:
        """(x_train, y_train, x_val, y_val) as the network takes them: x through the task's network_inputs, and a
        float (n, 1) target for a sigmoid (binary cross-entropy) output."""
        def x(values: Any) -> Any:
            return values if inputs.network_inputs is None else inputs.network_inputs(model, values)

        def y(values: Any) -> Any:
            if inputs.loss == "binary_crossentropy":
                import numpy as np

                return np.asarray(values, dtype="float32").reshape(-1, 1)
            return values

        return x(inputs.x_train), y(inputs.y_train), x(inputs.x_val), y(inputs.y_val)

    def fit(self, model: Any, inputs: TaskInputs, config: TrainConfig, *, on_progress: ProgressCallback | None,
            cancel_event: threading.Event | None, fine_tune: FineTune | None = None) -> FitResult:
        """fit_keras on the task's inputs, loss and metrics, or the two-stage fine-tune (core.training.finetune)
        for a candidate with a plan."""
        x_train, y_train, x_val, y_val = self.keras_data(model, inputs)
        metrics = [_keras_metric(name) for name in inputs.metrics]
        if fine_tune is not None:
            return fit_two_stage(model, x_train, y_train, x_val, y_val, config, on_progress=on_progress,
                                 cancel_event=cancel_event, loss=inputs.loss, metrics=metrics, plan=fine_tune)
        return runner.fit_keras(model, x_train, y_train, x_val, y_val, config, on_progress=on_progress,
                                cancel_event=cancel_event, loss=inputs.loss, metrics=metrics)

    def serving(self, model: Any) -> Callable[[Any], Any]:
        """The single-sample predict path latency is measured on: a traced tf.function (not model.predict)."""
        return serving_function(model)

    def throughput(self, model: Any, x: Any) -> float | None:
        """Examples per second in batches through the serving function."""
        return float(batch_throughput(self.serving(model), x))


class OnePassFitter(EvaluationDefaults):
    """What every backend that fits in one pass on the host shares: one "epoch", nothing seeded globally (its
    builder takes random_state=seed), no device scope."""

    one_pass = True
    uses_accelerator = False

    def run_config(self, config: TrainConfig) -> TrainConfig:
        return dataclasses.replace(config, epochs=1)

    def seed(self, seed: int) -> None:
        """Nothing to seed globally: the builder takes random_state."""

    def scope(self, device: DeviceInfo) -> ContextManager[Any]:
        return contextlib.nullcontext()

    def build(self, candidate: Candidate, inputs: TaskInputs, *, seed: int) -> Any:
        """An unfitted model with random_state=seed."""
        return call_builder(candidate, inputs, random_state=seed)


class SklearnFitter(OnePassFitter):
    """scikit-learn estimators: one fit on the training split (one "epoch"), served by predict_proba."""

    kind = "sklearn"

    def fit(self, model: Any, inputs: TaskInputs, config: TrainConfig, *, on_progress: ProgressCallback | None,
            cancel_event: threading.Event | None, fine_tune: FineTune | None = None) -> FitResult:
        """fit_sklearn on the raw splits with the run's class weights (loss and metrics are the estimator's own)."""
        return fit_sklearn(model, inputs.x_train, inputs.y_train, inputs.x_val, inputs.y_val,
                           on_progress=on_progress, cancel_event=cancel_event, class_weight=config.class_weight)

    def serving(self, model: Any) -> Callable[[Any], Any]:
        return model.predict_proba

    def throughput(self, model: Any, x: Any) -> float | None:
        """Not measured for estimators (their batch path is the same predict_proba latency measures)."""
        return None


KERAS = KerasFitter()
SKLEARN = SklearnFitter()
FITTERS: dict[str, Fitter] = {}


def register_fitter(fitter: Fitter) -> Fitter:
    """Add a backend: candidates whose kind is `fitter.kind` then build, fit and serve through it."""
    known = FITTERS.get(fitter.kind)
    if known is not None and known is not fitter:
        raise ValueError(f"Model kind {fitter.kind!r} already has a fitter; pick a new kind.")
    FITTERS[fitter.kind] = fitter
    return fitter


for _fitter in (KERAS, SKLEARN):
    register_fitter(_fitter)

# Backends beyond the two built in, as "module:ATTRIBUTE" (like use-case packages): a backend's module builds on
# this one, so it is registered when a kind not yet known is first asked for.
BACKENDS = ("core.training.llm_fit:LLM", "core.training.llm_fit:LLM_EMBED")


def _register_backends() -> None:
    for target in BACKENDS:
        fitter = resolve(target)
        if fitter.kind not in FITTERS:
            register_fitter(fitter)


def fitter_for(kind: str) -> Fitter:
    """The fitter of a candidate's (or a logged run's) model kind; ValueError names the known kinds."""
    if kind not in FITTERS:
        _register_backends()
    try:
        return FITTERS[kind]
    except KeyError:
        raise ValueError(f"Unknown model kind {kind!r}; use one of {', '.join(FITTERS)}.") from None
