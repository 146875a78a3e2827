"""Per-use-case lab views are found by module name; a use case without one gets the image views."""

import pytest

from dashboard.lab_views import view_function, view_module


def test_missing_view_module_means_default_views():
    assert view_module("vision") is None
    assert view_function("vision", "render_lab") is None
    assert view_function(None, "render_lab") is None


def test_odd_ids_never_import_anything():
    assert view_module("../pages") is None
    assert view_module("os.path") is None


def test_runs_overlay_offers_the_curves_the_runs_recorded():
    from dashboard.views import recorded_curves

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
    from dashboard.views import LEARNING_RATES, candidate_options

    assert candidate_options(LEARNING_RATES, [2e-3, 1e-3, None]) == [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2, 3e-2]
    assert candidate_options([128, 1024], [1024, 64]) == [64, 128, 1024]


@pytest.mark.parametrize("tasks, english", [
    ({"multiclass"}, "Loss (cross-entropy)"), ({"binary", "multiclass"}, "Loss (cross-entropy)"),
    ({"rating"}, "Loss (squared error + L2 penalty)"), ({"rating", "binary"}, "Loss (each run's own training loss)"),
    (set(), "Loss (cross-entropy)")])
def test_loss_curve_is_named_after_the_loss_the_runs_trained_on(tasks, english):
    from dashboard.views import curve_label

    assert curve_label("loss", tasks) == english
    assert curve_label("rmse", tasks) == "RMSE"


def test_genres_read_in_the_readers_language_and_unknown_ones_pass_through():
    from core.i18n import translate
    from dashboard.lab_views.recommendation import genre_label, genres_text

    assert genres_text("Comedy|Sci-Fi") == "Comedy, Sci-Fi"  # English outside a session
    assert genres_text("(no genres listed)") == "–"
    assert genre_label("Space opera") == "Space opera"  # an uploaded catalogue's own genre
    assert translate("recommendation.genre_names.Sci-Fi", "zh") == "科幻"


def test_uploads_over_the_limit_are_refused_with_both_sizes(monkeypatch):
    from core.config import get_settings
    from core.errors import DataError
    from dashboard.views import upload_bytes

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

    from dashboard.views import job_label

    job = SimpleNamespace(title="finance / upload_csv / gbm", meta={"use_case": "finance", "model": "gbm"})
    assert job_label(job) == "Finance risk · Gradient boosting (scikit-learn)"
    assert job_label(SimpleNamespace(title="an old job", meta={})) == "an old job"
