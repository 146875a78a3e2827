"""McNemar and bootstrap against hand-worked numbers; verdicts against the baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.selection.compare import SelectionError
from core.selection.significance import (
    beats_baseline, bootstrap_accuracy_difference, compare_with_baseline, mcnemar, p_text,
)


def _paired(b: int, c: int, both_right: int, both_wrong: int = 0):
    """Labels and two prediction lists with exactly b (A right, B wrong) and c (A wrong, B right) pairs."""
    n = b + c + both_right + both_wrong
    truth = np.zeros(n, dtype=int)
    a = truth.copy()
    other = truth.copy()
    other[:b] = 1                 # A right, B wrong
    a[b:b + c] = 1                # A wrong, B right
    a[b + c:b + c + both_wrong] = 1
    other[b + c:b + c + both_wrong] = 2
    return truth, a, other


def test_exact_mcnemar_b10_c2_matches_hand_binomial():
    truth, a, b = _paired(10, 2, both_right=50)
    result = mcnemar(truth, a, b)
    # 2 * P(X <= 2 | n=12, p=0.5) = 2 * (1 + 12 + 66) / 4096
    assert (result.b, result.c, result.method) == (10, 2, "exact")
    assert result.p_value == pytest.approx(2 * 79 / 4096) == pytest.approx(0.0386, abs=1e-4)


def test_exact_mcnemar_balanced_discordance_is_p_one():
    truth, a, b = _paired(3, 3, both_right=10)
    assert mcnemar(truth, a, b).p_value == 1.0


def test_no_discordant_pairs_gives_p_one():
    truth, a, b = _paired(0, 0, both_right=10, both_wrong=5)
    result = mcnemar(truth, a, b)
    assert (result.b, result.c, result.p_value) == (0, 0, 1.0)


def test_chi_square_with_continuity_correction_above_25_discordant():
    truth, a, b = _paired(30, 10, both_right=60)
    result = mcnemar(truth, a, b)
    # (|30 - 10| - 1)^2 / 40 = 361 / 40 = 9.025; chi2(1) survival = erfc(sqrt(9.025 / 2))
    assert result.method == "chi2"
    assert result.statistic == pytest.approx(9.025)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(9.025 / 2)), rel=1e-9)


def test_bootstrap_difference_and_interval():
    truth, a, b = _paired(30, 10, both_right=60)
    diff, low, high = bootstrap_accuracy_difference(truth, a, b, n_resamples=3000, random_state=1)
    assert diff == pytest.approx(0.20)  # (30 - 10) / 100
    # normal approximation of the paired difference: sd = sqrt((0.4 - 0.04) / 100) = 0.06
    assert low == pytest.approx(0.20 - 1.96 * 0.06, abs=0.02)
    assert high == pytest.approx(0.20 + 1.96 * 0.06, abs=0.02)
    assert bootstrap_accuracy_difference(truth, a, b, random_state=1) == \
        bootstrap_accuracy_difference(truth, a, b, random_state=1)


def test_verdicts():
    truth, a, b = _paired(30, 10, both_right=60)
    assert beats_baseline(truth, a, b).verdict == "better"
    assert beats_baseline(truth, b, a).verdict == "worse"
    truth, a, b = _paired(3, 2, both_right=95)
    result = beats_baseline(truth, a, b, model="cnn", baseline="logreg")
    assert result.verdict == "no_difference"
    assert result.accuracy == pytest.approx(0.98) and result.baseline_accuracy == pytest.approx(0.97)
    assert result.ci_low < 0 < result.ci_high


def test_bad_inputs_are_refused():
    with pytest.raises(SelectionError, match="different lengths"):
        mcnemar([0, 1], [0, 1, 1], [0, 1])
    with pytest.raises(SelectionError, match="no test predictions"):
        mcnemar([], [], [])


def test_compare_with_baseline_from_evaluation_dicts():
    truth, a, b = _paired(30, 10, both_right=60)
    evaluations = {"logreg": {"y_true": truth.tolist(), "y_pred": b.tolist()},
                   "cnn": {"y_true": truth.tolist(), "y_pred": a.tolist()},
                   "old_run": {"accuracy": 0.9}}
    results = compare_with_baseline(evaluations, "logreg")
    assert set(results) == {"cnn"} and results["cnn"].verdict == "better"
    with pytest.raises(SelectionError, match="no per-example test predictions"):
        compare_with_baseline({"logreg": {"accuracy": 0.9}}, "logreg")
    shifted = truth.copy()
    shifted[0] = 5
    evaluations["mlp"] = {"y_true": shifted.tolist(), "y_pred": a.tolist()}
    with pytest.raises(SelectionError, match="different test labels"):
        compare_with_baseline(evaluations, "logreg")


def test_rank_auc_matches_sklearn_and_a_hand_worked_case():
    from sklearn.metrics import roc_auc_score

    from core.selection.significance import _auc

    # positives score 0.9 and 0.4, negatives 0.5 and 0.1: 3 of the 4 positive-negative pairs are ordered right
    assert _auc(np.array([1, 1, 0, 0]), np.array([0.9, 0.4, 0.5, 0.1])) == 0.75
    rng = np.random.default_rng(0)
    truth, scores = rng.integers(0, 2, 500), np.round(rng.random(500), 2)  # rounded: ties too
    assert _auc(truth, scores) == pytest.approx(roc_auc_score(truth, scores))
    assert np.isnan(_auc(np.ones(3), np.array([0.1, 0.2, 0.3])))


def test_bootstrap_of_rmse_and_auc_finds_a_real_difference_and_no_imaginary_one():
    from core.selection.significance import bootstrap_metric_difference, compare_metric_with_baseline

    rng = np.random.default_rng(1)
    ratings = rng.uniform(1, 5, 2000)
    good = ratings + rng.normal(0, 0.8, 2000)
    poor = ratings + rng.normal(0, 1.0, 2000)
    diff, low, high = bootstrap_metric_difference("test_rmse", ratings, good, poor, n_resamples=300)
    assert diff == pytest.approx(np.sqrt(np.mean((good - ratings) ** 2)) - np.sqrt(np.mean((poor - ratings) ** 2)))
    assert low <= diff <= high < 0  # lower error, and the interval excludes 0
    results = compare_metric_with_baseline(
        {"bias": {"ratings_true": ratings, "ratings_pred": poor}, "mf": {"ratings_true": ratings, "ratings_pred": good},
         "twin": {"ratings_true": ratings, "ratings_pred": poor + rng.normal(0, 0.01, 2000)}},
        "bias", "test_rmse", higher_is_better=False, n_resamples=300)
    assert results["mf"].verdict == "better" and results["twin"].verdict == "no_difference"
    labels = (rng.random(1000) < 0.3).astype(int)
    informative, noise = labels + rng.normal(0, 0.8, 1000), rng.random(1000)
    auc = compare_metric_with_baseline({"scorecard": {"y_true": labels, "scores": informative},
                                        "noise": {"y_true": labels, "scores": noise}},
                                       "scorecard", "test_roc_auc", n_resamples=300)
    assert auc["noise"].verdict == "worse" and auc["noise"].value == pytest.approx(0.5, abs=0.06)


def test_metric_bootstrap_refuses_different_test_sets_and_unknown_metrics():
    from core.selection.significance import bootstrap_metric_difference, compare_metric_with_baseline

    with pytest.raises(SelectionError, match="different test labels"):
        compare_metric_with_baseline({"a": {"y_true": [0, 1], "scores": [0.1, 0.9]},
                                      "b": {"y_true": [1, 0], "scores": [0.2, 0.3]}}, "a", "test_roc_auc")
    assert compare_metric_with_baseline({}, "a", "test_macro_f1") == {}
    with pytest.raises(ValueError, match="No bootstrap for"):
        bootstrap_metric_difference("test_f1", [1], [1], [1])


def test_p_values_below_one_in_a_thousand_read_as_less_than_not_as_zero():
    assert p_text(0.0) == "p < 0.001"
    assert p_text(0.0004) == "p < 0.001"
    assert p_text(0.001) == "p = 0.001"
    assert p_text(0.0123) == "p = 0.012"
    assert p_text(1.0) == "p = 1.000"
    assert p_text(math.nan) == "p = –"


def test_a_decisive_mcnemar_is_written_p_below_a_thousandth_in_both_languages():
    from core.selection.advice_text import render_reason

    truth, a, other = _paired(b=60, c=0, both_right=40)
    p = mcnemar(truth, a, other).p_value
    assert p < 1e-9
    params = {"metric": "accuracy", "quality_pct": 99.0, "baseline_pct": 40.0, "gap_to_baseline_points": 59.0,
              "ci_low_points": 50.0, "ci_high_points": 68.0, "confidence_pct": 95.0, "p_value": p}
    for lang in ("en", "zh"):
        text = render_reason("selection.reasons.vs_baseline_tested", params, lang)
        assert "p < 0.001" in text and "0.000" not in text


def test_a_run_that_scored_a_test_sample_is_compared_on_exactly_those_rows():
    from core.selection.significance import compare_with_baseline, shared_rows

    truth = [0, 1, 0, 1, 1, 0, 1, 0]
    baseline = {"y_true": truth, "y_pred": [0, 1, 1, 1, 0, 0, 1, 1]}  # all 8 rows
    sampled = {"y_true": [1, 0, 1, 0], "y_pred": [1, -1, 1, 1], "test_rows": [1, 2, 4, 7]}  # an LLM's sample
    paired = shared_rows(sampled, baseline)
    assert paired is not None
    shared_truth, mine, theirs = paired
    assert shared_truth.tolist() == [1, 0, 1, 0]
    assert mine.tolist() == [1, -1, 1, 1] and theirs.tolist() == [1, 1, 0, 1]  # the baseline on rows 1, 2, 4, 7
    result = compare_with_baseline({"llm": sampled, "logreg": baseline}, "logreg")["llm"]
    # rows 2 and 7: both wrong (the -1 is wrong); row 4: only the LLM right -> b = 1, c = 0, on 4 rows
    assert (result.mcnemar.b, result.mcnemar.c, result.mcnemar.n) == (1, 0, 4)
    assert shared_rows({"y_true": [0, 0, 1, 0], "y_pred": [0, 0, 0, 0], "test_rows": [1, 2, 4, 7]}, baseline) is None
