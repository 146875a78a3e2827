"""Model-selection page through its widgets: comparison, baseline test, guidance, export, benchmark all."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from core.i18n import translate

PAGE = "../pages/selection.py"
CNN, LOGREG = translate("models.cnn.name", "en"), translate("models.logreg.name", "en")


def _open(app_test):
    at = app_test(timeout=120).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def trained_data(tmp_path_factory, seed_tracking_db):
    """A data dir holding a baseline and a CNN trained once for this module on the same digits split.

    The tests that use it only read these runs (or export one), so training once serves them all.
    """
    from core.config import load_settings
    from core.tracking.store import tracker_from_settings
    from core.training.pipeline import run_training, TrainingSpec
    from core.training.runner import TrainConfig

    data_dir = tmp_path_factory.mktemp("trained-selection")
    seed_tracking_db(data_dir)
    settings = load_settings({"STUDIO_DATA_DIR": str(data_dir), "STUDIO_OFFLINE": "1"}).ensure_dirs()
    tracker = tracker_from_settings(settings)
    for candidate, epochs in (("logreg", 1), ("cnn", 3)):
        run_training(TrainingSpec("vision", "digits", candidate, TrainConfig(epochs=epochs)), tracker=tracker,
                     settings=settings)
    return data_dir


@pytest.fixture
def trained(app_test, trained_data, tmp_path):
    """The page over a copy of trained_data's runs (its own data dir: what a test changes stays its own)."""
    shutil.copytree(trained_data, tmp_path / "studio-data")  # app_test's data dir; the runs' artifacts stay put
    at = app_test(timeout=120)
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
    assert sorted(table["Model"]) == [CNN, LOGREG]  # names for people, not ids (issue 13.10)
    assert {"Latency p50 (ms)", "Peak memory (MB)", "Parameters"} <= set(table.columns)
    verdicts = [m.value for m in at.markdown if m.value.startswith(f"**{CNN}**")]
    assert len(verdicts) == 1 and ("McNemar p = " in verdicts[0] or "McNemar p < 0.001" in verdicts[0])
    assert at.success, "a recommendation is shown"
    ranked = [m.value for m in at.markdown if m.value.startswith("**1. ")]
    assert ranked and (LOGREG in ranked[0] or CNN in ranked[0])
    assert len(at.get("plotly_chart")) >= 3  # Pareto, training curves, baseline differences
    assert [b.label for b in at.get("download_button")][:2] == ["Download the comparison (CSV)",
                                                                "Download the recommendation (Markdown)"]


@pytest.mark.slow
def test_a_latency_target_nobody_meets_is_flagged(trained):
    at = trained
    at.checkbox(key="sel_use_latency_vision").check().run()
    at.number_input(key="sel_latency_vision").set_value(0.001).run()
    assert not at.exception
    unmet = translate("selection_page.unmet", "en", requirement=translate("selection.unmet.latency", "en"))
    assert unmet in [error.value for error in at.error]


@pytest.mark.slow
def test_contradictory_requirements_get_a_message_not_a_crash(trained):
    at = trained
    next(w for w in at.number_input if w.key.startswith("sel_labelled_")).set_value(5).run()  # 10 classes: >= 20
    assert not at.exception
    assert any("at least 20" in error.value for error in at.error)


@pytest.mark.slow
def test_export_a_candidate_and_compare_formats(trained):
    at = trained
    next(b for b in at.button if b.key.startswith("sel_export_")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    formats = list(at.table[0].value.iloc[:, 0])
    assert formats == [translate(f"deployment.formats.{f}", "en")
                       for f in ("keras", "savedmodel", "tflite_float32", "tflite_dynamic_int8")]


@pytest.mark.slow
def test_benchmark_all_trains_every_candidate_in_the_background(app_test, monkeypatch, run_after_jobs):
    from core.training import pipeline

    asked = []

    def one_epoch_each(*args, **kwargs):
        """What the page asks for (each candidate's default budget, checked below), trained for one epoch:
        the point here is that every candidate trains in the background and lands in the table; the
        budgets themselves are tested in tests/core/test_training_pipeline.py."""
        specs = real_benchmark_specs(*args, **kwargs)
        asked.extend(specs)
        return [dataclasses.replace(spec, config=dataclasses.replace(spec.config, epochs=1)) for spec in specs]

    real_benchmark_specs = pipeline.benchmark_specs
    monkeypatch.setattr(pipeline, "benchmark_specs", one_epoch_each)
    at = _open(app_test)
    at.button(key="sel_benchmark").click().run()
    assert not at.exception, [e.value for e in at.exception]
    run_after_jobs(at)
    assert not at.exception, [e.value for e in at.exception]
    from core.contract.registry import get_use_case

    vision = get_use_case("vision")
    assert {(spec.candidate, spec.config.epochs) for spec in asked} == {
        (model, vision.candidate(model).default_epochs) for model in ("cnn", "cnn_regularised", "logreg", "mlp")}
    assert sorted(at.dataframe[0].value["Model"]) == sorted(translate(f"models.{m}.name", "en")
                                                            for m in ("cnn", "cnn_regularised", "logreg", "mlp"))


@pytest.mark.slow
def test_credit_risk_is_compared_on_auc_in_its_own_unit_without_a_misplaced_mcnemar(app_test):
    at = app_test(timeout=120)
    from core.training.pipeline import run_training, TrainingSpec
    from dashboard.services import get_tracker

    tracker = get_tracker()
    auc = {candidate: run_training(TrainingSpec("finance", "credit_data", candidate), tracker=tracker)
           .metrics["test_roc_auc"] for candidate in ("gbm", "scorecard")}
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key="sel_use_case").set_value("finance").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    quality = [column for column in table.columns if column != translate("pretrained.column", "en")]
    assert quality[:3] == ["Model", "ROC AUC", "PR AUC"]  # the starting-point column (pretrained or not) aside
    shown = dict(zip(table["Model"], table["ROC AUC"]))
    names = {"gbm": "Gradient boosting (scikit-learn)", "scorecard": "Scorecard (logistic regression)"}
    assert shown == {names[model]: f"{value:.3f}" for model, value in auc.items()}  # 0.849, not "84.90%"
    infos = [info.value for info in at.info]
    assert any(text.startswith("The SavedModel / TFLite check covers image models") for text in infos)
    # a paired bootstrap on AUC against the scorecard (the use case's baseline, not gbm), not McNemar at 0.5
    assert any(caption.value.startswith("Each model against the baseline on ROC AUC") for caption in at.caption)
    verdicts = [m.value for m in at.markdown if m.value.startswith("**Gradient boosting (scikit-learn)**")]
    scorecard = "Scorecard (logistic regression)"
    assert len(verdicts) == 1 and (f"than {scorecard}" in verdicts[0] or f"different from {scorecard}" in verdicts[0])
    assert f"ROC AUC {auc['gbm']:.3f} vs {auc['scorecard']:.3f}" in verdicts[0] and "95% CI" in verdicts[0]
    reasons = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert f"- Measured ROC AUC: {max(auc.values()):.3f}, the best of the candidates." in reasons


@pytest.mark.slow
def test_rating_models_training_curves_name_their_squared_error_loss(app_test):
    import json

    at = app_test(timeout=120)
    from core.training.pipeline import run_training, TrainingSpec
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


def _selected_split_label(at) -> str:
    box = next(widget for widget in at.selectbox if widget.key.startswith("sel_split_"))
    return box.format_func(box.value)


def _labelled(at) -> int:
    return int(next(widget for widget in at.number_input if widget.key.startswith("sel_labelled_")).value)


def _ranked(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**") and ". " in m.value[:6]]


def _rating_runs(record_run, *, fingerprint="ml-100k", dataset="movielens", source_name="", train_size=80_003,
                 rows=None, rmse=(1.055, 0.887, 0.870)):
    for model, value in zip(("popularity", "bias", "mf"), rmse):
        extra = {"parameters": 1_256_073.0} if model == "mf" else {"parameters": 10_000.0}
        record_run("recommendation", dataset, model, {"test_rmse": value, **extra}, train_size=train_size,
                   fingerprint=fingerprint, source_name=source_name, rows=rows)


def test_switching_use_case_redraws_the_split_label_and_labelled_examples_from_that_use_case(app_test, record_run):
    """Issue 13.3: the label, the labelled examples and the guidance followed the previous use case."""
    at = app_test(timeout=120)
    for model, accuracy in (("logreg", 0.972), ("cnn", 0.981)):
        record_run("vision", "digits", model, {"test_accuracy": accuracy}, train_size=1_257, fingerprint="digits-0")
    _rating_runs(record_run)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    digits = translate("datasets.digits.title", "en")
    assert _selected_split_label(at) == f"{digits} · seed 0 · 2 runs"
    assert _labelled(at) == 1_257

    at.selectbox(key="sel_use_case").set_value("recommendation").run()
    assert not at.exception, [e.value for e in at.exception]
    movielens = translate("recommendation.datasets.movielens.title", "en")
    assert _selected_split_label(at) == f"{movielens} · seed 0 · 3 runs"
    assert _labelled(at) == 80_003  # the rating split's recorded training size, not the digits' 1,257
    texts = [m.value for m in at.markdown] + [i.value for i in at.info]
    assert not any("labelled examples: deep models" in text for text in texts), "no small-data warning at 80k"


def test_a_better_rmse_model_is_not_beaten_by_the_bias_baseline(app_test, record_run):
    """RMSE is lower-is-better and its gap must weigh like accuracy points, not 0.02 of a point."""
    at = app_test(timeout=120)
    _rating_runs(record_run)
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key="sel_use_case").set_value("recommendation").run()
    assert not at.exception, [e.value for e in at.exception]
    ranked = _ranked(at)
    mf, popularity = (translate(f"recommendation.models.{m}.name", "en") for m in ("mf", "popularity"))
    assert ranked[0].startswith(f"**1. {mf}**"), ranked  # RMSE 0.870 beats bias at 0.887 and popularity at 1.055
    assert ranked[-1].startswith(f"**3. {popularity}**"), ranked
    assert not any("simple baseline" in s.value.lower() for s in at.success)


def test_the_first_pick_of_another_split_shows_that_splits_runs(app_test, record_run):
    at = app_test(timeout=120)
    _rating_runs(record_run)
    _rating_runs(record_run, fingerprint="u-data", dataset="upload_csv", source_name="u.data", train_size=79_800,
                 rows=100_000, rmse=(1.020, 0.941, 0.912))
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key="sel_use_case").set_value("recommendation").run()
    assert _selected_split_label(at) == "u.data · 100,000 ratings · seed 0 · 3 runs"  # the newest split first
    assert list(at.dataframe[0].value["RMSE"]) == ["0.912", "0.941", "1.020"]
    at.selectbox(key="sel_split_recommendation").set_value("ml-100k").run()
    assert not at.exception, [e.value for e in at.exception]
    assert list(at.dataframe[0].value["RMSE"]) == ["0.870", "0.887", "1.055"]
    assert _labelled(at) == 80_003
