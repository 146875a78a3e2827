"""Model-selection page through its widgets: comparison, baseline test, guidance, export, benchmark all."""

from __future__ import annotations

import time

import pytest

from core.i18n import translate

PAGE = "../pages/selection.py"


def _open(app_test):
    at = app_test(timeout=120).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def trained(app_test):
    """The page's data dir with a baseline and a CNN trained on the same digits split."""
    at = app_test(timeout=120)
    from core.training.pipeline import TrainingSpec, run_training
    from core.training.runner import TrainConfig
    from dashboard.services import get_tracker

    tracker = get_tracker()
    for candidate, epochs in (("logreg", 1), ("cnn", 3)):
        run_training(TrainingSpec("vision", "digits", candidate, TrainConfig(epochs=epochs)), tracker=tracker)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_without_runs_the_page_says_how_to_get_some(app_test):
    at = _open(app_test)
    assert translate("errors.selection.no_runs", "en") in [info.value for info in at.info]


@pytest.mark.slow
def test_candidates_side_by_side_with_baseline_test_and_recommendation(trained):
    at = trained
    table = at.dataframe[0].value
    assert sorted(table["Model"]) == ["cnn", "logreg"]
    assert {"Latency p50 (ms)", "Peak memory (MB)", "Parameters"} <= set(table.columns)
    verdicts = [m.value for m in at.markdown if m.value.startswith("**cnn**")]
    assert len(verdicts) == 1 and "McNemar p =" in verdicts[0]
    assert at.success, "a recommendation is shown"
    ranked = [m.value for m in at.markdown if m.value.startswith("**1. ")]
    assert ranked and ("logreg" in ranked[0] or "cnn" in ranked[0])
    assert len(at.get("plotly_chart")) >= 3  # Pareto, learning curves, baseline differences
    assert [b.label for b in at.get("download_button")][:2] == ["Download the comparison (CSV)",
                                                                "Download the recommendation (Markdown)"]


@pytest.mark.slow
def test_a_latency_target_nobody_meets_is_flagged(trained):
    at = trained
    at.checkbox(key="sel_use_latency").check().run()
    at.number_input(key="sel_latency").set_value(0.001).run()
    assert not at.exception
    unmet = translate("selection_page.unmet", "en", requirement=translate("selection.unmet.latency", "en"))
    assert unmet in [error.value for error in at.error]


@pytest.mark.slow
def test_contradictory_requirements_get_a_message_not_a_crash(trained):
    at = trained
    at.number_input(key="sel_labelled").set_value(5).run()  # 10 classes need at least 20 examples
    assert not at.exception
    assert any("at least 20" in error.value for error in at.error)


@pytest.mark.slow
def test_export_a_candidate_and_compare_formats(trained):
    at = trained
    at.button(key="sel_export").click().run()
    assert not at.exception, [e.value for e in at.exception]
    formats = list(at.table[0].value.iloc[:, 0])
    assert formats == [translate(f"deployment.formats.{f}", "en")
                       for f in ("keras", "savedmodel", "tflite_float32", "tflite_dynamic_int8")]


@pytest.mark.slow
def test_benchmark_all_trains_every_candidate_in_the_background(app_test):
    at = _open(app_test)
    at.button(key="sel_benchmark").click().run()
    deadline = time.monotonic() + 300
    while not at.get("dataframe") or len(at.dataframe[0].value) < 4:
        assert time.monotonic() < deadline, "benchmark jobs did not finish"
        time.sleep(2)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    assert sorted(at.dataframe[0].value["Model"]) == ["cnn", "cnn_regularised", "logreg", "mlp"]


@pytest.mark.slow
def test_credit_risk_is_compared_on_auc_in_its_own_unit_without_a_misplaced_mcnemar(app_test):
    at = app_test(timeout=120)
    from core.training.pipeline import TrainingSpec, run_training
    from dashboard.services import get_tracker

    tracker = get_tracker()
    auc = {candidate: run_training(TrainingSpec("finance", "credit_data", candidate), tracker=tracker)
           .metrics["test_roc_auc"] for candidate in ("gbm", "scorecard")}
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key="sel_use_case").set_value("finance").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table.columns[:3]) == ["Model", "ROC AUC", "PR AUC"]
    shown = dict(zip(table["Model"], table["ROC AUC"]))
    assert shown == {model: f"{value:.3f}" for model, value in auc.items()}  # 0.849, not "84.90%"
    infos = [info.value for info in at.info]
    assert any(text.startswith("The SavedModel / TFLite check covers image models") for text in infos)
    # a paired bootstrap on AUC against the scorecard (the use case's baseline, not gbm), not McNemar at 0.5
    assert any(caption.value.startswith("Each model against the baseline on ROC AUC") for caption in at.caption)
    verdicts = [m.value for m in at.markdown if m.value.startswith("**gbm**")]
    assert len(verdicts) == 1 and ("than scorecard" in verdicts[0] or "different from scorecard" in verdicts[0])
    assert f"ROC AUC {auc['gbm']:.3f} vs {auc['scorecard']:.3f}" in verdicts[0] and "95% CI" in verdicts[0]
    reasons = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert f"- Measured ROC AUC: {max(auc.values()):.3f}, the best of the candidates." in reasons


@pytest.mark.slow
def test_rating_models_learning_curves_name_their_squared_error_loss(app_test):
    import json

    at = app_test(timeout=120)
    from core.training.pipeline import TrainingSpec, run_training
    from dashboard.services import get_tracker

    for candidate in ("popularity", "bias"):
        run_training(TrainingSpec("recommendation", "movielens", candidate), tracker=get_tracker())
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key="sel_use_case").set_value("recommendation").run()
    assert not at.exception, [e.value for e in at.exception]
    axis_titles = []
    for chart in at.get("plotly_chart"):
        layout = json.loads(chart.proto.spec).get("layout", {})
        axis_titles.append(((layout.get("yaxis") or {}).get("title") or {}).get("text"))
    assert "Loss (squared error + L2 penalty)" in axis_titles, axis_titles  # not "cross-entropy"
    assert "Loss (cross-entropy)" not in axis_titles
