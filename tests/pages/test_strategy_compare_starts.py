"""The Strategy page compares starting points (pretrained / from scratch / baseline) on measured runs."""

from __future__ import annotations

from core.i18n import translate

PAGE = "../pages/strategy.py"


def test_strategy_page_shows_pretrained_vs_scratch_vs_baseline(app_test, switch_language):
    at = app_test(timeout=120)
    from core.training.pipeline import run_training, TrainingSpec
    from core.training.runner import TrainConfig
    from dashboard.services import get_tracker

    tracker = get_tracker()
    logreg = run_training(TrainingSpec("vision", "digits", "logreg"), tracker=tracker)
    mlp = run_training(TrainingSpec("vision", "digits", "mlp", TrainConfig(epochs=1)), tracker=tracker)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(frame.value for frame in at.dataframe if translate("pretrained.column", "en") in frame.value.columns)
    vision = table[table[translate("strategy.table.use_case", "en")].str.contains("ision|igit|mage", regex=True)]
    assert list(vision["Starting point"]) == ["from scratch", "baseline"]
    assert list(vision["Model"]) == [translate("models.mlp.name", "en"), translate("models.logreg.name", "en")]
    assert list(vision["Runs"]) == [mlp.run_id[:8], logreg.run_id[:8]]
    assert vision["Quality (test split)"].iloc[1] == f"accuracy {logreg.metrics['test_accuracy']:.2%}"
    assert list(vision["Labelled examples trained on"]) == ["1,257", "1,257"]
    # the evidence table says where the best run's weights started
    evidence = next(frame.value for frame in at.dataframe if "Criterion" in frame.value.columns)
    best = logreg if logreg.metrics["test_accuracy"] >= mlp.metrics["test_accuracy"] else mlp
    marker = "baseline" if best is logreg else "from scratch"
    assert f"{best.run_id[:8]} ({marker})" in set(evidence["Runs"])
    at = switch_language(at, "zh")
    assert not at.exception
    table = next(frame.value for frame in at.dataframe if "起点" in frame.value.columns)
    assert {"从零训练", "基线"} <= set(table["起点"])
