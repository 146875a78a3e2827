"""The planner's starting points with LLM runs tracked in a real MLflow store: zero-shot and 8-shot are two rows
labelled from hp_k, with their running cost per 1,000 decisions and the examples in the prompt; the evidence of a
use case whose best run is an LLM (no parameters, size or training speed) reads without crashing."""

from __future__ import annotations

import pytest

from core.i18n import translate
from core.strategy.analysis import analyse, evidence_rows
from core.strategy.evidence import measured_from_runs, primary_metrics
from core.strategy.model import default_assessment
from core.strategy.starting_points import compare_starting_points, start_label, starting_point_rows
from llm_tracked import log_all

pytestmark = pytest.mark.slow  # MLflow import and SQLite set-up


@pytest.fixture(scope="module")
def tracked(studio_tracker):
    ids = log_all(studio_tracker)
    return studio_tracker.list_runs(), ids


def test_labels_read_from_k_in_both_languages():
    assert [start_label("llm", k) for k in (0, 8, "8", None)] == ["LLM, zero-shot", "LLM, 8-shot", "LLM, 8-shot", "LLM"]
    assert [start_label("llm", k, "zh") for k in (0, 8)] == ["大语言模型，零样本", "大语言模型，8 样本"]
    assert [start_label(start) for start in ("pretrained", "scratch", "baseline", "")] == [
        "pretrained", "from scratch", "baseline", "from scratch"]


def test_zero_shot_and_eight_shot_are_two_starting_points(tracked):
    runs, ids = tracked
    points = compare_starting_points(runs, {"nlp": "test_accuracy"})["nlp"]
    assert [(point.start, point.shots, point.run_id) for point in points] == [
        ("baseline", None, ids["baseline"]), ("llm", 0, ids["zero"]), ("llm", 8, ids["eight"])]
    assert [point.key for point in points] == ["baseline", "llm:0", "llm:8"]
    assert [point.cost_per_1000 for point in points] == [None, 2.5, 4.0]
    assert points[2].parameters is None and points[2].size_mb is None and points[2].train_seconds is None

    rows = starting_point_rows({"nlp": points}, "en", {"nlp": "Text"})
    assert [row["Starting point"] for row in rows] == ["baseline", "LLM, zero-shot", "LLM, 8-shot"]
    assert [row["Running cost per 1,000 decisions"] for row in rows] == ["-", "2.50", "4.00"]
    assert [row["Labelled examples trained on"] for row in rows] == ["1,600", "none (zero-shot)", "8 examples in the prompt"]
    assert [row["Quality (test split)"] for row in rows][1:] == ["accuracy 80.00%", "accuracy 90.00%"]
    assert rows[2][translate("selection.columns.parameters", "en")] == "-"
    assert list(rows[0])[3:5] == ["Quality (test split)", "Running cost per 1,000 decisions"]
    zh = starting_point_rows({"nlp": points}, "zh")
    assert [row["起点"] for row in zh] == ["基线", "大语言模型，零样本", "大语言模型，8 样本"]
    assert zh[2][translate("starting_points.trained_on", "zh")] == "提示中的 8 个示例"


def test_without_an_llm_the_table_is_as_before(tracked):
    runs, _ = tracked
    points = compare_starting_points(runs[runs["model"] == "tfidf_logreg"], {"nlp": "test_accuracy"})
    (row,) = starting_point_rows(points, "en")
    assert "Running cost per 1,000 decisions" not in row and row["Starting point"] == "baseline"


def test_an_llm_best_run_is_evidence_without_parameters_or_size(tracked):
    runs, ids = tracked
    measured = measured_from_runs(runs, primary_metrics())
    nlp = measured["nlp"]
    assert (nlp.run_id, nlp.start, nlp.shots) == (ids["eight"], "llm", 8)
    assert nlp.train_seconds is None and nlp.best.samples_per_second is None
    analysis = analyse(default_assessment(), measured, "en")
    runs_shown = {row["Runs"] for row in evidence_rows(analysis)}
    assert f"{ids['eight'][:8]} (LLM, 8-shot)" in runs_shown


def test_an_embedding_run_is_a_pretrained_start_with_its_running_cost(tracked):
    import pandas as pd

    runs, ids = tracked
    embedding = runs[runs["run_id"] == ids["baseline"]].assign(  # as an LLM-embeddings run logs itself
        run_id="e" * 32, model="llm_embed_endpoint", starting_point="pretrained", model_kind="llm_embed",
        test_accuracy=0.85, llm_cost_per_1000=0.03)
    points = compare_starting_points(pd.concat([runs, embedding], ignore_index=True), {"nlp": "test_accuracy"})["nlp"]
    pretrained = next(point for point in points if point.start == "pretrained")
    assert (pretrained.model, pretrained.cost_per_1000) == ("llm_embed_endpoint", 0.03)
    rows = starting_point_rows({"nlp": points}, "en", {"nlp": "Text"})
    assert [(row["Starting point"], row["Running cost per 1,000 decisions"]) for row in rows] == [
        ("pretrained", "0.03"), ("baseline", "-"), ("LLM, zero-shot", "2.50"), ("LLM, 8-shot", "4.00")]
