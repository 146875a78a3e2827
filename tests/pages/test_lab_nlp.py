"""NLP lab through its real widgets: Chinese data overview, baseline training, try-it messages, bad CSV uploads."""

from __future__ import annotations


import pytest

from core.i18n import translate
from core.contract.registry import USE_CASES

LAB = "../pages/lab.py"
pytestmark = pytest.mark.skipif(USE_CASES["nlp"].status != "available",
                                reason="the NLP use case is not registered yet (core/contract/registry.py)")


def _open_nlp(app_test, dataset: str = "en_reviews"):
    at = app_test(timeout=180).run()
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = "nlp"
    at.session_state["nlp_dataset"] = dataset
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def _csv(rows: list[str]) -> bytes:
    return ("text,label\n" + "\n".join(rows) + "\n").encode("utf-8")


@pytest.mark.slow
def test_chinese_reviews_overview_in_both_languages(app_test, switch_language):
    at = _open_nlp(app_test, "zh_reviews")
    metrics = _metrics(at)
    assert metrics["Texts"] == "17,361" and metrics["Classes"] == "2"
    assert metrics["Median length"].endswith("characters")
    assert any("single characters" in info.value for info in at.info)
    switch_language(at, "zh")
    assert not at.exception
    assert _metrics(at)["文本数"] == "17,361"
    assert any("按单个汉字切分" in info.value for info in at.info)


@pytest.mark.slow
def test_train_the_baseline_then_try_empty_unknown_and_real_reviews(app_test, switch_language, run_after_jobs):
    at = _open_nlp(app_test, "en_reviews")
    at.radio(key="nlp_model").set_value("tfidf_logreg").run()
    at.button(key="nlp_train").click().run()
    run_after_jobs(at)
    assert not at.error, [e.value for e in at.error]
    assert _metrics(at)["Test accuracy"].endswith("%")
    at.text_area(key="nlp_try_text").input("This tea is great, really tasty and fresh").run()
    assert _metrics(at)["Predicted class"] == "great"
    at.text_area(key="nlp_try_text").input("   ").run()
    assert translate("errors.nlp.empty_input", "en") in [w.value for w in at.warning]
    at.text_area(key="nlp_try_text").input("qqzx vvbnm").run()
    assert translate("nlp.all_unknown", "en") in [w.value for w in at.warning]
    switch_language(at, "zh")
    at.text_area(key="nlp_try_text").input(" ").run()
    assert translate("errors.nlp.empty_input", "zh") in [w.value for w in at.warning]


@pytest.mark.slow
def test_csv_with_one_class_is_explained_in_english_and_chinese(app_test, switch_language):
    at = _open_nlp(app_test, "upload_csv")
    assert translate("nlp.upload_needed", "en") in [info.value for info in at.info]
    at.file_uploader(key="nlp_upload_csv").set_value(
        ("one.csv", _csv([f"text {i},same" for i in range(6)]), "text/csv")).run()
    assert not at.exception
    assert "only one class" in at.error[0].value
    switch_language(at, "zh")
    assert "只有一个类别" in at.error[0].value
    at.file_uploader(key="nlp_upload_csv").set_value(
        ("gbk.csv", _csv([f"很好{i},好" for i in range(4)] + [f"很差{i},差" for i in range(4)]).decode().encode("gbk"),
         "text/csv")).run()
    assert not at.error and _metrics(at)["文本数"] == "8"


@pytest.mark.slow
def test_imdb_offline_and_not_cached_says_so(app_test):
    at = _open_nlp(app_test, "imdb_online")
    assert not at.exception
    assert "Downloads are switched off" in at.error[0].value


@pytest.mark.slow
def test_each_model_trains_with_its_own_default_settings(app_test):
    from core.usecases.nlp import USE_CASE

    at = _open_nlp(app_test)
    for candidate in reversed(USE_CASE.candidates):
        at.radio(key="nlp_model").set_value(candidate.id).run()
        assert not at.exception
        if candidate.kind != "keras":  # fitted in one pass: the form shows no fit settings
            assert not [widget for widget in at.number_input if widget.key == "nlp_epochs"]
            continue
        assert at.select_slider(key="nlp_learning_rate").value == pytest.approx(candidate.default_learning_rate)
        assert at.selectbox(key="nlp_batch_size").value == candidate.default_batch_size
        assert at.number_input(key="nlp_epochs").value == candidate.default_epochs


@pytest.mark.slow
def test_a_rare_class_upload_is_warned_about_and_trains_with_balanced_class_weights(app_test, run_after_jobs):
    at = _open_nlp(app_test, "upload_csv")
    rows = ([f"good tasty fresh tea {i},pos" for i in range(200)] + [f"bad stale old tea {i},neg" for i in range(200)]
            + [f"okay average tea {i},mixed" for i in range(12)])
    at.file_uploader(key="nlp_upload_csv").set_value(("rare.csv", _csv(rows), "text/csv")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    warnings = [w.value for w in at.warning]
    # data tab: the class, its share of the training split (about 12 / 412) and what to do
    assert any(w.startswith("Class 'mixed' has only 2.") and "% of the training texts" in w and "class weights" in w
               for w in warnings), warnings
    assert any(w.startswith("Class 'mixed' is only") for w in warnings), warnings  # train tab
    at.radio(key="nlp_model").set_value("tfidf_logreg").run()
    at.checkbox(key="nlp_class_weight").check().run()
    at.button(key="nlp_train").click().run()
    run_after_jobs(at)
    assert not at.error, [e.value for e in at.error]
    from dashboard.services import get_tracker

    runs = get_tracker().list_runs(use_case="nlp")
    assert get_tracker().get_run(runs["run_id"].iloc[0]).data.params["class_weight"] == "balanced"
