"""Measured evidence from a real MLflow tracker: measured scores carry run ids, the rest stay assumed."""

from __future__ import annotations

import pytest

from core.config import get_settings
from core.strategy.evidence import (ASSUMED, MEASURED, data_readiness, device_kind, effective_scores, latency_band, measured_from_runs,
                                    primary_metrics, quality_band, training_band)
from core.strategy.model import default_assessment


@pytest.mark.parametrize("metric, value, expected", [
    ("test_accuracy", 0.97, 5), ("test_accuracy", 0.95, 5), ("test_accuracy", 0.9499, 4), ("test_accuracy", 0.85, 3),
    ("test_accuracy", 0.70, 2), ("test_accuracy", 0.5, 1),
    ("test_roc_auc", 0.91, 5), ("test_roc_auc", 0.82, 4), ("test_roc_auc", 0.75, 3), ("test_roc_auc", 0.55, 1),
    # RMSE on the 0.5-5 star scale (range 4.5): 0.675 -> 0.15 -> 5; 0.9 -> 0.20 -> 4; 1.2 -> 0.267 -> 2
    ("test_rmse", 0.675, 5), ("test_rmse", 0.9, 4), ("test_rmse", 1.2, 2), ("test_rmse", 2.0, 1),
])
def test_primary_metrics_map_to_documented_bands(metric, value, expected):
    assert quality_band(metric, value) == expected


def test_data_readiness_suggestion_from_the_profile():
    assert data_readiness(50_000, True, 4) == 4  # volume 3, quality 4 -> 3.5 rounds up to 4
    assert data_readiness(2_000_000, True, 5) == 5
    assert data_readiness(50_000, False, 4) == 3  # unlabelled: one less
    assert data_readiness(10, False, 1) == 1  # never below 1


def test_latency_and_training_time_bands():
    assert [latency_band(ms) for ms in (1, 5, 6, 100, 400, 900)] == [5, 5, 4, 3, 2, 1]
    assert [training_band(h) for h in (0.05, 0.5, 5, 20, 30)] == [5, 4, 3, 2, 1]
    assert device_kind("CPU (2 cores)") == "CPU" and device_kind("NVIDIA H100 80GB HBM3") == "GPU"
    assert device_kind("-") == "" and device_kind(None) == ""


@pytest.fixture(scope="module")
def tracked_runs(tmp_path_factory):
    """A real tracker (SQLite under a temp STUDIO_DATA_DIR) with a completed vision run, a finance GPU run and a failed NLP run."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path_factory.mktemp("studio")))
    for name in ("MLFLOW_TRACKING_URI", "STUDIO_ARTIFACT_DIR", "STUDIO_EXPERIMENT"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    from core.tracking.store import tracker_from_settings

    tracker = tracker_from_settings(get_settings())
    ids = {}
    for key, use_case, device, metrics, status in (
        ("vision_weak", "vision", "CPU (2 cores)", {"test_accuracy": 0.81, "samples_per_second": 500.0,
                                                     "latency_p50_ms": 3.0}, "completed"),
        ("vision", "vision", "CPU (2 cores)", {"test_accuracy": 0.97, "train_seconds": 12.0, "samples_per_second": 1000.0,
                                               "latency_p50_ms": 2.0, "batch_throughput": 5000.0}, "completed"),
        ("finance", "finance", "NVIDIA H100 80GB HBM3", {"test_roc_auc": 0.82, "samples_per_second": 20000.0,
                                                          "latency_p50_ms": 1.0}, "completed"),
        ("nlp", "nlp", "CPU (2 cores)", {"test_accuracy": 0.99}, "failed"),
    ):
        run_id = tracker.start_run(use_case=use_case, dataset="d", model="m", params={"epochs": 1},
                                   tags={"studio.device": device})
        tracker.log_metrics(run_id, metrics)
        tracker.finish(run_id, status)
        ids[key] = run_id
    runs = tracker.list_runs()
    yield runs, ids
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.slow  # MLflow import and SQLite set-up take ~10 s on 2 cores
def test_measured_evidence_takes_the_best_completed_run(tracked_runs):
    runs, ids = tracked_runs
    measured = measured_from_runs(runs, primary_metrics())
    assert set(measured) == {"vision", "finance"}  # the failed NLP run is not evidence
    vision = measured["vision"]
    assert vision.run_id == ids["vision"] and vision.value == pytest.approx(0.97)
    assert set(vision.run_ids) == {ids["vision"], ids["vision_weak"]}
    assert vision.cpu.samples_per_second == 1000.0 and vision.gpu is None
    assert measured["finance"].gpu.run_id == ids["finance"] and measured["finance"].cpu is None


@pytest.mark.slow
def test_effective_scores_carry_run_ids_and_unmeasured_ones_are_assumed(tracked_runs):
    runs, ids = tracked_runs
    assessment = default_assessment()
    scores = effective_scores(assessment, measured_from_runs(runs, primary_metrics()))
    feasibility = scores["vision"]["feasibility"]
    assert (feasibility.score, feasibility.source, feasibility.run_ids) == (5.0, MEASURED, (ids["vision"],))
    # compute: latency 2 ms -> 5; training 50,000 rows x 10 epochs / 1,000 per s = 0.139 h -> 4; the lower wins
    compute = scores["vision"]["compute"]
    assert (compute.score, compute.source, compute.metric) == (4.0, MEASURED, "training_hours")
    assert compute.value == pytest.approx(50_000 * 10 / 1000 / 3600)
    assert scores["finance"]["feasibility"].score == 4.0 and scores["finance"]["feasibility"].run_ids == (ids["finance"],)
    for use_case_id in ("nlp", "recommendation"):
        assert {s.source for s in scores[use_case_id].values()} == {ASSUMED}
        assert scores[use_case_id]["feasibility"].score == assessment.use_case(use_case_id).scores["feasibility"]
    assert scores["vision"]["value"].source == ASSUMED  # business value is always a judgement
    assessment.use_case("vision").use_evidence = False
    switched_off = effective_scores(assessment, measured_from_runs(runs, primary_metrics()))
    assert switched_off["vision"]["feasibility"].source == ASSUMED


def _finance_runs():
    """Runs on three uploaded files, as list_runs gives them: the census table is newest but has no scorecard."""
    import pandas as pd

    def run(run_id, name, rows, model, auc, minute):
        return {"run_id": run_id, "use_case": "finance", "dataset": "upload_csv", "source_kind": "uploaded",
                "source_name": name, "dataset_rows": rows, "model": model, "status": "completed",
                "started": pd.Timestamp(f"2026-12-07 10:{minute:02d}"), "device": "CPU (2 cores)",
                "test_roc_auc": auc, "samples_per_second": 1000.0, "latency_p50_ms": 1.0}

    return pd.DataFrame([
        run("census-gbm", "adult.csv", 32_561, "gbm", 0.910, 50),
        run("recid-gbm", "compas.csv", 7_214, "gbm", 0.700, 40),
        run("credit-score", "credit.csv", 1_000, "scorecard", 0.790, 30),
        run("credit-gbm", "credit.csv", 1_000, "gbm", 0.766, 31),
        run("vision-cnn", "", None, "cnn", None, 20) | {"use_case": "vision", "dataset": "digits",
                                                        "source_kind": "bundled", "test_accuracy": 0.98},
    ])


def test_a_use_case_is_measured_on_one_data_set_named_by_its_file_and_rows():
    """The finance row took its value from the census upload while runs on two credit files existed (issue 25.2)."""
    from core.strategy.analysis import analyse, evidence_rows, ranking_rows
    from core.strategy.evidence import baselines, data_sets, runs_on_chosen_data

    runs = _finance_runs()
    sets = data_sets(runs, "finance", baseline="scorecard")
    assert [(d.source_name, d.rows, d.runs, d.has_baseline) for d in sets] == [
        ("credit.csv", 1_000, 2, True), ("adult.csv", 32_561, 1, False), ("compas.csv", 7_214, 1, False)]
    # by default the credit file (its baseline ran there too), not the newest census table
    measured = measured_from_runs(runs_on_chosen_data(runs, {}, baselines()), primary_metrics())
    assert measured["finance"].run_id == "credit-score" and measured["finance"].value == pytest.approx(0.790)
    assert set(measured["finance"].run_ids) == {"credit-score", "credit-gbm"}
    assert measured["vision"].run_id == "vision-cnn" and measured["vision"].data.dataset == "digits"
    analysis = analyse(default_assessment(), measured, "en")
    finance = next(row for row in ranking_rows(analysis) if row["Use case"] == "Finance risk")
    assert finance["Evidence"] == "measured (run credit-s) · credit.csv · 1,000 rows"
    data = {row["Data set"] for row in evidence_rows(analysis) if row["Use case"] == "Finance risk"}
    assert data == {"credit.csv · 1,000 rows", "-"}  # measured criteria name it, assumed ones do not
    # the person picks the census table: everything finance shows comes from it
    census = sets[1].key
    measured = measured_from_runs(runs_on_chosen_data(runs, {"finance": census}, baselines()), primary_metrics())
    assert measured["finance"].run_ids == ("census-gbm",) and measured["finance"].data.source_name == "adult.csv"
    zh = analyse(default_assessment(), measured, "zh")
    finance = next(row for row in ranking_rows(zh) if row["用例"] == "金融风控")
    assert finance["证据"].endswith("adult.csv · 32,561 行")
    # a choice that no longer exists (its runs deleted) falls back to the default
    gone = measured_from_runs(runs_on_chosen_data(runs, {"finance": "upload_csv|old.csv|5"}, baselines()),
                              primary_metrics())
    assert gone["finance"].run_id == "credit-score"
