"""Business case maths against hand-worked numbers: credit, automation, recommendation, bootstrap, economics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from core.business.payoff import (Payoff, automation_cutoff, bootstrap_mean, business_case, classification_case,
                                  credit_case, economics, recommendation_case, value_band)
from core.errors import DataError

CREDIT = {"y_true": [0, 0, 0, 1, 1], "scores": [0.1, 0.3, 0.6, 0.7, 0.2]}
MONEY = Payoff(cost_bad_approved=1000, margin_good_rejected=200, applications_per_year=10_000)


def test_credit_against_approving_everyone_by_hand():
    # approve all: 2 bad x 1000 / 5 = 400 per applicant. Cost by threshold: (0.1, 0.2] approves only the 0.1 row,
    # rejecting 2 goods = 400 / 5 = 80: the cheapest, first reached at 0.11. Saving 320 x 10,000 = 3.2 M.
    case = credit_case(CREDIT, MONEY, run_id="abc")
    assert case.operating_point == pytest.approx(0.11) and case.chosen_on == "test"
    assert case.value == pytest.approx(3_200_000) and case.baseline == "approve_all"
    assert case.details["cost_today"] == pytest.approx(4_000_000)
    assert case.low <= case.value <= case.high
    assert case.curve_y[-1] == pytest.approx(0.0)  # approving everyone is today's rule: no saving


def test_credit_threshold_comes_from_validation_scores_when_stored():
    # validation: a good at 0.5 and a bad at 0.9 -> cheapest threshold approves 0.5 only: 0.51.
    # test at 0.51 approves 0.1, 0.3 and the bad 0.2 (1000) and rejects the good 0.6 (200): 240 per applicant.
    evaluation = {**CREDIT, "validation": {"y_true": [0, 1], "scores": [0.5, 0.9]}}
    case = credit_case(evaluation, MONEY)
    assert case.operating_point == pytest.approx(0.51) and case.chosen_on == "validation"
    assert case.value == pytest.approx((400 - 240) * 10_000)


def test_a_threshold_the_person_set_is_the_one_valued_and_the_optimum_is_kept_beside_it():
    """The finance Results page shows one operating point: the business case values the slider's threshold."""
    from core.business.payoff import credit_operating_point, expected_credit_cost

    assert credit_operating_point(CREDIT, MONEY) == (pytest.approx(0.11), "test")
    # at 0.7 every row but the 0.9 bad is approved: the 0.2 bad costs 1000 -> 200 per applicant; saving 200
    case = credit_case(CREDIT, MONEY, threshold=0.7)
    assert case.operating_point == pytest.approx(0.7) and case.chosen_on == "person"
    assert case.details["optimal_threshold"] == pytest.approx(0.11)
    assert case.value == pytest.approx((400 - 200) * 10_000)
    assert expected_credit_cost(CREDIT, MONEY, 0.7) == pytest.approx(200.0)
    assert expected_credit_cost(CREDIT, MONEY) == pytest.approx(80.0)  # at the cost-optimal 0.11
    same = credit_case(CREDIT, MONEY, threshold=credit_operating_point(CREDIT, MONEY)[0])
    assert same.chosen_on == "test" and same.value == pytest.approx(3_200_000)  # the optimum is not "yours"


def test_credit_against_the_scorecard_run():
    # a scorecard that scores everyone 0.5 is cheapest rejecting everyone: 3 goods x 200 / 5 = 120 per applicant
    scorecard = {"y_true": CREDIT["y_true"], "scores": [0.5] * 5}
    case = business_case("finance", CREDIT, MONEY, baseline=scorecard, baseline_run_id="sc1")
    assert case.baseline == "scorecard" and case.baseline_run_id == "sc1"
    assert case.value == pytest.approx((120 - 80) * 10_000)
    with pytest.raises(DataError, match="evaluated on other test rows"):
        credit_case(CREDIT, MONEY, baseline={"y_true": [1, 0, 0, 1, 1], "scores": [0.5] * 5}, baseline_run_id="x")


VALIDATION = {"y_true": [0, 1, 2, 0, 1], "y_pred": [0, 1, 2, 1, 1], "confidence": [0.99, 0.95, 0.9, 0.85, 0.6]}


def test_automation_cutoff_is_the_lowest_meeting_the_target():
    correct = np.array(VALIDATION["y_true"]) == np.array(VALIDATION["y_pred"])
    # precision from the top: 1, 1, 1, 0.75, 0.8
    assert automation_cutoff(correct, VALIDATION["confidence"], 0.9) == 0.9
    assert automation_cutoff(correct, VALIDATION["confidence"], 0.75) == 0.6
    with pytest.raises(DataError, match="No confidence cut-off reaches 95%.*the best is 0.0%"):
        automation_cutoff([False, False], [0.9, 0.8], 0.95)


def test_classification_value_by_hand_on_the_test_split():
    test = {"y_true": [1, 0, 1, 1], "y_pred": [1, 1, 1, 1], "confidence": [0.97, 0.92, 0.88, 0.5]}
    payoff = Payoff(manual_cost=2, error_cost=3, items_per_year=1000, target_precision=0.9)
    case = classification_case({**test, "validation": VALIDATION}, payoff, run_id="r")
    # cut-off 0.9 (validation) automates 0.97 (right) and 0.92 (wrong): (2 x 2 - 1 x 3) / 4 x 1000 = 250
    assert case.operating_point == 0.9 and case.chosen_on == "validation"
    assert case.value == pytest.approx(250.0)
    assert case.details["automation_rate"] == 0.5 and case.details["test_precision"] == 0.5


def test_the_cutoff_is_chosen_on_validation_only_when_validation_and_test_disagree():
    payoff = Payoff(manual_cost=2, error_cost=3, items_per_year=1000, target_precision=0.9)
    test = {"y_true": [1, 0, 1, 1], "y_pred": [1, 1, 1, 1], "confidence": [0.97, 0.92, 0.88, 0.5]}
    # On the test rows alone 0.97 would be the cut-off for 90 % precision; the validation rows say 0.9.
    assert automation_cutoff([True, False, True, True], test["confidence"], 0.9) == 0.97
    assert classification_case({**test, "validation": VALIDATION}, payoff).operating_point == 0.9
    # other test rows never move the cut-off; other validation rows do
    other_test = {"y_true": [0, 0, 0, 0], "y_pred": [1, 1, 1, 1], "confidence": [0.3, 0.95, 0.2, 0.1]}
    assert classification_case({**other_test, "validation": VALIDATION}, payoff).operating_point == 0.9
    stricter = {**VALIDATION, "confidence": [0.99, 0.98, 0.9, 0.85, 0.6]}
    assert classification_case({**test, "validation": {**stricter, "y_pred": [0, 1, 1, 1, 1]}},
                               payoff).operating_point == 0.98


def test_a_run_without_validation_predictions_is_refused_plainly():
    test = {"y_true": [1, 0], "y_pred": [1, 1], "confidence": [0.9, 0.8]}
    with pytest.raises(DataError, match="predates stored validation predictions"):
        classification_case(test, Payoff())


def test_recommendation_value_by_hand():
    payoff = Payoff(sessions_per_year=1000, value_per_hit=2)
    # model hits (rank <= 10): 1, 1, 0, 1 = 0.75; popularity 1, 0, 1, 0 = 0.5; 0.25 x 1000 x 2 = 500
    case = recommendation_case({"ranks": [1, 5, 11, 3]}, {"ranks": [2, 20, 4, 30]}, payoff, baseline_run_id="pop")
    assert case.value == pytest.approx(500.0) and case.operating_point == 10
    assert case.details == {"hit_rate": 0.75, "baseline_hit_rate": 0.5}
    assert case.curve_x[0] == 1 and case.curve_y[0] == pytest.approx((0.25 - 0.0) * 2000)  # top 1: 1 hit vs 0
    with pytest.raises(DataError, match="No completed popularity run"):
        recommendation_case({"ranks": [1]}, None, payoff)


@pytest.mark.parametrize(("use_case", "changes", "message"), [
    ("finance", {"applications_per_year": -5}, "applications_per_year is -5.0: volumes and money must be zero or more"),
    ("finance", {"cost_bad_approved": 0}, "approving everyone is free"),
    ("nlp", {"manual_cost": 0}, "automation cannot save anything"),
    ("vision", {"error_cost": 0}, "every error is free"),
    ("vision", {"target_precision": 1.5}, "must be above 0 and at most 1"),
    ("recommendation", {"value_per_hit": 0}, "no recommender can earn anything"),
])
def test_bad_payoffs_get_a_clear_message(use_case, changes, message):
    evaluation = {**CREDIT, "y_pred": [0] * 5, "confidence": [0.9] * 5, "validation": VALIDATION, "ranks": [1]}
    with pytest.raises(DataError, match=message):
        business_case(use_case, evaluation, Payoff(**changes), baseline={"ranks": [1]})


def test_bootstrap_interval_covers_the_true_value_about_90_percent_of_the_time():
    true_mean = 0.3 * 10.0  # each row is worth 10 with probability 0.3
    covered = 0
    for seed in range(200):
        rows = 10.0 * (np.random.default_rng(1000 + seed).random(400) < 0.3)
        _, low, high = bootstrap_mean(rows, random_state=seed)
        covered += low <= true_mean <= high
    assert 0.84 <= covered / 200 <= 0.96


def test_bootstrap_matches_scipy_percentile_interval():
    rows = np.random.default_rng(7).choice([-3.0, 0.0, 2.0], size=500, p=[0.1, 0.5, 0.4])
    mean, low, high = bootstrap_mean(rows, resamples=4000, random_state=1)
    reference = stats.bootstrap((rows,), np.mean, confidence_level=0.9, n_resamples=4000, method="percentile",
                                random_state=2).confidence_interval
    assert mean == pytest.approx(rows.mean())
    assert low == pytest.approx(reference.low, abs=0.03) and high == pytest.approx(reference.high, abs=0.03)
    many = np.random.default_rng(3).normal(size=300)  # > 64 distinct values: rows resampled directly
    _, low, high = bootstrap_mean(many, resamples=3000, random_state=4)
    reference = stats.bootstrap((many,), np.mean, confidence_level=0.9, n_resamples=3000, method="percentile",
                                random_state=5).confidence_interval
    assert low == pytest.approx(reference.low, abs=0.02) and high == pytest.approx(reference.high, abs=0.02)


def test_economics_and_the_value_band_by_hand():
    case = recommendation_case({"ranks": [1] * 6}, {"ranks": [20] * 6}, Payoff(sessions_per_year=600, value_per_hit=2))
    assert case.value == pytest.approx(1200.0) and not case.covers_zero
    money = economics(case, 400.0)
    assert (money.net, money.roi, money.payback_months) == pytest.approx((800.0, 2.0, 4.0))
    assert value_band(money, covers_zero=False) == 4 and value_band(money, covers_zero=True) == 2
    assert economics(case, 0.0).roi is None and value_band(economics(case, 0.0), False) == 5
    flat = recommendation_case({"ranks": [20] * 6}, {"ranks": [20] * 6}, Payoff())
    assert flat.value == 0 and flat.covers_zero and economics(flat, 100.0).payback_months is None


def test_profit_curves_equal_the_value_recomputed_point_by_point():
    from core.business.payoff import automation_values, credit_costs

    rng = np.random.default_rng(5)
    y, scores = rng.integers(0, 2, 300), rng.random(300).round(2)
    case = credit_case({"y_true": y, "scores": scores}, MONEY)
    today = credit_costs(y, np.zeros(300), 2.0, MONEY).mean()
    for x, value in zip(case.curve_x[::10], case.curve_y[::10]):
        t = x if x < 1 else 1 + 1e-9
        assert value == pytest.approx((today - credit_costs(y, scores, t, MONEY).mean()) * 10_000)
    truth, sure = rng.integers(0, 3, 300), rng.random(300).round(2)
    predicted = np.where(rng.random(300) < 0.8, truth, (truth + 1) % 3)
    split = {"y_true": truth, "y_pred": predicted, "confidence": sure}
    payoff = Payoff(manual_cost=2, error_cost=7, items_per_year=1000, target_precision=0.5)
    case = classification_case({**split, "validation": split}, payoff)
    for x, value in zip(case.curve_x[::7], case.curve_y[::7]):
        assert value == pytest.approx(automation_values(truth == predicted, sure, x, payoff).mean() * 1000)
    ranks, base = rng.integers(1, 60, 200), rng.integers(1, 60, 200)
    case = recommendation_case({"ranks": ranks}, {"ranks": base}, Payoff(sessions_per_year=10, value_per_hit=3))
    for n, value in zip(case.curve_x, case.curve_y):
        assert value == pytest.approx(((ranks <= n).mean() - (base <= n).mean()) * 30)
