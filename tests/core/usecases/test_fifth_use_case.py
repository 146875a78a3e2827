"""A fifth use case is one package, one registry line and its own catalogs: nothing else in the studio changes.

The test writes a toy package, `toyiris` (Fisher's iris, bundled with scikit-learn), under tmp_path, puts it on
sys.path, registers it with the one line a real package gets in core.contract.registry.PACKAGES, and trains
both of its candidates through the studio's real pipeline into an embedded SQLite tracker. Its declaration's
payoff kind, unit and strategy defaults take it to the Strategy planner and the business case: the planner
measures it on those runs, and its value in money is computed from the predictions they stored.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core import i18n
from core.config import get_settings
from core.contract import registry

APP_PATH = Path(__file__).resolve().parents[3] / "dashboard" / "app.py"

PACKAGE = {
    "__init__.py": '''
        """Toy use case: iris species from four flower measurements (the declaration; no TensorFlow)."""

        from core.contract.usecase import Candidate, DatasetSource, StrategyDefaults, UseCase

        USE_CASE = UseCase(
            id="toyiris",
            title_key="toyiris.title",
            value_key="toyiris.value",
            task="multiclass",
            primary_metric="test_accuracy",
            status="available",
            baseline="logreg",
            adapter="toyiris.adapter:ADAPTER",
            payoff="classification",  # automate the flowers it is sure of (the default kind, said here to be read)
            unit_key="toyiris.rows",
            strategy=StrategyDefaults(
                scores={"value": 2, "feasibility": 3, "data": 5, "compute": 5},
                risks={"privacy": 1, "explainability": 2, "fairness": 1, "security": 1},
                rows=150, quality=5, requests_per_day=100, retrains_per_year=1,
                # A botanist names a flower for 2.00; a wrong automatic name costs 20.00 to put right.
                payoff={"manual_cost": 2.0, "error_cost": 20.0, "items_per_year": 10000, "target_precision": 0.9},
            ),
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
          rows: "{count} flowers"
          datasets: {iris: {title: Iris flowers (bundled)}}
          models: {mlp: {name: Small neural network, description: One hidden layer of 16 units}}
    ''',
    "i18n/zh.yaml": '''
        toyiris:
          title: 鸢尾花种类
          value: 根据四项测量区分三种鸢尾花
          rows: "{count} 朵花"
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


def _train_both(use_case):
    """(tracker, {candidate id: outcome}): each candidate trained once, at its defaults, through the real pipeline
    into the tracker of the settings (the data dir the toyiris fixture set)."""
    from core.tracking.store import tracker_from_settings
    from core.training.pipeline import TrainingSpec, run_training
    from core.training.runner import TrainConfig

    tracker = tracker_from_settings(get_settings())
    outcomes = {}
    for candidate in use_case.candidates:
        config = TrainConfig(epochs=candidate.default_epochs, batch_size=candidate.default_batch_size,
                             learning_rate=candidate.default_learning_rate, seed=0)
        outcomes[candidate.id] = run_training(TrainingSpec(use_case.id, "iris", candidate.id, config=config),
                                              tracker=tracker)
    return tracker, outcomes


@pytest.mark.slow
def test_both_candidates_train_through_the_real_pipeline(toyiris):
    from sklearn.linear_model import LogisticRegression

    from core.data.cache import load_dataset

    tracker, outcomes = _train_both(toyiris)

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


# ---- the planner and the business case ----------------------------------------------------------------

TOY_PAYOFF = {"manual_cost": 2.0, "error_cost": 20.0, "items_per_year": 10000.0, "target_precision": 0.9}


def _expected_value(evaluation) -> tuple[float, float, float]:
    """(cut-off, automation rate, value per year) of a classification run under TOY_PAYOFF, computed here from
    the rule the business case documents, not with core.business: the lowest confidence cut-off whose validation
    rows at or above it are right at least 90 % of the time; on the test rows, 2.00 saved per automated flower
    less 20.00 per automated wrong one, per flower, times 10,000 flowers a year."""
    validation = evaluation["validation"]
    right = np.asarray(validation["y_true"]) == np.asarray(validation["y_pred"])
    sure = np.asarray(validation["confidence"], dtype=float)
    cutoff = min(c for c in set(sure.tolist()) if right[sure >= c].mean() >= TOY_PAYOFF["target_precision"])
    test_right = np.asarray(evaluation["y_true"]) == np.asarray(evaluation["y_pred"])
    automated = np.asarray(evaluation["confidence"], dtype=float) >= cutoff
    per_flower = (TOY_PAYOFF["manual_cost"] * automated.sum()
                  - TOY_PAYOFF["error_cost"] * (automated & ~test_right).sum()) / len(test_right)
    return cutoff, float(automated.mean()), per_flower * TOY_PAYOFF["items_per_year"]


def test_the_planner_starts_from_the_declaration_and_accepts_its_id_in_a_file(toyiris):
    from types import SimpleNamespace

    from core.business.payoff import CLASSIFICATION, FIELDS, Payoff, payoff_fields, payoff_kind
    from core.strategy.analysis import data_text
    from core.strategy.io import dump_yaml, load_yaml
    from core.strategy.model import AssessmentError, DataProfile, Load, default_assessment, use_case_title

    assessment = default_assessment()
    assert [u.id for u in assessment.use_cases] == ["vision", "nlp", "recommendation", "finance", "toyiris"]
    toy = assessment.use_case("toyiris")
    assert toy.builtin and use_case_title(toy, "zh") == "鸢尾花种类"
    assert toy.scores == {"value": 2, "feasibility": 3, "data": 5, "compute": 5}
    assert toy.risks == {"privacy": 1, "explainability": 2, "fairness": 1, "security": 1}
    assert toy.data == DataProfile(rows=150, labelled=True, quality=5) and toy.load == Load(100.0, 1.0)
    assert toy.payoff == Payoff(enabled=True, **TOY_PAYOFF)
    assert payoff_kind("toyiris") == CLASSIFICATION and payoff_fields("toyiris") == FIELDS[CLASSIFICATION]
    assert payoff_kind("custom_1") is None and payoff_fields("custom_1") == ()
    # an upload's size reads in the use case's own unit
    upload = SimpleNamespace(dataset="iris", source_name="garden.csv", rows=1200)
    assert data_text("toyiris", upload, "en") == "garden.csv · 1,200 flowers"
    assert data_text("toyiris", upload, "zh") == "garden.csv · 1,200 朵花"
    # a saved plan with the toy reads back; once the toy is gone, the same file names the id it no longer knows
    text = dump_yaml(assessment)
    assert load_yaml(text) == assessment
    del registry.USE_CASES["toyiris"]
    with pytest.raises(AssessmentError) as refused:
        load_yaml(text)
    assert [problem.path for problem in refused.value.problems] == ["use_cases[4].id"]
    message = refused.value.message("en")
    assert "'toyiris'" in message and "vision, nlp, recommendation, finance" in message  # the ids it knows now


@pytest.mark.slow
def test_its_runs_give_a_business_case_in_money(toyiris):
    from core.business.evidence import collect, evaluation_loader
    from core.business.payoff import CLASSIFICATION, business_case
    from core.strategy.analysis import analyse
    from core.strategy.evidence import MEASURED, measured_from_runs, primary_metrics
    from core.strategy.model import default_assessment, default_payoff

    tracker, outcomes = _train_both(toyiris)
    runs = tracker.list_runs()
    measured = measured_from_runs(runs, primary_metrics())
    best = max(outcomes.values(), key=lambda outcome: outcome.metrics["test_accuracy"])
    assert measured["toyiris"].run_id in {o.run_id for o in outcomes.values()
                                          if o.metrics["test_accuracy"] == best.metrics["test_accuracy"]}
    business = collect(runs, measured, evaluation_loader(tracker))
    assert set(business) == {"toyiris"}  # the only use case with runs here
    found = business["toyiris"]
    assert found.run_id == measured["toyiris"].run_id and found.baseline is None  # automation has no baseline run
    stored = tracker.load_dict(found.run_id, "evaluation.json")
    cutoff, rate, value = _expected_value(stored)

    case = business_case("toyiris", found.evaluation, default_payoff("toyiris"), run_id=found.run_id)
    assert case.kind == CLASSIFICATION and case.baseline == "manual" and case.chosen_on == "validation"
    assert case.n_test == 45 and case.operating_point == pytest.approx(cutoff)
    assert case.details["automation_rate"] == pytest.approx(rate)
    assert case.value == pytest.approx(value) and value > 0  # iris is easy: automating most flowers pays
    assert case.low <= case.value <= case.high

    analysis = analyse(default_assessment(), measured, "en", business)
    assert analysis.cases["toyiris"].value == pytest.approx(value)
    worth = analysis.effective["toyiris"]["value"]
    assert worth.source == MEASURED and worth.run_ids == (found.run_id,) and worth.metric == "roi"
    assert worth.value == pytest.approx(analysis.economics["toyiris"].roi)


@pytest.mark.slow
def test_the_strategy_page_shows_it_with_measured_evidence(toyiris, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from core.tracking.store import tracker_from_settings

    _, outcomes = _train_both(toyiris)
    for name in ("STUDIO_LANGUAGE", "STUDIO_DEVICE", "STUDIO_EXPERIMENT", "STUDIO_MAX_UPLOAD_MB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()
    st.cache_resource.clear()  # a tracker cached by an earlier test points at its data dir
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(APP_PATH), default_timeout=90)
        at.run()
        at.switch_page("../pages/strategy.py").run()
        assert not at.exception, [e.value for e in at.exception]

        ranking = at.dataframe[0].value
        shown = ranking[ranking["Use case"] == "Iris species"]["Evidence"].item()
        measured = next((o for o in outcomes.values() if shown.startswith(f"measured (run {o.run_id[:8]})")), None)
        assert measured is not None, shown
        best = max(outcome.metrics["test_accuracy"] for outcome in outcomes.values())
        assert measured.metrics["test_accuracy"] == best  # the best run stands for it
        assert shown == f"measured (run {measured.run_id[:8]}) · Iris flowers (bundled)"
        assert len(ranking) == 5
        captions = [caption.value for caption in at.caption]
        assert "Measured evidence: 1 of 5 use cases have completed runs (2 runs read)." in captions

        evidence = next(frame.value for frame in at.dataframe if "Criterion" in frame.value.columns)
        feasibility = evidence[(evidence["Use case"] == "Iris species")
                               & (evidence["Criterion"] == "Technical feasibility")]
        assert list(feasibility["Source"]) == ["measured"]
        band = next((score for floor, score in ((0.95, 5), (0.90, 4), (0.80, 3), (0.70, 2)) if best >= floor), 1)
        assert list(feasibility["Score"]) == [float(band)]  # the accuracy bands the page's method states
        start = "baseline" if measured.run_id == outcomes["logreg"].run_id else "from scratch"
        assert list(feasibility["Runs"]) == [f"{measured.run_id[:8]} ({start})"]

        _, _, value = _expected_value(tracker_from_settings(get_settings()).load_dict(measured.run_id,
                                                                                       "evaluation.json"))
        business = next(frame.value for frame in at.dataframe if "Verdict" in frame.value.columns)
        row = business[business["Use case"] == "Iris species"].iloc[0]
        assert row["Value / year, 90 % interval (USD)"].startswith(f"{value:,.0f} (")
        assert row["Runs"] == measured.run_id[:8] and row["Verdict"] == "gain"
        at.selectbox(key="stg_edit").set_value("toyiris").run()  # its inputs, like any use case's
        assert not at.exception, [e.value for e in at.exception]
        assert at.slider(key="stg_w_toyiris_score_value").value == 2  # the declared starting score
        assert at.number_input(key="stg_w_toyiris_payoff_error_cost").value == 20.0  # the declared payoff, editable
    finally:
        get_settings.cache_clear()
        st.cache_resource.clear()
        st.cache_data.clear()
