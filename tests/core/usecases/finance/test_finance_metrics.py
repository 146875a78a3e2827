"""Credit metrics against independent references: sklearn's AUC, a hand-worked KS and costs by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from core.usecases.finance.metrics import (at_threshold, binary_report, calibration, ks_statistic, optimal_threshold,
                                           threshold_table)

# Six applicants, worked by hand: y = 1 is bad, score = P(bad).
Y6 = np.array([0, 0, 1, 0, 1, 1])
S6 = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.8])


def test_ks_on_six_rows_matches_the_hand_worked_value():
    # Cumulative good / bad at each score: .1 -> 1/3, 0; .2 -> 2/3, 0; .3 -> 2/3, 1/3; .4 -> 1, 1/3; ...
    ks, where = ks_statistic(Y6, S6)
    assert ks == pytest.approx(2 / 3)
    assert where == pytest.approx(0.2)


def test_expected_cost_matches_hand_counts():
    # Threshold 0.5 approves the first four: one bad approved (0.3) and no good rejected: 5 * 1 / 6.
    assert at_threshold(Y6, S6, 0.5)["expected_cost"] == pytest.approx(5 / 6)
    # Threshold 0.35 approves three: one bad approved, one good (0.4) rejected: (5 + 1) / 6.
    point = at_threshold(Y6, S6, 0.35)
    assert point["expected_cost"] == pytest.approx(1.0)
    assert point["approval_rate"] == pytest.approx(0.5)
    assert point["bad_rate_approved"] == pytest.approx(1 / 3)
    # Editable costs: bad approved 1, good rejected 2 at 0.35 -> (1 + 2) / 6.
    assert at_threshold(Y6, S6, 0.35, cost_bad_approved=1, cost_good_rejected=2)["expected_cost"] == pytest.approx(0.5)


def test_cost_optimal_threshold_is_the_cheapest_in_the_table():
    table = threshold_table(Y6, S6)
    best = optimal_threshold(table)
    # Approving only 0.1 and 0.2 rejects one good applicant and no bad one: 1 / 6, the minimum.
    assert best["expected_cost"] == pytest.approx(1 / 6)
    assert 0.2 < best["threshold"] <= 0.3
    assert table["approval_rate"][0] == 0.0 and table["approval_rate"][-1] == 1.0


def test_report_matches_sklearn_references():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.clip(0.3 * y + rng.uniform(0, 0.7, 300), 0, 1)
    report = binary_report(y, s)
    assert report["roc_auc"] == pytest.approx(roc_auc_score(y, s))
    assert report["gini"] == pytest.approx(2 * roc_auc_score(y, s) - 1)
    assert report["pr_auc"] == pytest.approx(average_precision_score(y, s))
    assert sum(report["histogram"]["good"]) == int((y == 0).sum())
    assert report["roc"]["fpr"][0] == 0.0 and report["roc"]["tpr"][-1] == 1.0


def test_calibration_bins_hold_every_row_and_the_observed_rate():
    cal = calibration(Y6, S6, bins=2)
    assert cal["count"] == [3, 3]
    assert cal["observed"] == pytest.approx([1 / 3, 2 / 3])
    assert cal["predicted"] == pytest.approx([0.2, 0.6])


def test_one_class_is_refused_with_a_fix():
    with pytest.raises(ValueError, match="both good"):
        ks_statistic([0, 0, 0], [0.1, 0.2, 0.3])

