"""Runs page through its widgets: uploads told apart by name and size, metrics named, one use case per chart."""

from __future__ import annotations

from core.i18n import translate

PAGE = "../pages/runs.py"


def test_uploads_show_their_file_name_rows_and_named_metrics_and_the_chart_keeps_to_one_use_case(app_test, record_run):
    """Issue 13.5: `upload_csv` twice could not be told apart, bare numbers had no metric, use cases overlaid."""
    at = app_test(timeout=120)
    record_run("recommendation", "movielens", "bias", {"test_rmse": 0.8571}, train_size=80_003, fingerprint="ml")
    record_run("vision", "digits", "cnn", {"test_accuracy": 0.9312}, train_size=1_257, fingerprint="digits")
    credit = record_run("finance", "upload_csv", "scorecard", {"test_roc_auc": 0.8123}, train_size=600,
                        fingerprint="a", source_name="german_credit.csv", rows=1_000)
    adult = record_run("finance", "upload_csv", "gbm", {"test_roc_auc": 0.7904}, train_size=19_000, fingerprint="b",
                       source_name="adult.csv", rows=32_561)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]

    table = at.dataframe[0].value
    rows = list(zip(table["Model"], table["Dataset"], table["Test metric"]))
    assert rows == [
        ("Gradient boosting (scikit-learn)", "adult.csv · 32,561 rows", "AUC 0.790"),
        ("Scorecard (logistic regression)", "german_credit.csv · 1,000 rows", "AUC 0.812"),
        (translate("models.cnn.name", "en"), translate("datasets.digits.title", "en"), "accuracy 93.1 %"),
        (translate("recommendation.models.bias.name", "en"), translate("recommendation.datasets.movielens.title", "en"),
         "RMSE 0.857 stars"),
    ], rows
    assert not any("upload_csv" in str(cell) for column in table.columns for cell in table[column])

    overlay = at.multiselect(key="runs_selected_all")
    assert overlay.value == [adult, credit]  # the newest run's use case only: no digits or ratings curves mixed in
    assert overlay.format_func(adult).startswith("Gradient boosting (scikit-learn) · adult.csv · 32,561 rows · AUC 0.790")


def test_a_one_pass_fit_reads_the_same_on_the_runs_table_and_its_tile(app_test, record_run):
    """Popularity's tile said "Training time 0.0 s" while the Runs table said 0.8 s: the table showed the whole run
    (load, fit, test, save) under "Duration", the tile the fit alone at one decimal. Both now name what they time."""
    at = app_test(timeout=120)
    record_run("recommendation", "movielens", "popularity", {"test_rmse": 1.02, "train_seconds": 0.034},
               train_size=80_003, fingerprint="ml")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["Training time"]) == ["0.03 s"]
    assert "Run time (total)" in table.columns and "Duration" not in table.columns
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Training time"] == "0.03 s"


def test_durations_are_written_one_way_everywhere():
    from dashboard.run_names import seconds_text

    assert [seconds_text(s) for s in (0.034, 0.0, 0.8, 12.34, 59.96, 185, None, float("nan"), "x")] == [
        "0.03 s", "0.00 s", "0.80 s", "12.3 s", "1:00 min", "3:05 min", "–", "–", "–"]
