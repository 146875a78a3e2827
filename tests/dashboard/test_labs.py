"""Every use case's lab comes from an explicit registry; a use case without one gets the generic lab."""

import pytest

from dashboard.labs import LABS, LabView, lab_view
from dashboard.labs.generic import render_evaluation as generic_evaluation
from dashboard.labs.generic import render_metric_row as classification_metric_row


def test_the_registry_holds_the_four_labs_each_prefixing_its_widget_keys_with_its_use_case_id():
    assert list(LABS) == ["vision", "nlp", "recommendation", "finance"]
    assert {use_case: lab.prefix for use_case, lab in LABS.items()} == {use_case: use_case for use_case in LABS}
    assert all(isinstance(lab, LabView) for lab in LABS.values())
    assert lab_view("vision") is LABS["vision"]
    assert lab_view("finance").tab_keys[3] == "finance.tab_try"


@pytest.mark.parametrize("use_case_id", ["toy", None, "../pages", "os.path"])
def test_a_use_case_without_a_lab_gets_the_generic_one_and_nothing_is_imported(use_case_id):
    import sys

    before = set(sys.modules)
    lab = lab_view(use_case_id)
    assert lab.prefix == str(use_case_id)  # widget keys of its own, never another lab's
    assert lab.metric_row is classification_metric_row and lab.evaluation is generic_evaluation
    assert lab.tab_keys == ("lab.tab_data", "lab.tab_train", "lab.tab_results", "lab.tab_try")
    assert set(sys.modules) == before  # no lookup by module name


def test_runs_overlay_offers_the_curves_the_runs_recorded():
    from dashboard.runs_page_views import recorded_curves

    class Tracker:
        histories = {"cnn": {"accuracy": [0.9], "loss": [0.3], "val_accuracy": [0.8]},
                     "mf": {"rmse": [0.9], "loss": [0.8], "val_rmse": [0.95]}}

        def history(self, run_id):
            return self.histories[run_id]

    tracker = Tracker()
    assert recorded_curves({run: tracker.history(run) for run in ["cnn"]}) == {"accuracy", "loss"}
    assert recorded_curves({run: tracker.history(run) for run in ["cnn", "mf"]}) == {"accuracy", "rmse", "loss"}
    assert recorded_curves({}) == {"loss"}


def test_candidate_options_add_missing_defaults_in_order():
    from dashboard.training_form import LEARNING_RATES, candidate_options

    assert candidate_options(LEARNING_RATES, [2e-3, 1e-3, None]) == [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2, 3e-2]
    assert candidate_options([128, 1024], [1024, 64]) == [64, 128, 1024]


@pytest.mark.parametrize("tasks, english", [
    ({"multiclass"}, "Loss (cross-entropy)"), ({"binary", "multiclass"}, "Loss (cross-entropy)"),
    ({"rating"}, "Loss (squared error + L2 penalty)"), ({"rating", "binary"}, "Loss (each run's own training loss)"),
    (set(), "Loss (cross-entropy)")])
def test_loss_curve_is_named_after_the_loss_the_runs_trained_on(tasks, english):
    from dashboard.history_views import curve_label

    assert curve_label("loss", tasks) == english
    assert curve_label("rmse", tasks) == "RMSE"


def test_genres_read_in_the_readers_language_and_unknown_ones_pass_through():
    from core.i18n import translate
    from dashboard.labs.recommendation import genre_label, genres_text

    assert genres_text("Comedy|Sci-Fi") == "Comedy, Sci-Fi"  # English outside a session
    assert genres_text("(no genres listed)") == "–"
    assert genre_label("Space opera") == "Space opera"  # an uploaded catalogue's own genre
    assert translate("recommendation.genre_names.Sci-Fi", "zh") == "科幻"


def test_uploads_over_the_limit_are_refused_with_both_sizes(monkeypatch):
    from core.config import get_settings
    from core.errors import DataError
    from dashboard.uploads import upload_bytes

    class Upload:
        def __init__(self, size):
            self.data = b"x" * size

        def getvalue(self):
            return self.data

    monkeypatch.setenv("STUDIO_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    try:
        assert upload_bytes(Upload(2**20)) == b"x" * 2**20  # exactly at the limit is fine
        with pytest.raises(DataError, match=r"The upload is 1\.5 MB; the limit is 1 MB"):
            upload_bytes(Upload(3 * 2**19))
    finally:
        get_settings.cache_clear()



def test_other_jobs_are_named_for_people_not_by_their_ids():
    from types import SimpleNamespace

    from dashboard.job_progress import job_label

    job = SimpleNamespace(title="finance / upload_csv / gbm", meta={"use_case": "finance", "model": "gbm"})
    assert job_label(job) == "Finance risk · Gradient boosting (scikit-learn)"
    assert job_label(SimpleNamespace(title="an old job", meta={})) == "an old job"
