"""One training run end to end: data, device, model, fit, evaluation, tracking.

This is what a background job executes. Everything it measures lands in MLflow, so the Runs page, the
model-selection page and the strategy planner read the same evidence. `run_training` reads as its steps:
prepare (use case, candidate, fitter, data, device), start the tracked run, fit, then evaluate and log.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from core.config import Settings, get_settings
from core.contract.registry import get_use_case
from core.data.cache import UPLOAD_NAME, load_dataset
from core.data.uploads import upload_files, with_uploads
from core.errors import Cancelled, StudioError, TrainingError
from core.evaluation.memory import PeakMemory
from core.models.io import model_size_bytes, parameter_count, save_model
from core.models.weights import weights_status
from core.tracking.records import TAG_TRAIN_FRACTION, dataset_tags, user_tags
from core.tracking.run_files import DATASET_FILE, EVALUATION_FILE, MODEL_ARTIFACT, UPLOADS_ARTIFACT
from core.training.epoch_log import EpochLogger
from core.training.fitters import Fitter, TaskInputs, fitter_for, pretrained_weights
from core.training.runner import FitResult, Progress, TrainConfig
from core.training.subsets import training_subset

if TYPE_CHECKING:
    from core.contract.usecase import Candidate, UseCase
    from core.data.dataset import Dataset
    from core.tracking.store import Tracker
    from core.training.adapters import ClassificationAdapter
    from core.training.device import DeviceInfo


@dataclass(frozen=True)
class TrainingSpec:
    """What to train: use case, dataset source, candidate model and the fit settings."""

    use_case: str
    dataset: str
    candidate: str
    config: TrainConfig = field(default_factory=TrainConfig)
    dataset_kwargs: dict[str, Any] = field(default_factory=dict)
    user: str | None = None  # who asked for the run (signed-in e-mail); None: the OS user, in the tracker
    # Share of the training split to train on (a learning-curve point, core.training.learning_curve):
    # a stratified subset; validation and test splits unchanged.
    train_fraction: float = 1.0
    # This run's settings of its candidate, over the declared hparams (an LLM's model file or endpoint, k, prompt,
    # prices); logged as hp_<name> like them. Never a secret: an API key is named by its environment variable.
    candidate_params: dict[str, Any] = field(default_factory=dict)

    def title(self) -> str:
        return f"{self.use_case} / {self.dataset} / {self.candidate}"


@dataclass
class RunOutcome:
    """What a finished job hands back to the page."""

    run_id: str
    status: str  # completed | cancelled | diverged
    metrics: dict[str, float]
    history: dict[str, list[float]]
    device: str
    evaluation: dict[str, Any] | None = None


@dataclass
class _Run:
    """One run's parts, resolved once by `_prepare` and read by each later step."""

    spec: TrainingSpec
    use_case: UseCase
    candidate: Candidate
    adapter: ClassificationAdapter
    fitter: Fitter
    config: TrainConfig
    dataset: Dataset
    device: DeviceInfo
    subset_tags: dict[str, str]


def download_weights(candidate: Any, report: Callable[[Any], None]) -> None:
    """Fetch a candidate's pretrained weights once (cache hit afterwards), reporting bytes as progress."""
    def progress(done: int, total: int) -> None:
        report(Progress(phase="downloading", batch=int(done), batches=max(int(total), 1)))

    pretrained_weights(candidate, progress=progress)


def _final_history_metrics(history: dict[str, list[float]]) -> dict[str, float]:
    return {f"final_{name}": float(values[-1]) for name, values in history.items() if values}


def _prepare(spec: TrainingSpec, settings: Settings, report: Callable[[Any], None]) -> _Run:
    """Resolve the candidate and its fitter, load the data (a share of it for a learning-curve point), pick the
    device and fetch pretrained weights: everything that can fail before a run is logged."""
    from core.training.device import configure_device, endpoint_device, host_device

    use_case = get_use_case(spec.use_case)
    candidate = use_case.candidate(spec.candidate)
    if spec.candidate_params:
        candidate = replace(candidate, hparams={**candidate.hparams, **spec.candidate_params})
    fitter = fitter_for(candidate.kind)
    config = fitter.run_config(spec.config)  # scikit-learn: one pass
    config.validate()
    dataset = load_dataset(spec.use_case, spec.dataset, seed=config.seed, **spec.dataset_kwargs)
    subset_tags = {}
    if spec.train_fraction < 1.0:  # hidden from the runs list (Tracker.list_runs): a learning-curve point

        dataset = training_subset(dataset, spec.train_fraction, seed=config.seed)
        subset_tags = {TAG_TRAIN_FRACTION: str(spec.train_fraction)}
    # TensorFlow is imported (by configure_device) only for a backend that can use an accelerator (Keras):
    # scikit-learn fits on the CPU whatever the policy, without an import that costs tens of seconds under load
    device = (configure_device(settings.device_policy, mixed_precision=settings.mixed_precision)
              if fitter.uses_accelerator else host_device(settings.device_policy))
    if candidate.asks_a_model and candidate.hparams.get("transport") == "endpoint":  # it runs on that server
        device = endpoint_device(str(candidate.hparams.get("base_url", "")))
    if candidate.weights:  # a one-time download, shown as a progress bar; offline: fails before any run is logged
        download_weights(candidate, report)
    return _Run(spec, use_case, candidate, use_case.task_adapter(), fitter, config, dataset, device, subset_tags)


def _params(run: _Run) -> dict[str, Any]:
    """The run's parameters: what was asked, the data's shape and the candidate's hyperparameters."""
    spec, candidate, config, dataset = run.spec, run.candidate, run.config, run.dataset
    return {
        "use_case": spec.use_case,
        "dataset": spec.dataset,
        "model": spec.candidate,
        "model_kind": candidate.kind,
        "starting_point": candidate.starting_point,  # selection and the planner group runs by it
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "early_stopping": config.early_stopping,
        "class_weight": config.class_weight if isinstance(config.class_weight, (str, type(None))) else "custom",
        "seed": config.seed,
        "train_size": len(dataset.y_train),
        "val_size": len(dataset.y_val),
        "test_size": len(dataset.y_test),
        **run.adapter.describe(dataset),
        **{f"hp_{name}": value for name, value in candidate.hparams.items()},
        **({"pretrained": candidate.pretrained} if candidate.pretrained else {}),
        **{f"data_{name}": value for name, value in spec.dataset_kwargs.items()},
    }


def _start_run(run: _Run, tracker: Tracker, tags: dict[str, str] | None) -> str:
    """Open the tracked run with its parameters and tags."""
    spec, dataset = run.spec, run.dataset
    return tracker.start_run(
        use_case=spec.use_case, dataset=spec.dataset, model=spec.candidate, params=_params(run),
        tags={**run.device.as_tags(), **dataset_tags(dataset, spec.dataset_kwargs.get(UPLOAD_NAME, "")),
              **user_tags(spec.user), **run.subset_tags, **(tags or {})},
    )


def _store_data_description(run: _Run, run_id: str, tracker: Tracker, settings: Settings) -> None:
    """Store what the run trains on (dataset.json; on a shared server the uploaded file too, for other replicas
    and workers)."""
    spec, dataset = run.spec, run.dataset
    if not getattr(tracker, "is_local", True):
        for path in upload_files(spec.dataset_kwargs, settings).values():
            tracker.log_artifact(run_id, path, artifact_path=UPLOADS_ARTIFACT)
    tracker.log_dict(run_id, {
        "id": dataset.id, "title": dataset.title, "provenance": dataset.provenance,
        "licence": dataset.licence, "class_names": list(dataset.class_names),
        "sizes": dataset.sizes, "fingerprint": dataset.fingerprint, "kwargs": spec.dataset_kwargs,
    }, DATASET_FILE)


def build_candidate(candidate: Candidate, adapter: ClassificationAdapter, dataset: Dataset, *, seed: int,
                    inputs: TaskInputs | None = None) -> Any:
    """A fresh model of `candidate` for the task's data, built by its backend's fitter (weights seeded by `seed`)."""
    fitter = fitter_for(candidate.kind)
    fitter.seed(seed)
    return fitter.build(candidate, inputs or adapter.inputs(candidate, dataset), seed=seed)


def fit_candidate(model: Any, candidate: Candidate, adapter: ClassificationAdapter, dataset: Dataset,
                  config: TrainConfig, *, on_progress: Callable[[Progress], None] | None = None,
                  cancel_event: threading.Event | None = None, device: DeviceInfo | None = None,
                  inputs: TaskInputs | None = None) -> FitResult:
    """Fit a built model through its backend's fitter on the task's inputs (on `device` when given); the curves,
    reported and returned, named as the task names them."""
    fitter = fitter_for(candidate.kind)
    inputs = inputs or adapter.inputs(candidate, dataset)

    def report(progress: Progress) -> None:
        if on_progress is not None:
            on_progress(replace(progress, history=adapter.curves(progress.history)) if progress.history else progress)

    with fitter.scope(device) if device is not None else contextlib.nullcontext():
        result = fitter.fit(model, inputs, config, on_progress=report, cancel_event=cancel_event,
                            fine_tune=candidate.fine_tune)
    return replace(result, history=adapter.curves(result.history))


def _evaluate_and_log(run: _Run, run_id: str, model: Any, result: FitResult, timing: dict[str, float],
                      tracker: Tracker) -> RunOutcome:
    """Evaluate on the test split, save the model, log every metric and evaluation.json; the run completes."""
    adapter, dataset, kind = run.adapter, run.dataset, run.candidate.kind
    evaluation = adapter.evaluate(model, kind, dataset)
    with tempfile.TemporaryDirectory() as tmp:
        model_file = save_model(model, Path(tmp))
        size = model_size_bytes(model_file)
        tracker.log_artifact(run_id, model_file, artifact_path=MODEL_ARTIFACT)
    if run.candidate.asks_a_model:  # its saved file is settings: the model's size is its GGUF file's, or unknown
        path = Path(str(getattr(model, "model", ""))).expanduser()
        size = path.stat().st_size if getattr(model, "transport", "") == "local" and path.is_file() else None
    metrics = {
        **adapter.metrics(evaluation),
        **_final_history_metrics(result.history),
        **timing,
        **({"model_size_bytes": float(size)} if size is not None else {}),
    }
    with contextlib.suppress(ValueError):  # an LLM's parameters are not counted (an endpoint does not say them)
        metrics["parameters"] = float(parameter_count(model))
    throughput = adapter.throughput(model, kind, dataset)
    if throughput is not None:
        metrics["batch_throughput"] = float(throughput)
    tracker.log_metrics(run_id, metrics)
    tracker.log_dict(run_id, evaluation, EVALUATION_FILE)
    tracker.finish(run_id, "completed")
    return RunOutcome(run_id, "completed", metrics, result.history, run.device.name, evaluation)


def run_training(
    spec: TrainingSpec,
    *,
    tracker: Tracker,
    report: Callable[[Any], None] | None = None,
    cancel_event: threading.Event | None = None,
    on_run_id: Callable[[str], None] | None = None,
    settings: Settings | None = None,
    tags: dict[str, str] | None = None,
) -> RunOutcome:
    """Train one candidate on one dataset, evaluate it on the test split and log everything.

    `tags` go on the run as well (e.g. the Ray worker that trained it).
    """
    settings = settings or get_settings()
    report = report or (lambda progress: None)
    cancel_event = cancel_event or threading.Event()
    run = _prepare(spec, settings, report)
    run_id = _start_run(run, tracker, tags)
    if on_run_id:
        on_run_id(run_id)
    _store_data_description(run, run_id, tracker, settings)
    epoch_log = EpochLogger(tracker, run_id)

    def on_progress(progress: Progress) -> None:
        epoch_log.update(progress.history or {})
        report(progress)

    try:
        with PeakMemory() as memory:
            inputs = run.adapter.inputs(run.candidate, run.dataset)
            model = build_candidate(run.candidate, run.adapter, run.dataset, seed=run.config.seed, inputs=inputs)
            result = fit_candidate(model, run.candidate, run.adapter, run.dataset, run.config, inputs=inputs,
                                   on_progress=on_progress, cancel_event=cancel_event, device=run.device)
        epoch_log.update(result.history)
        epoch_log.flush()
        if result.stopped_reason not in ("diverged", "cancelled"):
            report(Progress(phase="evaluating", epoch=result.epochs_run, epochs=run.config.epochs,
                            history=result.history, samples_per_second=result.samples_per_second))
        timing = {"train_seconds": float(result.seconds), "samples_per_second": float(result.samples_per_second),
                  "epochs_run": float(result.epochs_run), "peak_rss_mb": float(memory.peak_mb)}
        if run.device.kind == "endpoint":  # it ran on that server: this process's memory is not the model's
            del timing["peak_rss_mb"]
        tracker.log_metrics(run_id, timing)
        if result.stopped_reason == "diverged":
            tracker.finish(run_id, "diverged", error="loss became NaN")
            raise result.diverged_error(run.config.learning_rate)
        if result.stopped_reason == "cancelled":
            tracker.finish(run_id, "cancelled")
            return RunOutcome(run_id, "cancelled", timing, result.history, run.device.name)
        return _evaluate_and_log(run, run_id, model, result, timing, tracker)
    except Cancelled:  # stopped while evaluating (an LLM scoring the test split item by item)
        tracker.finish(run_id, "cancelled")
        return RunOutcome(run_id, "cancelled", {}, {}, run.device.name)
    except TrainingError:
        raise
    except BaseException as error:  # noqa: BLE001 - record the failure, then let the job report it
        with contextlib.suppress(StudioError):  # epochs the store refused are lost with the training
            epoch_log.flush()
        with contextlib.suppress(StudioError):  # refused: the tracker ends the run once the store accepts writes
            tracker.finish(run_id, "failed", error=f"{type(error).__name__}: {error}")
        raise


def benchmark_specs(use_case: str, dataset: str, *, seed: int = 0,
                    dataset_kwargs: dict[str, Any] | None = None) -> list[TrainingSpec]:
    """One spec per candidate of a use case, each with its default budget, all on the same split.

    A pretrained candidate whose weights are neither cached nor downloadable (STUDIO_OFFLINE) is left out, and so
    is an LLM: it needs a model (and an endpoint, a key, prices) that only a person can name, and it may cost money.
    """
    return [
        TrainingSpec(use_case, dataset, candidate.id,
                     TrainConfig(epochs=candidate.default_epochs, batch_size=candidate.default_batch_size,
                                 learning_rate=candidate.default_learning_rate, seed=seed),
                     dict(dataset_kwargs or {}))
        for candidate in get_use_case(use_case).candidates
        if not candidate.asks_a_model
        and (not candidate.weights or weights_status(candidate.weights)[0] != "offline")
    ]


@dataclass
class TrainingJob:
    """A job function for core.training.jobs.JobQueue that runs `spec` and reports progress.

    Picklable, so a Ray worker can run it: `for_remote()` carries the app's settings and the bytes
    of uploaded files with it (the worker cannot read the app's disk); the worker stores them in
    its own data dir before training. A context may offer `run_tags` (which worker trained it).
    """

    spec: TrainingSpec
    tracker: Tracker
    settings: Settings | None = None
    uploads: dict[str, bytes] = field(default_factory=dict)

    def __call__(self, context: Any) -> RunOutcome:
        settings = self.settings
        spec = self.spec
        if self.uploads:
            settings = (settings or get_settings()).ensure_dirs()
            spec = replace(spec, dataset_kwargs=with_uploads(spec.dataset_kwargs, self.uploads, settings))
        return run_training(spec, tracker=self.tracker, report=context.report, cancel_event=context.cancelled,
                            on_run_id=context.set_run_id, settings=settings,
                            tags=getattr(context, "run_tags", None))

    @property
    def wants_gpu(self) -> bool:
        """A candidate whose backend may use a GPU (the device policy is not "cpu")."""
        settings = self.settings or get_settings()
        kind = get_use_case(self.spec.use_case).candidate(self.spec.candidate).kind
        return fitter_for(kind).uses_accelerator and settings.device_policy != "cpu"

    def for_remote(self) -> "TrainingJob":
        """This job with the app's settings and its uploaded files' bytes, ready to run on another machine."""
        settings = self.settings or get_settings()
        uploads = {name: path.read_bytes() for name, path in upload_files(self.spec.dataset_kwargs, settings).items()}
        return TrainingJob(self.spec, self.tracker, settings, uploads)


def make_training_job(spec: TrainingSpec, tracker: Tracker, *, settings: Settings | None = None) -> TrainingJob:
    """A job function for core.training.jobs.JobQueue that runs `spec` and reports progress."""
    return TrainingJob(spec, tracker, settings)
