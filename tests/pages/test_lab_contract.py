"""A use case added without any dashboard file gets the generic lab: all four tabs work through the real page."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.data.dataset import Dataset, split_stratified
from core.i18n import translate
from core.contract.usecase import Candidate, DatasetSource, UseCase

LAB = "../pages/lab.py"


def load_wine_dataset(*, seed: int = 0) -> Dataset:
    """scikit-learn's bundled wine table (178 wines, 13 measurements, 3 cultivars), split 70/10/20."""
    from sklearn.datasets import load_wine

    bunch = load_wine()
    x = (bunch.data / bunch.data.max(axis=0)).astype(np.float32)
    x_train, y_train, x_val, y_val, x_test, y_test = split_stratified(x, bunch.target.astype(np.int64),
                                                                      random_state=seed)
    return Dataset(id="wine", title="Wine", task="multiclass", x_train=x_train, y_train=y_train, x_val=x_val,
                   y_val=y_val, x_test=x_test, y_test=y_test, class_names=tuple(str(n) for n in bunch.target_names),
                   source_kind="bundled", provenance="UCI wine recognition data, as shipped with scikit-learn",
                   licence="CC BY 4.0", seed=seed)


TOY = UseCase(
    id="toy", title_key="toy.title", value_key="toy.value", task="multiclass", primary_metric="test_accuracy",
    status="available",
    datasets=(DatasetSource("wine", "toy.wine", "bundled", f"{__name__}:load_wine_dataset"),),
    candidates=(Candidate("logreg", "toy.logreg", "toy.logreg_description", "sklearn",
                          "sklearn.linear_model:LogisticRegression", hparams={"max_iter": 1000}),),
)


@pytest.fixture
def toy_use_case(monkeypatch):
    from core.contract import registry

    monkeypatch.setitem(registry.USE_CASES, TOY.id, TOY)
    return TOY


def test_the_generic_lab_draws_the_wine_data(app_test, toy_use_case):
    at = app_test(timeout=120).run()
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = "toy"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Training examples"] == "124" and metrics["Test examples"] == "36" and metrics["Classes"] == "3"
    assert at.dataframe[0].value.shape == (8, 14)  # 13 measurements and the class
    assert at.radio(key="toy_model").value == "logreg"
    assert at.info[0].value == translate("lab.no_runs_yet", "en")  # results: nothing trained yet


@pytest.mark.slow
def test_a_use_case_without_a_lab_trains_and_shows_all_four_tabs(app_test, toy_use_case, run_after_jobs):
    at = app_test(timeout=120).run()
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = "toy"
    at.run()
    at.button(key="toy_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    run_after_jobs(at)
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.startswith("Training finished: test accuracy")
    # Results: the classification figures, class scores and mistakes of the run
    metrics = {metric.label: metric.value for metric in at.metric}
    accuracy = float(metrics["Test accuracy"].rstrip("%"))
    assert 80.0 < accuracy <= 100.0  # logistic regression on the wine table is about 95 %
    titles = [json.loads(chart.proto.spec)["layout"].get("title", {}).get("text") for chart in at.get("plotly_chart")]
    assert translate("lab.confusion", "en") in titles and translate("lab.per_class", "en") in titles
    # Try it: a test example by number, the three likeliest cultivars
    at.number_input(key="toy_try_index").set_value(5).run()
    assert not at.exception, [e.value for e in at.exception]
    top3 = next(json.loads(chart.proto.spec) for chart in at.get("plotly_chart")
                if json.loads(chart.proto.spec)["layout"].get("title", {}).get("text") == translate("lab.top3", "en"))
    bars = top3["data"][0]
    assert sorted(bars["y"]) == ["class_0", "class_1", "class_2"]
    assert sum(bars["x"]) == pytest.approx(1.0, abs=1e-6)
    # the Runs page shows the run with the generic metric row
    at.switch_page("../pages/runs.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.dataframe[0].value) == 1
