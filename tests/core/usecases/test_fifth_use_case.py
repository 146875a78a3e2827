"""A fifth use case is one package, one registry line and its own catalogs: nothing else in the studio changes.

The test writes a toy package, `toyiris` (Fisher's iris, bundled with scikit-learn), under tmp_path, puts it on
sys.path, registers it with the one line a real package gets in core.contract.registry.PACKAGES, and trains
both of its candidates through the studio's real pipeline into an embedded SQLite tracker.
"""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

from core import i18n
from core.config import get_settings
from core.contract import registry

PACKAGE = {
    "__init__.py": '''
        """Toy use case: iris species from four flower measurements (the declaration; no TensorFlow)."""

        from core.contract.usecase import Candidate, DatasetSource, UseCase

        USE_CASE = UseCase(
            id="toyiris",
            title_key="toyiris.title",
            value_key="toyiris.value",
            task="multiclass",
            primary_metric="test_accuracy",
            status="available",
            baseline="logreg",
            adapter="toyiris.adapter:ADAPTER",
            datasets=(DatasetSource("iris", "toyiris.datasets.iris.title", "bundled", "toyiris.data:load_iris"),),
            candidates=(
                Candidate("logreg", "models.logreg.name", "models.logreg.description", "sklearn",
                          "core.models.baselines:build_logistic_regression", default_epochs=1),
                Candidate("mlp", "toyiris.models.mlp.name", "toyiris.models.mlp.description", "keras",
                          "toyiris.models:build_mlp", default_epochs=2, default_batch_size=8,
                          default_learning_rate=0.05),
            ),
        )
    ''',
    "data.py": '''
        """Iris (150 flowers, 3 species) from scikit-learn: stratified train/val/test, standardised on train."""

        from core.data.dataset import Dataset, split_stratified


        def load_iris(*, seed=0):
            from sklearn.datasets import load_iris as sklearn_iris

            iris = sklearn_iris()
            x_train, y_train, x_val, y_val, x_test, y_test = split_stratified(
                iris.data.astype("float32"), iris.target.astype("int64"), test_size=0.3, val_size=0.2,
                random_state=seed)
            mean, std = x_train.mean(axis=0), x_train.std(axis=0)
            scale = lambda x: (x - mean) / std  # noqa: E731
            return Dataset("iris", "Iris flowers", "multiclass", scale(x_train), y_train, scale(x_val), y_val,
                           scale(x_test), y_test, tuple(iris.target_names), "bundled",
                           "Fisher (1936) via scikit-learn's load_iris", "BSD-3-Clause", seed)
    ''',
    "models.py": '''
        """The toy's Keras candidate (its baseline is the studio's logistic regression)."""


        def build_mlp(input_shape, num_classes, *, units=16):
            import keras

            inputs = keras.Input(shape=tuple(input_shape))
            hidden = keras.layers.Dense(units, activation="relu")(inputs)
            outputs = keras.layers.Dense(num_classes, activation="softmax")(hidden)
            return keras.Model(inputs, outputs, name="toyiris_mlp")
    ''',
    "adapter.py": '''
        from core.training.adapters import ClassificationAdapter

        ADAPTER = ClassificationAdapter()
    ''',
    "i18n/en.yaml": '''
        toyiris:
          title: Iris species
          value: Tell three iris species apart from four measurements
          datasets: {iris: {title: Iris flowers (bundled)}}
          models: {mlp: {name: Small neural network, description: One hidden layer of 16 units}}
    ''',
    "i18n/zh.yaml": '''
        toyiris:
          title: 鸢尾花种类
          value: 根据四项测量区分三种鸢尾花
          datasets: {iris: {title: 鸢尾花数据（内置）}}
          models: {mlp: {name: 小型神经网络, description: 一个含 16 个单元的隐藏层}}
    ''',
}


@pytest.fixture()
def toyiris(tmp_path, monkeypatch):
    """The toy package on sys.path, registered; the registry, catalogs and settings restored afterwards."""
    for name, text in PACKAGE.items():
        path = tmp_path / "toyiris" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "USE_CASES", dict(registry.USE_CASES))
    monkeypatch.setattr(i18n, "_PACKAGE_DIRS", list(i18n._PACKAGE_DIRS))
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("STUDIO_ARTIFACT_DIR", raising=False)
    get_settings.cache_clear()

    use_case = registry.register("toyiris")  # the one registry line

    yield use_case
    monkeypatch.undo()
    i18n.catalog.cache_clear()
    get_settings.cache_clear()
    for name in [name for name in sys.modules if name == "toyiris" or name.startswith("toyiris.")]:
        del sys.modules[name]


def test_a_registered_package_is_a_use_case_with_its_own_catalogs(toyiris):
    assert registry.get_use_case("toyiris") is toyiris
    assert list(registry.USE_CASES)[-1] == "toyiris"  # shown after the four built-in ones
    assert i18n.translate("toyiris.title", "en") == "Iris species"
    assert i18n.translate("toyiris.title", "zh") == "鸢尾花种类"
    assert set(i18n.catalog("en")) - set(i18n.catalog("zh")) == set()  # the package ships both languages
    assert registry.model_title("toyiris", "mlp", "zh") == "小型神经网络"
    assert registry.register("toyiris") is toyiris  # registering twice is harmless


def test_a_second_package_cannot_take_a_known_id(toyiris, tmp_path):
    clash = tmp_path / "toyclash"
    clash.mkdir()
    (clash / "__init__.py").write_text("from toyiris import USE_CASE as _TOY\nimport dataclasses\n"
                                       "USE_CASE = dataclasses.replace(_TOY)\n", encoding="utf-8")
    try:
        with pytest.raises(ValueError, match="'toyiris' is taken"):
            registry.register("toyclash")
    finally:
        sys.modules.pop("toyclash", None)


@pytest.mark.slow
def test_both_candidates_train_through_the_real_pipeline(toyiris):
    from sklearn.linear_model import LogisticRegression

    from core.tracking.store import tracker_from_settings
    from core.data.cache import load_dataset
    from core.training.pipeline import run_training, TrainingSpec
    from core.training.runner import TrainConfig

    tracker = tracker_from_settings(get_settings())
    outcomes = {}
    for candidate in toyiris.candidates:
        config = TrainConfig(epochs=candidate.default_epochs, batch_size=candidate.default_batch_size,
                             learning_rate=candidate.default_learning_rate, seed=0)
        outcomes[candidate.id] = run_training(TrainingSpec("toyiris", "iris", candidate.id, config=config),
                                              tracker=tracker)

    assert {outcome.status for outcome in outcomes.values()} == {"completed"}
    # Independent reference: the same split, a plain scikit-learn logistic regression.
    data = load_dataset("toyiris", "iris", seed=0)
    reference = LogisticRegression(max_iter=1000).fit(data.x_train, data.y_train).score(data.x_test, data.y_test)
    assert len(data.y_test) == 45 and reference > 0.9
    assert outcomes["logreg"].metrics["test_accuracy"] == pytest.approx(reference, abs=1 / 45 + 1e-9)
    assert outcomes["mlp"].metrics["test_accuracy"] > 0.7  # chance is 1/3; two epochs of 14 small steps
    assert len(outcomes["mlp"].history["loss"]) == 2
    assert np.all(np.diff(outcomes["mlp"].history["loss"]) < 0)  # the network learned in both epochs

    runs = tracker.list_runs(use_case="toyiris")
    assert sorted(runs["model"]) == ["logreg", "mlp"]
    assert set(runs["use_case"]) == {"toyiris"} and set(runs["status"]) == {"completed"}
    assert tracker.record(outcomes["mlp"].run_id).use_case == "toyiris"
