"""The metric catalogue: every metric a real run logs has an entry with the right direction and format."""

from __future__ import annotations

import pytest

from core.evaluation import catalogue
from core.evaluation.catalogue import METRICS, format_metric, higher_is_better, is_percent, metric, task_metrics
from core.i18n import catalog
from core.contract.registry import USE_CASES


@pytest.fixture(scope="module")
def tracker(studio_tracker):
    return studio_tracker


def _logged(tracker, use_case: str, dataset: str, candidate: str) -> set[str]:
    from core.training.pipeline import run_training, TrainingSpec
    from core.training.runner import TrainConfig

    outcome = run_training(TrainingSpec(use_case, dataset, candidate, TrainConfig(epochs=1, batch_size=256)),
                           tracker=tracker)
    assert outcome.status == "completed"
    return set(tracker.get_run(outcome.run_id).data.metrics)


@pytest.mark.parametrize("use_case, dataset", [("vision", "digits"), ("nlp", "en_reviews"),
                                               ("finance", "credit_data"), ("recommendation", "movielens")])
def test_every_metric_a_baseline_run_logs_has_an_entry(tracker, use_case, dataset):
    logged = _logged(tracker, use_case, dataset, USE_CASES[use_case].baseline)
    assert USE_CASES[use_case].primary_metric in logged
    assert sorted(logged - set(METRICS)) == []


@pytest.mark.slow
@pytest.mark.parametrize("use_case, dataset, candidate", [
    ("vision", "digits", "mlp"), ("nlp", "en_reviews", "fasttext"), ("finance", "credit_data", "mlp"),
    ("recommendation", "movielens", "mf")])
def test_every_metric_a_keras_run_logs_has_an_entry(tracker, use_case, dataset, candidate):
    logged = _logged(tracker, use_case, dataset, candidate)
    assert {"latency_p50_ms", "final_loss", "final_val_loss"} <= logged
    assert sorted(logged - set(METRICS)) == []


def test_error_metrics_are_lower_is_better():
    assert metric("test_rmse").direction == "lower" and not higher_is_better("test_rmse")
    for name in ("test_mae", "test_brier", "test_min_cost", "latency_p50_ms", "final_val_loss", "final_rmse"):
        assert not higher_is_better(name), name
    for name in ("test_accuracy", "test_macro_f1", "test_roc_auc", "test_ndcg_at_10", "batch_throughput"):
        assert higher_is_better(name), name
    assert higher_is_better("something_new")  # an unknown metric ranks as a score, as before


def test_formats_and_task_metrics():
    assert is_percent("test_accuracy") and is_percent("test_hit_rate_at_10") and not is_percent("test_roc_auc")
    assert metric("test_rmse").format == "stars" and metric("latency_p95_ms").format == "ms"
    assert format_metric("test_macro_f1", 0.5) == "50.00%" and format_metric("test_ndcg_at_10", 0.12345) == "0.123"
    assert format_metric("unknown", "n/a") == "–"
    for use_case in USE_CASES.values():
        assert use_case.primary_metric in task_metrics(use_case.task)
        for name in task_metrics(use_case.task):
            assert use_case.task in metric(name).tasks


def test_every_entry_is_named_in_both_languages():
    for lang in ("en", "zh"):
        texts = catalog(lang)
        missing = [entry.label_key for entry in METRICS.values() if entry.label_key not in texts]
        assert missing == [], lang
    assert {entry.direction for entry in METRICS.values()} <= {catalogue.HIGHER, catalogue.LOWER, catalogue.NEUTRAL}


def test_every_use_case_names_a_baseline_among_its_candidates():
    for use_case in USE_CASES.values():
        assert use_case.baseline in {candidate.id for candidate in use_case.candidates}, use_case.id
