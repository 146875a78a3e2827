"""What a finished run saved, read back: its model and the very split it trained on; evaluated again; and a
saved .keras model imported as a run of its own."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config import get_settings
from core.contract.registry import get_use_case
from core.data.cache import UPLOAD_NAME, load_dataset
from core.data.dataset import Dataset
from core.data.uploads import store_upload, uploads_dir
from core.errors import ModelLoadError, StudioError
from core.llm.classifier import LLMClassifier
from core.models.io import LLM_FILENAME, load_model, load_model_from_bytes, parameter_count
from core.tracking.records import TAG_DEVICE, RunRecord, dataset_tags, user_tags
from core.tracking.run_files import DATASET_FILE, EVALUATION_FILE, MODEL_ARTIFACT, UPLOADS_ARTIFACT
from core.training.pipeline import RunOutcome

if TYPE_CHECKING:
    from core.tracking.store import Tracker


def evaluate_model(model: Any, kind: str, dataset: Dataset, *, use_case: str, latency: bool = True) -> dict[str, Any]:
    """Test-set evaluation of a trained model by its use case's adapter."""
    return get_use_case(use_case).task_adapter().evaluate(model, kind, dataset, latency=latency)


def local_uploads(tracker: Tracker, run_id: str, dataset_kwargs: dict[str, Any]) -> dict[str, Any]:
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
        local = uploads_dir(settings) / name
        if not local.exists():
            try:
                fetched = tracker.artifact_file(run_id, f"{UPLOADS_ARTIFACT}/{name}")
            except StudioError:
                continue
            store_upload(fetched.read_bytes(), suffix="".join(Path(name).suffixes), settings=settings)
        resolved[key] = str(local)
    return resolved


def load_run_model(tracker: Tracker, run_id: str) -> Any:
    """The model a run saved, loaded safely (Keras safe_mode on); an LLM candidate from its settings and examples
    (model.llm.json), which opens its model again when asked."""
    path = tracker.model_path(run_id)
    if path.name.endswith(LLM_FILENAME):
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
            if spec.get("kind") == "llm_embedding":
                from core.llm.embedding import LLMEmbeddingClassifier

                return LLMEmbeddingClassifier.from_spec(spec)
            return LLMClassifier.from_spec(spec)
        except (ValueError, KeyError, TypeError) as error:
            raise ModelLoadError("errors.model.unsupported_format", name=path.name, suffix=".json") from error
    return load_model(path)


def run_data_choice(tracker: Tracker, run_id: str, *, record: RunRecord | None = None
                    ) -> tuple[str, int, dict[str, Any]]:
    """(source id, seed, dataset arguments) a run was trained on, its upload as a file on this machine: what
    load_dataset needs to build the same split again (to re-evaluate it, or to train more on the same data)."""
    record = record if record is not None else tracker.record(run_id)
    try:
        kwargs = tracker.load_dict(run_id, DATASET_FILE).get("kwargs", {})
    except (StudioError, OSError):
        kwargs = {}  # every run writes dataset.json; without it a bundled source still loads
    return record.params["dataset"], record.seed, local_uploads(tracker, run_id, kwargs)


def load_run_dataset(tracker: Tracker, run_id: str, *, record: RunRecord | None = None) -> Dataset:
    """The dataset (same source, seed and upload) a run was trained and tested on."""
    record = record if record is not None else tracker.record(run_id)
    source, seed, kwargs = run_data_choice(tracker, run_id, record=record)
    return load_dataset(record.params["use_case"], source, seed=seed, **kwargs)


def reevaluate_run(tracker: Tracker, run_id: str) -> dict[str, Any]:
    """Reload a run's model and data split and evaluate it again on the test set."""
    record = tracker.record(run_id)
    dataset = load_run_dataset(tracker, run_id, record=record)
    model = load_run_model(tracker, run_id)
    evaluation = evaluate_model(model, record.model_kind, dataset, use_case=record.params["use_case"])
    evaluation["same_data"] = record.fingerprint == dataset.fingerprint
    return evaluation


def import_model_run(
    *, tracker: Tracker, use_case: str, dataset: str, model_bytes: bytes, filename: str, seed: int = 0,
    dataset_kwargs: dict[str, Any] | None = None, user: str | None = None,
) -> RunOutcome:
    """Evaluate an uploaded .keras model on a dataset's test split and track it as an imported run (by `user`)."""
    model = load_model_from_bytes(model_bytes, filename=filename)
    data = load_dataset(use_case, dataset, seed=seed, **(dataset_kwargs or {}))
    adapter = get_use_case(use_case).task_adapter()
    adapter.check_imported(model, data)
    run_id = tracker.start_run(
        use_case=use_case, dataset=dataset, model="imported",
        params={"use_case": use_case, "dataset": dataset, "model": "imported", "model_kind": "keras",
                "seed": seed, "source_file": filename, "test_size": len(data.y_test),
                **{f"data_{k}": v for k, v in (dataset_kwargs or {}).items()}},
        tags={TAG_DEVICE: "-", **dataset_tags(data, (dataset_kwargs or {}).get(UPLOAD_NAME, "")),
              **user_tags(user)},
    )
    try:
        tracker.log_dict(run_id, {"id": data.id, "title": data.title, "kwargs": dataset_kwargs or {},
                                  "fingerprint": data.fingerprint}, DATASET_FILE)
        evaluation = adapter.evaluate(model, "keras", data)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / (Path(filename).name or "model.keras")
            path.write_bytes(model_bytes)
            tracker.log_artifact(run_id, path, artifact_path=MODEL_ARTIFACT)
        metrics = {**adapter.metrics(evaluation), "parameters": float(parameter_count(model)),
                   "model_size_bytes": float(len(model_bytes))}
        tracker.log_metrics(run_id, metrics)
        tracker.log_dict(run_id, evaluation, EVALUATION_FILE)
        tracker.finish(run_id, "completed")
        return RunOutcome(run_id, "completed", metrics, {}, "-", evaluation)
    except BaseException as error:
        tracker.finish(run_id, "failed", error=f"{type(error).__name__}: {error}")
        raise
