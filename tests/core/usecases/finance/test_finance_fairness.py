"""Group fairness against hand counts: rates per group, differences without tiny groups, extreme approval."""

from __future__ import annotations

import numpy as np
import pytest

from core.usecases.finance.fairness import EXTREME_APPROVAL, MIN_GROUP_SIZE, group_report

# Six applicants, worked by hand: y = 1 is bad, score = P(bad).
Y6 = np.array([0, 0, 1, 0, 1, 1])
S6 = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.8])


def _applicants(good_approved: int, good_rejected: int, bad_approved: int, bad_rejected: int):
    """(y_bad, score) for one group: approved scores 0.2 / 0.3, rejected 0.8 / 0.9 (threshold 0.5)."""
    y = [0] * (good_approved + good_rejected) + [1] * (bad_approved + bad_rejected)
    score = [0.2] * good_approved + [0.8] * good_rejected + [0.3] * bad_approved + [0.9] * bad_rejected
    return y, score


def test_fairness_matches_a_hand_count():
    groups = np.array(["a", "a", "a", "b", "b", "b"])
    report = group_report(Y6, S6, groups, threshold=0.5, min_group_size=1)
    rows = {row["group"]: row for row in report["groups"]}
    # Group a (0.1, 0.2, 0.3) all approved; group b: 0.4 approved, 0.6 and 0.8 rejected.
    assert rows["a"]["approval_rate"] == pytest.approx(1.0)
    assert rows["b"]["approval_rate"] == pytest.approx(1 / 3)
    assert report["demographic_parity_difference"] == pytest.approx(2 / 3)
    # Good applicants approved: a 2/2, b 1/1 -> TPR gap 0; bad approved: a 1/1, b 0/2 -> FPR gap 1.
    assert rows["b"]["tpr"] == pytest.approx(1.0) and rows["b"]["fpr"] == pytest.approx(0.0)
    assert report["equalized_odds_difference"] == pytest.approx(1.0)


def test_groups_under_the_minimum_size_are_marked_and_left_out_of_the_differences():
    assert MIN_GROUP_SIZE == 30
    parts = {"A": _applicants(24, 6, 2, 8),   # 40: approval 26/40 = .65, TPR 24/30 = .8, FPR 2/10 = .2
             "B": _applicants(10, 10, 4, 16),  # 40: approval 14/40 = .35, TPR 10/20 = .5, FPR 4/20 = .2
             "C": _applicants(0, 5, 0, 0)}     # 5 good applicants, all rejected: approval 0
    y = np.concatenate([p[0] for p in parts.values()])
    score = np.concatenate([p[1] for p in parts.values()])
    groups = np.repeat(list(parts), [len(p[0]) for p in parts.values()])
    report = group_report(y, score, groups, threshold=0.5)
    rows = {row["group"]: row for row in report["groups"]}
    assert [rows[g]["count"] for g in "ABC"] == [40, 40, 5]
    assert [rows[g]["small"] for g in "ABC"] == [False, False, True]
    assert report["small_groups"] == ["C"]
    assert rows["A"]["approval_rate"] == pytest.approx(0.65) and rows["B"]["approval_rate"] == pytest.approx(0.35)
    assert rows["C"]["approval_rate"] == 0.0  # still shown, with its size
    # Differences over A and B only: .65 - .35 = .30 (with C it would be .65 - 0 = .65).
    assert report["demographic_parity_difference"] == pytest.approx(0.30)
    # Equalised odds: max(TPR gap .8 - .5 = .3, FPR gap .2 - .2 = 0) = .3.
    assert report["equalized_odds_difference"] == pytest.approx(0.30)
    assert report["approval_rate"] == pytest.approx(40 / 85) and report["approval_extreme"] is None


def test_with_fewer_than_two_large_groups_there_is_no_difference_to_report():
    y, score = _applicants(20, 20, 5, 5)
    groups = np.array(["big"] * 40 + ["tiny"] * 10)
    report = group_report(y, score, groups, threshold=0.5)
    assert report["small_groups"] == ["tiny"]
    assert report["demographic_parity_difference"] is None and report["equalized_odds_difference"] is None


def test_extreme_approval_is_flagged():
    assert EXTREME_APPROVAL == 0.02
    y = np.array([0] * 70 + [1] * 30)
    score = np.linspace(0.05, 0.95, 100)
    groups = np.array(["x", "y"] * 50)
    assert group_report(y, score, groups, threshold=0.01)["approval_extreme"] == "low"  # nobody approved
    one = group_report(y, score, groups, threshold=0.051)  # only the 0.05 applicant: 1 %
    assert one["approval_rate"] == pytest.approx(0.01) and one["approval_extreme"] == "low"
    three = group_report(y, score, groups, threshold=0.075)  # 0.05, 0.0591, 0.0682: 3 %, not extreme
    assert three["approval_rate"] == pytest.approx(0.03) and three["approval_extreme"] is None
    assert group_report(y, score, groups, threshold=0.96)["approval_extreme"] == "high"  # everybody
    assert group_report(y, score, groups, threshold=0.945)["approval_extreme"] == "high"  # 99 of 100 (0.95 rejected)
    assert group_report(y, score, groups, threshold=0.5)["approval_extreme"] is None
