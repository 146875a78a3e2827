"""The task-adapter seam: a use case's own adapter hands the fitters its inputs and evaluates, inside the pipeline."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import get_settings
from core.data.dataset import Dataset
from core.tracking.run_files import EVALUATION_FILE
from core.training.adapters import ClassificationAdapter, first_rows
from core.training.fitters import TaskInputs
from core.training.pipeline import run_training, TrainingSpec
from core.contract import registry
from core.contract.usecase import Candidate, DatasetSource, UseCase


def _table_dataset(seed: int = 0, **_: object) -> Dataset:
    """A dict-of-columns dataset: y = 1 when income > debt (a rule a tree learns exactly)."""
    rng = np.random.default_rng(seed)
    def split(n):
        columns = {"income": rng.uniform(0, 10, n), "debt": rng.uniform(0, 10, n)}
        return columns, (columns["income"] > columns["debt"]).astype(np.int64)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = split(200), split(50), split(100)
    return Dataset("table", "Toy table", "binary", x_train, y_train, x_val, y_val, x_test, y_test,
                   ("good", "bad"), "bundled", "generated in the test", "CC0", seed)


class RecordingAdapter(ClassificationAdapter):
    """Stacks the columns for a scikit-learn tree and records every call the pipeline makes."""

    def __init__(self):
        self.calls: list[str] = []

    def describe(self, dataset):
        self.calls.append("describe")
        return {"columns": ",".join(sorted(dataset.x_train))}

    def inputs(self, candidate, dataset):
        self.calls.append("inputs")
        stack = lambda x: np.column_stack([x["income"], x["debt"]])  # noqa: E731
        return TaskInputs(stack(dataset.x_train), dataset.y_train, stack(dataset.x_val), dataset.y_val,
                          labels=tuple(dataset.class_names), hparams={**candidate.hparams, "max_depth": 8})

    def curves(self, history):
        self.calls.append("curves")
        return {**history, "loss_doubled": [2 * value for value in history.get("loss", [])]}

    def evaluate(self, model, kind, dataset, *, latency=True):
        self.calls.append("evaluate")
        predicted = model.predict(np.column_stack([dataset.x_test["income"], dataset.x_test["debt"]]))
        return {"accuracy": float(np.mean(predicted == dataset.y_test)), "rows": len(predicted),
                "max_depth": model.get_params()["max_depth"], "random_state": model.get_params()["random_state"]}

    def metrics(self, evaluation):
        return {"test_accuracy": evaluation["accuracy"], "test_rows": float(evaluation["rows"])}

    def throughput(self, model, kind, dataset):
        return 1234.0


RECORDING = RecordingAdapter()


@pytest.fixture()
def table_use_case(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    use_case = UseCase(
        "table_test", "usecases.vision.title", "usecases.vision.value", "binary", "test_accuracy", "available",
        datasets=(DatasetSource("toy", "datasets.digits.title", "bundled",
                                f"{__name__}:_table_dataset"),),
        candidates=(Candidate("tree", "models.logreg.name", "models.logreg.description", "sklearn",
                              "sklearn.tree:DecisionTreeClassifier"),),
        adapter=f"{__name__}:RECORDING",
    )
    monkeypatch.setitem(registry.USE_CASES, use_case.id, use_case)
    RECORDING.calls.clear()
    yield use_case
    get_settings.cache_clear()


def test_pipeline_delegates_build_fit_evaluate_to_the_use_cases_adapter(table_use_case):
    from core.tracking.store import tracker_from_settings

    tracker = tracker_from_settings(get_settings())
    outcome = run_training(TrainingSpec("table_test", "toy", "tree"), tracker=tracker)
    # the pipeline asks the adapter for inputs, the scikit-learn fitter builds and fits on them (the tree gets
    # random_state from the fitter and max_depth from the task's hparams), the adapter names the curves
    calls = [call for index, call in enumerate(RECORDING.calls) if call != "curves" or RECORDING.calls[index - 1] != "curves"]
    assert calls == ["describe", "inputs", "curves", "evaluate"]
    assert outcome.status == "completed"
    assert outcome.history["loss_doubled"] == [2 * outcome.history["loss"][0]]
    assert outcome.evaluation["max_depth"] == 8 and outcome.evaluation["random_state"] == 0
    assert outcome.metrics["test_rows"] == 100.0
    assert outcome.metrics["test_accuracy"] > 0.9  # a depth-8 tree learns income > debt
    assert outcome.metrics["batch_throughput"] == 1234.0
    run = tracker.get_run(outcome.run_id)
    assert run.data.params["columns"] == "debt,income"
    assert tracker.load_dict(outcome.run_id, EVALUATION_FILE)["rows"] == 100


def test_image_use_cases_keep_the_default_adapter():
    from core.usecases.vision.adapter import ADAPTER as IMAGE_CLASSIFICATION

    assert registry.get_use_case("vision").task_adapter() is IMAGE_CLASSIFICATION


def test_fingerprint_of_column_dicts_and_text_arrays_is_by_content():
    first, again = _table_dataset(seed=1), _table_dataset(seed=1)
    assert first.fingerprint == again.fingerprint
    assert first.fingerprint != _table_dataset(seed=2).fingerprint
    assert first.input_shape == ()
    texts = np.array(["good food", "bad", None], dtype=object)
    def text_dataset(values):
        y = np.array([0, 1, 0])
        return Dataset("t", "t", "binary", values, y, values, y, values, y, ("a", "b"), "bundled", "", "")
    copy = np.array([str("good ") + "food", "bad", None], dtype=object)  # equal values, other objects
    assert text_dataset(texts).fingerprint == text_dataset(copy).fingerprint
    changed = np.array(["good food", "bad!", None], dtype=object)
    assert text_dataset(texts).fingerprint != text_dataset(changed).fingerprint


def test_first_rows_slices_arrays_and_column_dicts():
    assert first_rows(np.arange(5), 2).tolist() == [0, 1]
    rows = first_rows({"a": [1, 2, 3], "b": np.array(["x", "y", "z"])}, 2)
    assert rows["a"].tolist() == [1, 2] and rows["b"].tolist() == ["x", "y"]


def test_dataset_dataclass_is_unchanged_for_images():
    dataset = _table_dataset()
    assert dataclasses.fields(dataset)[0].name == "id"
