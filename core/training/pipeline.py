"""One training run end to end: data, device, model, fit, evaluation, tracking.

This is what a background job executes. Everything it measures lands in MLflow, so the
Runs page, the model-selection page and the strategy planner read the same evidence.
"""

from __future__ import annotations

import contextlib

import hashlib
import json
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path, PureWindowsPath
from typing import Any, Callable

from core.config import Settings, get_settings
from core.data.dataset import Dataset
from core.errors import DataError, StudioError, TrainingError
from core.evaluation.memory import PeakMemory
from core.training.adapters import download_weights
from core.training.epoch_log import EpochLogger
from core.training.fitters import fitter_for
from core.training.runner import TrainConfig
from core.contract.registry import get_use_case

EVALUATION_FILE = "evaluation.json"
DATASET_FILE = "dataset.json"
# dataset_kwargs key naming an upload's original file ("german_credit.csv"): recorded with the run so
# people can tell uploads apart (the stored copy is named by a hash); never passed to the loader.
UPLOAD_NAME = "upload_name"


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


def store_upload(data: bytes, *, suffix: str = ".zip", settings: Settings | None = None) -> Path:
    """Keep an uploaded file under the data dir, named by content hash, so its runs can be re-evaluated."""
    settings = settings or get_settings()
    uploads = settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    path = uploads / f"{hashlib.sha256(data).hexdigest()[:20]}{suffix}"
    if not path.exists():
        path.write_bytes(data)
    return path


_DATASET_CACHE: dict[tuple, Dataset] = {}
_DATASET_LOCK = threading.Lock()


def load_dataset(use_case: str, dataset: str, *, seed: int = 0, **kwargs: Any) -> Dataset:
    """Load (and keep in memory) a use case's dataset; uploads are passed as a stored file path."""
    kwargs = loader_kwargs(kwargs)
    key = (use_case, dataset, seed, json.dumps(kwargs, sort_keys=True, default=str))
    with _DATASET_LOCK:
        cached = _DATASET_CACHE.get(key)
    if cached is not None:
        return cached
    source = get_use_case(use_case).dataset(dataset)
    available, reason_key = source.is_available()
    if not available:
        raise DataError(reason_key or "errors.data.source_unavailable", source=dataset)
    loaded = source.load(seed=seed, **kwargs)
    with _DATASET_LOCK:
        if len(_DATASET_CACHE) > 8:
            _DATASET_CACHE.clear()
        _DATASET_CACHE[key] = loaded
    return loaded


def loader_kwargs(dataset_kwargs: dict[str, Any]) -> dict[str, Any]:
    """dataset_kwargs without what only describes the data for people (the upload's file name)."""
    return {name: value for name, value in dataset_kwargs.items() if name != UPLOAD_NAME}


def dataset_tags(dataset: Dataset, dataset_kwargs: dict[str, Any]) -> dict[str, str]:
    """Tags that tell a run's data apart: split fingerprint, title, kind, an upload's file name, example count."""
    from core.tracking.records import (TAG_DATASET_ROWS, TAG_DATASET_TITLE, TAG_FINGERPRINT, TAG_SOURCE_KIND,
                                       TAG_SOURCE_NAME)

    tags = {TAG_FINGERPRINT: dataset.fingerprint, TAG_DATASET_TITLE: dataset.title,
            TAG_SOURCE_KIND: dataset.source_kind, TAG_DATASET_ROWS: str(sum(dataset.sizes.values()))}
    name = str(dataset_kwargs.get(UPLOAD_NAME) or "").strip()
    if name:
        tags[TAG_SOURCE_NAME] = PureWindowsPath(name).name  # a browser may send a path (either slash); keep the name
    return tags


def user_tags(user: str | None) -> dict[str, str]:
    """The tag naming who asked for a run; none (the tracker records the OS user) when nobody signed in."""
    from core.tracking.records import TAG_USER

    return {TAG_USER: user} if user else {}


def _final_history_metrics(history: dict[str, list[float]]) -> dict[str, float]:
    return {f"final_{name}": float(values[-1]) for name, values in history.items() if values}


def evaluate_model(model: Any, kind: str, dataset: Dataset, *, use_case: str, latency: bool = True) -> dict[str, Any]:
    """Test-set evaluation of a trained model by its use case's adapter."""
    return get_use_case(use_case).task_adapter().evaluate(model, kind, dataset, latency=latency)


def run_training(
    spec: TrainingSpec,
    *,
    tracker: Any,
    report: Callable[[Any], None] | None = None,
    cancel_event: threading.Event | None = None,
    on_run_id: Callable[[str], None] | None = None,
    settings: Settings | None = None,
    tags: dict[str, str] | None = None,
) -> RunOutcome:
    """Train one candidate on one dataset, evaluate it on the test split and log everything.

    `tags` go on the run as well (e.g. the Ray worker that trained it).
    """
    from core.training.device import configure_device, host_device

    settings = settings or get_settings()
    report = report or (lambda progress: None)
    cancel_event = cancel_event or threading.Event()
    use_case = get_use_case(spec.use_case)
    candidate = use_case.candidate(spec.candidate)
    adapter = use_case.task_adapter()
    fitter = fitter_for(candidate.kind)
    config = fitter.run_config(spec.config)  # scikit-learn: one pass
    config.validate()

    dataset = load_dataset(spec.use_case, spec.dataset, seed=config.seed, **spec.dataset_kwargs)
    subset_tags = {}
    if spec.train_fraction < 1.0:  # hidden from the runs list (Tracker.list_runs): a learning-curve point
        from core.training.subsets import training_subset
        from core.tracking.records import TAG_TRAIN_FRACTION

        dataset = training_subset(dataset, spec.train_fraction, seed=config.seed)
        subset_tags = {TAG_TRAIN_FRACTION: str(spec.train_fraction)}
    # TensorFlow is imported (by configure_device) only for a backend that can use an accelerator (Keras):
    # scikit-learn fits on the CPU whatever the policy, without an import that costs tens of seconds under load
    device = (configure_device(settings.device_policy, mixed_precision=settings.mixed_precision)
              if fitter.uses_accelerator else host_device(settings.device_policy))
    if candidate.weights:  # a one-time download, shown as a progress bar; offline: fails before any run is logged
        download_weights(candidate, report)
    params = {
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
        **adapter.describe(dataset),
        **{f"hp_{name}": value for name, value in candidate.hparams.items()},
        **({"pretrained": candidate.pretrained} if candidate.pretrained else {}),
        **{f"data_{name}": value for name, value in spec.dataset_kwargs.items()},
    }
    run_id = tracker.start_run(
        use_case=spec.use_case,
        dataset=spec.dataset,
        model=spec.candidate,
        params=params,
        tags={**device.as_tags(), **dataset_tags(dataset, spec.dataset_kwargs), **user_tags(spec.user),
              **subset_tags, **(tags or {})},
    )
    if on_run_id:
        on_run_id(run_id)
    if not getattr(tracker, "is_local", True):  # a shared server: other replicas and workers fetch the upload from the run
        for name, path in _upload_files(spec.dataset_kwargs, settings).items():
            tracker.log_artifact(run_id, path, artifact_path=UPLOADS_ARTIFACT)
    tracker.log_dict(run_id, {
        "id": dataset.id, "title": dataset.title, "provenance": dataset.provenance,
        "licence": dataset.licence, "class_names": list(dataset.class_names),
        "sizes": dataset.sizes, "fingerprint": dataset.fingerprint, "kwargs": spec.dataset_kwargs,
    }, DATASET_FILE)

    epoch_log = EpochLogger(tracker, run_id)

    def on_progress(progress: Any) -> None:
        epoch_log.update(progress.history or {})
        report(progress)

    try:
        with PeakMemory() as memory:
            fitter.seed(config.seed)  # initial weights follow the run's seed too
            model = adapter.build(candidate, dataset, seed=config.seed)
            with fitter.scope(device):
                result = adapter.fit(model, candidate, dataset, config, on_progress=on_progress,
                                     cancel_event=cancel_event)
        epoch_log.update(result.history)
        epoch_log.flush()
        if result.stopped_reason not in ("diverged", "cancelled"):
            from core.training.runner import Progress

            report(Progress(phase="evaluating", epoch=result.epochs_run, epochs=config.epochs,
                            history=result.history, samples_per_second=result.samples_per_second))
        timing = {"train_seconds": float(result.seconds), "samples_per_second": float(result.samples_per_second),
                  "epochs_run": float(result.epochs_run), "peak_rss_mb": float(memory.peak_mb)}
        tracker.log_metrics(run_id, timing)
        if result.stopped_reason == "diverged":
            tracker.finish(run_id, "diverged", error="loss became NaN")
            raise result.diverged_error(config.learning_rate)
        if result.stopped_reason == "cancelled":
            tracker.finish(run_id, "cancelled")
            return RunOutcome(run_id, "cancelled", timing, result.history, device.name)

        from core.models.io import model_size_bytes, parameter_count, save_model

        evaluation = adapter.evaluate(model, candidate.kind, dataset)
        with tempfile.TemporaryDirectory() as tmp:
            model_file = save_model(model, Path(tmp))
            size = model_size_bytes(model_file)
            tracker.log_artifact(run_id, model_file, artifact_path="model")
        metrics = {
            **adapter.metrics(evaluation),
            **_final_history_metrics(result.history),
            **timing,
            "parameters": float(parameter_count(model)),
            "model_size_bytes": float(size),
        }
        throughput = adapter.throughput(model, candidate.kind, dataset)
        if throughput is not None:
            metrics["batch_throughput"] = float(throughput)
        tracker.log_metrics(run_id, metrics)
        tracker.log_dict(run_id, evaluation, EVALUATION_FILE)
        status = "completed"
        tracker.finish(run_id, status)
        return RunOutcome(run_id, status, metrics, result.history, device.name, evaluation)
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

    A pretrained candidate whose weights are neither cached nor downloadable (STUDIO_OFFLINE) is left out.
    """
    from core.models.weights import weights_status

    return [
        TrainingSpec(use_case, dataset, candidate.id,
                     TrainConfig(epochs=candidate.default_epochs, batch_size=candidate.default_batch_size,
                                 learning_rate=candidate.default_learning_rate, seed=seed),
                     dict(dataset_kwargs or {}))
        for candidate in get_use_case(use_case).candidates
        if not candidate.weights or weights_status(candidate.weights)[0] != "offline"
    ]


@dataclass
class TrainingJob:
    """A job function for core.training.jobs.JobQueue that runs `spec` and reports progress.

    Picklable, so a Ray worker can run it: `for_remote()` carries the app's settings and the bytes
    of uploaded files with it (the worker cannot read the app's disk); the worker stores them in
    its own data dir before training. A context may offer `run_tags` (which worker trained it).
    """

    spec: TrainingSpec
    tracker: Any
    settings: Settings | None = None
    uploads: dict[str, bytes] = field(default_factory=dict)

    def __call__(self, context: Any) -> RunOutcome:
        settings = self.settings
        spec = self.spec
        if self.uploads:
            settings = (settings or get_settings()).ensure_dirs()
            spec = replace(spec, dataset_kwargs=_with_uploads(spec.dataset_kwargs, self.uploads, settings))
        return run_training(spec, tracker=self.tracker, report=context.report, cancel_event=context.cancelled,
                            on_run_id=context.set_run_id, settings=settings,
                            tags=getattr(context, "run_tags", None))

    @property
    def wants_gpu(self) -> bool:
        """A Keras candidate that may use a GPU (the device policy is not "cpu")."""
        settings = self.settings or get_settings()
        kind = get_use_case(self.spec.use_case).candidate(self.spec.candidate).kind
        return fitter_for(kind).uses_accelerator and settings.device_policy != "cpu"

    def for_remote(self) -> "TrainingJob":
        """This job with the app's settings and its uploaded files' bytes, ready to run on another machine."""
        settings = self.settings or get_settings()
        uploads = {name: path.read_bytes() for name, path in _upload_files(self.spec.dataset_kwargs, settings).items()}
        return TrainingJob(self.spec, self.tracker, settings, uploads)


def make_training_job(spec: TrainingSpec, tracker: Any, *, settings: Settings | None = None) -> TrainingJob:
    """A job function for core.training.jobs.JobQueue that runs `spec` and reports progress."""
    return TrainingJob(spec, tracker, settings)


UPLOADS_ARTIFACT = "uploads"


def _upload_files(dataset_kwargs: dict[str, Any], settings: Settings) -> dict[str, Path]:
    """{file name: path} of the stored uploads (see store_upload) a dataset's arguments name."""
    uploads = (settings.data_dir / "uploads").resolve()
    found = {}
    for value in dataset_kwargs.values():
        if isinstance(value, (str, Path)) and str(value):
            path = Path(value)
            if path.is_file() and path.resolve().parent == uploads:
                found[path.name] = path
    return found


def _with_uploads(dataset_kwargs: dict[str, Any], uploads: dict[str, bytes], settings: Settings) -> dict[str, Any]:
    """Store carried upload bytes in this machine's data dir and point the dataset's arguments at them."""
    local = {}
    for name, data in uploads.items():
        path = store_upload(data, suffix="".join(Path(name).suffixes), settings=settings)
        local[name] = str(path)
    return {key: local.get(Path(value).name, value) if isinstance(value, (str, Path)) else value
            for key, value in dataset_kwargs.items()}


def _local_uploads(tracker: Any, run_id: str, dataset_kwargs: dict[str, Any]) -> dict[str, Any]:
    """A run's dataset arguments with upload paths this machine cannot see replaced by local copies.

    The copy is this data dir's stored upload of the same name (uploads are named by content
    hash), else the file the run logged to the shared tracking server.
    """
    settings = get_settings()
    resolved = dict(dataset_kwargs)
    for key, value in dataset_kwargs.items():
        path = Path(value) if isinstance(value, str) else None
        if path is None or not path.is_absolute() or path.parent.name != "uploads" or path.exists():
            continue
        name = path.name
        local = settings.data_dir / "uploads" / name
        if not local.exists():
            try:
                fetched = tracker.artifact_file(run_id, f"{UPLOADS_ARTIFACT}/{name}")
            except StudioError:
                continue
            store_upload(fetched.read_bytes(), suffix="".join(Path(name).suffixes), settings=settings)
        resolved[key] = str(local)
    return resolved


def load_run_model(tracker: Any, run_id: str) -> Any:
    """The model a run saved, loaded safely (Keras safe_mode on)."""
    from core.models.io import load_model

    return load_model(tracker.model_path(run_id))


def run_data_choice(tracker: Any, run_id: str, *, record: Any = None) -> tuple[str, int, dict[str, Any]]:
    """(source id, seed, dataset arguments) a run was trained on, its upload as a file on this machine: what
    load_dataset needs to build the same split again (to re-evaluate it, or to train more on the same data)."""
    record = record if record is not None else tracker.record(run_id)
    try:
        kwargs = tracker.load_dict(run_id, DATASET_FILE).get("kwargs", {})
    except (StudioError, OSError):
        kwargs = {}  # every run writes dataset.json; without it a bundled source still loads
    return record.params["dataset"], record.seed, _local_uploads(tracker, run_id, kwargs)


def load_run_dataset(tracker: Any, run_id: str, *, record: Any = None) -> Dataset:
    """The dataset (same source, seed and upload) a run was trained and tested on."""
    record = record if record is not None else tracker.record(run_id)
    source, seed, kwargs = run_data_choice(tracker, run_id, record=record)
    return load_dataset(record.params["use_case"], source, seed=seed, **kwargs)


def reevaluate_run(tracker: Any, run_id: str) -> dict[str, Any]:
    """Reload a run's model and data split and evaluate it again on the test set."""
    record = tracker.record(run_id)
    dataset = load_run_dataset(tracker, run_id, record=record)
    model = load_run_model(tracker, run_id)
    evaluation = evaluate_model(model, record.model_kind, dataset, use_case=record.params["use_case"])
    evaluation["same_data"] = record.fingerprint == dataset.fingerprint
    return evaluation


def import_model_run(
    *, tracker: Any, use_case: str, dataset: str, model_bytes: bytes, filename: str, seed: int = 0,
    dataset_kwargs: dict[str, Any] | None = None, user: str | None = None,
) -> RunOutcome:
    """Evaluate an uploaded .keras model on a dataset's test split and track it as an imported run (by `user`)."""
    from core.models.io import load_model_from_bytes, parameter_count
    from core.tracking.records import TAG_DEVICE

    model = load_model_from_bytes(model_bytes, filename=filename)
    data = load_dataset(use_case, dataset, seed=seed, **(dataset_kwargs or {}))
    adapter = get_use_case(use_case).task_adapter()
    adapter.check_imported(model, data)
    run_id = tracker.start_run(
        use_case=use_case, dataset=dataset, model="imported",
        params={"use_case": use_case, "dataset": dataset, "model": "imported", "model_kind": "keras",
                "seed": seed, "source_file": filename, "test_size": len(data.y_test),
                **{f"data_{k}": v for k, v in (dataset_kwargs or {}).items()}},
        tags={TAG_DEVICE: "-", **dataset_tags(data, dataset_kwargs or {}), **user_tags(user)},
    )
    try:
        tracker.log_dict(run_id, {"id": data.id, "title": data.title, "kwargs": dataset_kwargs or {},
                                  "fingerprint": data.fingerprint}, DATASET_FILE)
        evaluation = adapter.evaluate(model, "keras", data)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / (Path(filename).name or "model.keras")
            path.write_bytes(model_bytes)
            tracker.log_artifact(run_id, path, artifact_path="model")
        metrics = {**adapter.metrics(evaluation), "parameters": float(parameter_count(model)),
                   "model_size_bytes": float(len(model_bytes))}
        tracker.log_metrics(run_id, metrics)
        tracker.log_dict(run_id, evaluation, EVALUATION_FILE)
        tracker.finish(run_id, "completed")
        return RunOutcome(run_id, "completed", metrics, {}, "-", evaluation)
    except BaseException as error:
        tracker.finish(run_id, "failed", error=f"{type(error).__name__}: {error}")
        raise
