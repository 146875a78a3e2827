"""Model selection with LLM runs tracked in a real MLflow store: their own starting point, cost and invalid-answer
columns, unknown (not zero) parameters and size, invalid answers (y_pred -1) counted wrong by the significance
tests, and guidance that reads them without crashing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.contract.registry import model_title
from core.selection.advice_text import to_markdown
from core.selection.compare import comparison_table, fingerprints_from_tracker
from core.selection.guidance import Requirements, recommend
from core.selection.significance import beats_baseline, compare_with_baseline, mcnemar
from core.tracking.run_files import EVALUATION_FILE
from llm_tracked import BASELINE_PRED, EIGHT_SHOT_PRED, Y_TRUE, ZERO_SHOT_PRED, log_all

pytestmark = pytest.mark.slow  # MLflow import and SQLite set-up


@pytest.fixture(scope="module")
def tracked(studio_tracker):
    ids = log_all(studio_tracker)
    runs = studio_tracker.list_runs("nlp")
    return studio_tracker, runs, ids, fingerprints_from_tracker(studio_tracker, runs["run_id"])


def test_llm_runs_are_their_own_starting_point_with_cost_and_invalid_answers(tracked):
    _, runs, ids, fingerprints = tracked
    table = comparison_table(runs, use_case="nlp", fingerprints=fingerprints)
    rows = {row["model"]: row for row in table.to_dict("records")}
    # latest per model, and of one LLM candidate the latest of each k: zero-shot and 8-shot side by side
    assert set(rows) == {"tfidf_logreg", "llm_endpoint#0", "llm_endpoint#8"}
    llm, base = rows["llm_endpoint#8"], rows["tfidf_logreg"]
    assert (llm["start"], llm["kind"], llm["shots"], llm["run_id"]) == ("llm", "llm", 8, ids["eight"])
    zero = rows["llm_endpoint#0"]
    assert (zero["shots"], zero["run_id"], zero["llm_cost_per_1000"]) == (0, ids["zero"], 2.5)
    assert model_title("nlp", "llm_endpoint#8", "en") == "LLM through an API (OpenAI-compatible), 8-shot"
    assert model_title("nlp", "llm_endpoint#0", "zh") == "通过 API 调用的大语言模型（兼容 OpenAI），零样本"
    # one prompting only: the candidate keeps its own id
    single = comparison_table(runs[runs["run_id"] != ids["zero"]], use_case="nlp", fingerprints=fingerprints)
    assert set(single["model"]) == {"tfidf_logreg", "llm_endpoint"}
    assert llm["llm_cost_per_1000"] == 4.0 and llm["test_invalid_rate"] == pytest.approx(0.05)
    assert llm["test_accuracy"] == pytest.approx(0.9)
    # an LLM logs no parameters, size or training time: unknown, never 0
    assert math.isnan(llm["parameters"]) and math.isnan(llm["size_mb"]) and math.isnan(llm["train_seconds"])
    assert base["start"] == "baseline" and base["parameters"] == 20002 and base["size_mb"] == pytest.approx(0.25)
    assert math.isnan(base["llm_cost_per_1000"]) and math.isnan(base["shots"])

    every = comparison_table(runs, use_case="nlp", fingerprints=fingerprints, latest_only=False)
    shots = {row["run_id"]: row["shots"] for row in every.to_dict("records")}
    assert shots[ids["zero"]] == 0 and shots[ids["eight"]] == 8
    assert dict(zip(every["run_id"], every["llm_cost_per_1000"]))[ids["zero"]] == 2.5


def test_without_an_llm_the_table_keeps_its_columns(tracked):
    _, runs, _, fingerprints = tracked
    table = comparison_table(runs[runs["model"] == "tfidf_logreg"], use_case="nlp", fingerprints=fingerprints)
    assert "llm_cost_per_1000" not in table and "test_invalid_rate" not in table and "shots" not in table


def test_an_invalid_answer_counts_wrong_in_mcnemar_and_the_bootstrap(tracked):
    tracker, _, ids, _ = tracked
    evaluations = {"tfidf_logreg": tracker.load_dict(ids["baseline"], EVALUATION_FILE),
                   "llm_zero": tracker.load_dict(ids["zero"], EVALUATION_FILE),
                   "llm_eight": tracker.load_dict(ids["eight"], EVALUATION_FILE)}
    assert -1 in evaluations["llm_zero"]["y_pred"]
    results = compare_with_baseline(evaluations, "tfidf_logreg", n_resamples=200)
    # by hand: the baseline is right on rows 0-13; zero-shot on rows 0-15 (its two -1 rows and two 0s are wrong)
    zero = results["llm_zero"]
    assert (zero.accuracy, zero.baseline_accuracy) == (pytest.approx(0.8), pytest.approx(0.7))
    assert (zero.mcnemar.b, zero.mcnemar.c) == (2, 0) and zero.difference == pytest.approx(0.1)
    eight = results["llm_eight"]
    assert eight.accuracy == pytest.approx(0.9) and (eight.mcnemar.b, eight.mcnemar.c) == (4, 0)
    # every answer invalid: all wrong, never an index into the labels
    none_valid = [-1] * len(Y_TRUE)
    assert mcnemar(Y_TRUE, none_valid, BASELINE_PRED).c == 14
    assert beats_baseline(np.array(Y_TRUE), none_valid, BASELINE_PRED, n_resamples=100).accuracy == 0.0
    assert sum(p == t for p, t in zip(ZERO_SHOT_PRED, Y_TRUE)) == 16 and sum(
        p == t for p, t in zip(EIGHT_SHOT_PRED, Y_TRUE)) == 18


def test_guidance_ranks_an_llm_without_parameters_size_or_training_time(tracked):
    tracker, runs, ids, fingerprints = tracked
    table = comparison_table(runs, use_case="nlp", fingerprints=fingerprints)
    evaluations = {"tfidf_logreg": tracker.load_dict(ids["baseline"], EVALUATION_FILE),
                   "llm_endpoint#0": tracker.load_dict(ids["zero"], EVALUATION_FILE),
                   "llm_endpoint#8": tracker.load_dict(ids["eight"], EVALUATION_FILE)}
    significance = compare_with_baseline(evaluations, "tfidf_logreg", n_resamples=200)
    for retrain in ("rarely", "daily"):
        recommendation = recommend(table, Requirements(labelled_examples=1600, latency_target_ms=50.0, retrain=retrain),
                                   use_case="nlp", significance=significance)
        assert {item.model for item in recommendation.ranked} == {"tfidf_logreg", "llm_endpoint#0", "llm_endpoint#8"}
        llm = next(item for item in recommendation.ranked if item.model == "llm_endpoint#8")
        assert "latency" in llm.flags  # 310 ms against a 50 ms target: measured, so it is flagged
        assert "retraining" not in llm.flags  # no training time: unknown, not "too slow"
        for lang in ("en", "zh"):
            text = to_markdown(recommendation, lang)
            assert " nan" not in text.lower() and model_title("nlp", "llm_endpoint#8", lang) in text


@pytest.mark.parametrize("host, leaves", [("", False), ("127.0.0.1:9", False), ("localhost:8080", False),
                                          ("10.1.2.3:8000", False), ("192.168.0.7", False), ("[::1]:8080", False),
                                          ("vllm:8000", False), ("api.openai.com", True),
                                          ("dashscope.aliyuncs.com", True), ("8.8.8.8", True)])
def test_an_endpoint_leaves_the_premises_unless_it_is_this_machine_or_a_private_address(host, leaves):
    from core.selection.guidance import leaves_premises

    assert leaves_premises(host) is leaves


def test_on_premises_only_flags_an_endpoint_on_someone_elses_server_and_names_it(tracked):
    from core.i18n import translate

    _, runs, ids, fingerprints = tracked
    table = comparison_table(runs, use_case="nlp", fingerprints=fingerprints)
    rows = dict(zip(table["model"], table["sends_to"]))
    assert rows == {"tfidf_logreg": "", "llm_endpoint#0": "127.0.0.1:9", "llm_endpoint#8": "127.0.0.1:9"}
    table.loc[table["model"] == "llm_endpoint#8", "sends_to"] = "api.openai.com"  # as if it had run there
    recommendation = recommend(table, Requirements(labelled_examples=1600, on_premises_only=True), use_case="nlp")
    advice = {item.model: item for item in recommendation.ranked}
    assert advice["llm_endpoint#8"].flags == ["on_premises"] and not advice["llm_endpoint#8"].meets_all
    assert "on_premises" not in advice["llm_endpoint#0"].flags and "on_premises" not in advice["tfidf_logreg"].flags
    keys = {key for key, _ in advice["llm_endpoint#8"].reasons}
    assert "selection.reasons.endpoint_leaves_premises" in keys and "selection.reasons.on_premises" not in keys
    text = to_markdown(recommendation, "en")
    assert "Sends every item to the endpoint at api.openai.com" in text
    assert "Sends every item" not in to_markdown(
        recommend(table, Requirements(labelled_examples=1600), use_case="nlp"), "en")  # not asked: not said
    assert translate("selection.unmet.on_premises", "zh") == "数据留在本地"


def test_a_sampled_llm_is_compared_with_the_baseline_on_its_own_rows_and_says_so(tracked):
    """By hand on test rows 10-19: the 8-shot LLM answers 8 right (one invalid, one wrong), the baseline 4."""
    tracker, runs, ids, fingerprints = tracked
    table = comparison_table(runs, use_case="nlp", fingerprints=fingerprints)
    sampled = dict(tracker.load_dict(ids["eight"], EVALUATION_FILE))
    rows = list(range(10, 20))
    sampled.update(test_rows=rows, y_true=[Y_TRUE[i] for i in rows], y_pred=[EIGHT_SHOT_PRED[i] for i in rows],
                   confidence=[1.0] * 10)
    evaluations = {"tfidf_logreg": tracker.load_dict(ids["baseline"], EVALUATION_FILE), "llm_endpoint#8": sampled}
    significance = compare_with_baseline(evaluations, "tfidf_logreg", n_resamples=200)
    result = significance["llm_endpoint#8"]
    assert (result.rows, result.accuracy, result.baseline_accuracy) == (10, pytest.approx(0.8), pytest.approx(0.4))
    recommendation = recommend(table, Requirements(labelled_examples=1600), use_case="nlp", significance=significance)
    text = to_markdown(recommendation, "en")
    assert ("On the 10 test examples it scored (a sample), accuracy 80.0% vs baseline 40.0% on the same examples "
            "(+40.0 points, 95% CI") in text
    assert "On the 10 test examples" in text and "在它评分的 10 个测试样本（抽样）上" in to_markdown(recommendation, "zh")
    assert "Measured accuracy on a sample of 10 test examples: 90.0%" in text  # its headline, said to be a sample
    assert "(-6.4 points" not in text and "+40.0 points" in text  # one gap to the baseline: the paired one
