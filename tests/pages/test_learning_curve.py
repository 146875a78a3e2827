"""Model selection's learning curve: one background job from the page, its chart and the labels each model needs."""

from __future__ import annotations

from core.i18n import translate

PAGE = "../pages/selection.py"


def test_start_a_learning_curve_and_see_how_many_labels_each_model_needs(app_test):
    at = app_test(timeout=120)
    from core.training.pipeline import TrainingSpec, run_training
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
    from core.usecases.registry import get_use_case

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
