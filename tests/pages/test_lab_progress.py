"""What the lab shows around a training job and an upload check: no leftover progress bar above an upload
error, no Cancel button once the fit is over, a note instead of a one-dot training curve."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.i18n import translate

LAB = "../pages/lab.py"


def _job_panel(phase: str, history: dict) -> None:
    """A lab's live panel for one running job whose progress is in `phase` (a stand-in queue, no training)."""
    from types import SimpleNamespace

    import streamlit as st

    from dashboard import access
    from dashboard.job_progress import render_job_progress

    progress = SimpleNamespace(phase=phase, epoch=1, epochs=1, batch=1, batches=1, eta_s=0.0,
                               samples_per_second=100.0, history=history)
    job = SimpleNamespace(id="job1", state="running", progress=progress, result=None, run_id=None, error=None,
                          title="vision / digits / mlp", meta={"use_case": "vision", "model": "mlp"},
                          owner=access.job_identity().user, owner_name="me", cancelled_by="")

    class Queue:
        def get(self, job_id):
            return job if job_id == "job1" else None

        def cancel(self, job_id, *, by):
            st.session_state["cancelled"] = job_id

    render_job_progress(Queue(), "job1", prefix="vision")


@pytest.mark.parametrize(("phase", "cancel_shown"), [("training", True), ("evaluating", False), ("done", False)])
def test_cancel_is_offered_only_while_the_model_is_fitting(phase, cancel_shown):
    at = AppTest.from_function(_job_panel, kwargs={"phase": phase, "history": {}}, default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [button.key for button in at.button] == (["vision_cancel"] if cancel_shown else [])


def test_a_running_job_says_which_model_it_trains():
    """After a reload the form below shows its defaults, so the panel names the job it follows."""
    at = AppTest.from_function(_job_panel, kwargs={"phase": "training", "history": {}}, default_timeout=30).run()
    assert "Your job: Vision · Multilayer perceptron (MLP)" in [c.value for c in at.caption], [
        c.value for c in at.caption]


def test_a_live_first_epoch_draws_no_chart_and_no_one_pass_note():
    at = AppTest.from_function(_job_panel, kwargs={"phase": "training", "history": {"loss": [0.5]}},
                               default_timeout=30).run()
    assert not at.get("plotly_chart")
    assert translate("lab_forms.one_point_history", "en") not in [c.value for c in at.caption]


def _history_views(history: dict) -> None:
    """The results-tab history of each lab (image/text, ratings, credit) for one stored run history."""
    from dashboard.history_views import render_history_charts
    from dashboard.labs import finance, recommendation

    render_history_charts(history, key="vision")
    render_history_charts(history, key="recommendation", curves=recommendation.CURVES)
    render_history_charts(history, key="finance", curves=finance.CURVES)


def test_a_one_pass_history_gets_a_note_instead_of_single_dot_charts():
    one_pass = {"loss": [0.31], "accuracy": [0.9], "val_loss": [0.35], "val_accuracy": [0.88],
                "rmse": [0.95], "val_rmse": [0.97], "auc": [0.8], "val_auc": [0.78]}
    at = AppTest.from_function(_history_views, kwargs={"history": one_pass}, default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.get("plotly_chart")
    note = translate("lab_forms.one_point_history", "en")
    assert [c.value for c in at.caption].count(note) == 3
    two_epochs = {name: values * 2 for name, values in one_pass.items()}
    at = AppTest.from_function(_history_views, kwargs={"history": two_epochs}, default_timeout=30).run()
    assert len(at.get("plotly_chart")) == 6  # accuracy + loss, RMSE + loss, loss + ROC-AUC
    assert note not in [c.value for c in at.caption]


@pytest.mark.slow
def test_a_refused_ratings_file_leaves_no_checking_bar_above_its_error(app_test):
    at = app_test(timeout=120).run()
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = "recommendation"
    at.session_state["recommendation_dataset"] = "upload_csv"
    at.run()
    bad = "userId,movieId,rating,timestamp\na,x,3,1\na,y,9,2\nb,x,2,3\n".encode()  # 9 is off the 0.5-5 scale
    at.file_uploader(key="recommendation_upload_csv").set_value(("bad.csv", bad, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error, "the refused file is explained"
    assert not at.get("progress"), [p.proto.text for p in at.get("progress")]
