"""Model selection's learning curve: one background job from the page, its chart and the labels each model needs."""

from __future__ import annotations

from core.i18n import translate

PAGE = "../pages/selection.py"


def test_start_a_learning_curve_and_see_how_many_labels_each_model_needs(app_test):
    at = app_test(timeout=120)
    from core.training.pipeline import run_training, TrainingSpec
    from dashboard.services import get_job_queue, get_tracker

    run_training(TrainingSpec("vision", "digits", "logreg"), tracker=get_tracker())  # a split to compare on
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert translate("learning_curve.none_yet", "en") in [c.value for c in at.caption]
    # offline (the page test's default): the ImageNet candidates are not offered; the defaults are one per start
    models = at.multiselect(key="lc_models_vision")
    assert "mobilenet_v3_small" not in models.options and models.value[-1] == "logreg"
    assert any(c.value.startswith("Not offered: MobileNetV3-Small") and "offline now" in c.value for c in at.caption)
    models.set_value(["logreg"]).run()
    at.button(key="lc_start_vision").click().run()
    assert not at.exception, [e.value for e in at.exception]
    queue = get_job_queue()
    job = next(job for job in queue.jobs() if job.meta.get("learning_curve") == "vision")
    assert job.meta["models"] == ["logreg"]
    from core.contract.registry import get_use_case

    vision = get_use_case("vision")  # another page's "other jobs" line names it for people
    assert job.title == translate("learning_curve.job_title", "en", use_case=translate(vision.title_key, "en"),
                                  dataset=translate(vision.dataset("digits").title_key, "en"))
    state = queue.wait(job.id, timeout=300)
    assert state.state == "completed", state.error
    at.run()  # once: the job has finished, so the page draws its outcome
    assert any(chart.proto.spec and "Test quality" in chart.proto.spec for chart in at.get("plotly_chart")), \
        "the learning curve chart did not appear"
    assert not at.exception, [e.value for e in at.exception]
    needed = next(frame.value for frame in at.dataframe
                  if translate("learning_curve.columns.needed", "en") in frame.value.columns)
    assert list(needed[translate("learning_curve.columns.model", "en")]) == [translate("models.logreg.name", "en")]
    cell = needed[translate("learning_curve.columns.needed", "en")][0]
    assert cell in ("126", "314", "628", translate("learning_curve.still_improving", "en", size="1,257"))
    assert translate("learning_curve.finished", "en", points=1, fractions=4) in [s.value for s in at.success]
    # the subset runs stay out of the comparison: logreg once (the newest full-data run), no extra splits
    assert list(at.dataframe[0].value["Model"]) == [translate("models.logreg.name", "en")]
    assert len(at.selectbox(key="sel_split_vision").options) == 1


def test_the_chosen_models_are_named_in_chinese_after_a_language_switch(app_test, record_run, switch_language):
    """The model chips kept their English labels ("Convolutional network (CNN) · from scratch") on the Chinese page."""
    at = app_test()
    at.run()
    record_run("vision", "digits", "logreg", {"test_accuracy": 0.9}, train_size=1000, fingerprint="fp-digits")
    at.switch_page(PAGE).run()
    assert at.multiselect(key="lc_models_vision").value == ["cnn", "logreg"]
    switch_language(at, "zh")
    models = at.multiselect(key="lc_models_vision")
    assert models.value == ["cnn", "logreg"]
    # the browser is sent the chosen options' labels in the new language (it keeps its old ones otherwise)
    from core.contract.registry import get_use_case

    vision = get_use_case("vision")
    assert list(models.proto.raw_values) == [
        translate(vision.candidate("cnn").name_key, "zh") + " · " + translate("pretrained.from_scratch", "zh"),
        translate(vision.candidate("logreg").name_key, "zh") + " · " + translate("pretrained.baseline", "zh")]


def test_a_learning_curve_on_an_uploaded_file_the_page_compares_names_that_file(app_test):
    """The curve offered bundled data only, and its table did not name its data while the page was about an upload."""
    import numpy as np
    import pandas as pd

    at = app_test(timeout=120)
    at.run()
    from core.data.cache import UPLOAD_NAME
    from core.data.uploads import store_upload
    from core.training.pipeline import run_training, TrainingSpec
    from dashboard.services import get_job_queue, get_tracker

    rng = np.random.default_rng(0)
    income = rng.normal(50, 15, 400).round(1)
    frame = pd.DataFrame({"income": income, "age": rng.integers(20, 70, 400),
                          "Status": np.where(income + rng.normal(0, 10, 400) < 45, "bad", "good")})
    path = store_upload(frame.to_csv(index=False).encode(), suffix=".csv")
    kwargs = {"path": str(path), "target": "Status", "bad_value": "bad", UPLOAD_NAME: "branch-loans.csv"}
    outcome = run_training(TrainingSpec("finance", "upload_csv", "scorecard", dataset_kwargs=kwargs),
                           tracker=get_tracker())
    fingerprint = get_tracker().record(outcome.run_id).fingerprint
    at.switch_page(PAGE).run()
    at.selectbox(key="sel_use_case").set_value("finance").run()
    data = at.selectbox(key="lc_dataset_finance")
    option = "split:" + fingerprint
    assert any(label.startswith("branch-loans.csv") for label in data.options)  # named as people know the file
    data.set_value(option).run()
    at.multiselect(key="lc_models_finance").set_value(["scorecard"]).run()
    at.button(key="lc_start_finance").click().run()
    assert not at.exception, [e.value for e in at.exception]
    queue = get_job_queue()
    job = next(job for job in queue.jobs() if job.meta.get("learning_curve") == "finance")
    state = queue.wait(job.id, timeout=300)
    assert state.state == "completed", state.error
    assert state.result["split"] == fingerprint  # the same file, seed and settings as the compared runs
    assert {p["train_size"] for p in state.result["points"]} >= {int(get_tracker().record(outcome.run_id)
                                                                      .params["train_size"])}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    titles = [m.value for m in at.markdown if translate("learning_curve.needed_title_data", "en", data="")[:-1]
              .strip(" ·") in m.value]
    assert titles and "branch-loans.csv" in titles[0]
    assert any(chart.proto.spec and "branch-loans.csv" in chart.proto.spec for chart in at.get("plotly_chart"))


def test_models_that_need_a_download_are_offered_with_their_size_but_not_preselected(app_test, record_run):
    """With the network flag on but nothing cached, MobileNetV3-Small was preselected and the curve failed at once."""
    at = app_test(offline=False)
    at.run()
    record_run("vision", "digits", "logreg", {"test_accuracy": 0.9}, train_size=1000, fingerprint="fp-digits")
    at.switch_page(PAGE).run()
    models = at.multiselect(key="lc_models_vision")
    assert "mobilenet_v3_small" not in models.value and models.value == ["cnn", "logreg"]
    label = next(option for option in models.options if option.startswith("MobileNetV3-Small"))
    assert "needs a one-time" in label and "MB download" in label
