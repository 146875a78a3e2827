"""Weighted benefit, risk penalty, ranking and weight sensitivity, checked against hand-worked numbers."""

from __future__ import annotations

import pytest

from core.strategy.model import StrategyError, Weights
from core.strategy.scoring import (ScoreInput, benefit_score, check_weights, priority_score, rank, rank_changes,
                                   risk_score, sensitivity)

A = ScoreInput("a", "A", {"value": 5, "feasibility": 2, "data": 3, "compute": 4},
               {"privacy": 1, "explainability": 1, "fairness": 1, "security": 1})
B = ScoreInput("b", "B", {"value": 3, "feasibility": 5, "data": 4, "compute": 2},
               {"privacy": 3, "explainability": 3, "fairness": 2, "security": 2})


def _weights(penalty: float = 0.4, **criteria: float) -> Weights:
    base = {"value": 0.4, "feasibility": 0.3, "data": 0.2, "compute": 0.1}
    return Weights(criteria={**base, **criteria}, risks={"privacy": 1, "explainability": 1, "fairness": 1,
                                                         "security": 1}, risk_penalty=penalty)


def test_benefit_is_the_weighted_mean_of_the_criteria():
    # A: 0.4*5 + 0.3*2 + 0.2*3 + 0.1*4 = 2.0 + 0.6 + 0.6 + 0.4 = 3.6 (weights sum to 1)
    assert benefit_score(A.scores, _weights().criteria) == pytest.approx(3.6)
    # weights need not sum to 1: doubling them all changes nothing
    doubled = {k: 2 * v for k, v in _weights().criteria.items()}
    assert benefit_score(B.scores, doubled) == pytest.approx(3.7)


def test_risk_is_the_weighted_mean_and_costs_priority_per_point_above_one():
    assert risk_score(B.risks, _weights().risks) == pytest.approx(2.5)  # (3+3+2+2)/4
    assert risk_score(B.risks, {"privacy": 3, "explainability": 1, "fairness": 0, "security": 0}) == pytest.approx(3.0)
    assert risk_score(B.risks, {"privacy": 0, "explainability": 0, "fairness": 0, "security": 0}) == 1.0
    assert priority_score(3.7, 2.5, 0.4) == pytest.approx(3.1)  # 3.7 - 0.4 * 1.5


def test_ranking_puts_the_higher_priority_first_and_the_penalty_can_flip_it():
    ranked = rank([B, A], _weights(penalty=0.4))
    assert [(r.id, r.rank) for r in ranked] == [("a", 1), ("b", 2)]
    assert ranked[0].priority == pytest.approx(3.6) and ranked[1].priority == pytest.approx(3.1)
    without_penalty = rank([A, B], _weights(penalty=0.0))
    assert [r.id for r in without_penalty] == ["b", "a"]  # 3.7 > 3.6 when risk costs nothing


def test_sensitivity_sweeps_each_weight_and_reports_where_ranks_move():
    points = sensitivity([A, B], _weights())
    assert len(points) == 4 * 5 * 2  # criteria x factors x use cases
    at_half_value = {p.id: p for p in points if p.criterion == "value" and p.factor == 0.5}
    # value weight 0.2: A = 2.6/0.8 = 3.25; B = 3.1/0.8 - 0.6 = 3.275 -> B overtakes A
    assert at_half_value["b"].rank == 1 and at_half_value["a"].rank == 2
    assert at_half_value["b"].priority == pytest.approx(3.275)
    changes = rank_changes(points)
    assert sorted(changes["value"]) == ["a", "b"]
    assert changes["data"] == []  # A stays first from 0.5x to 1.5x the data weight (3.667 vs 3.067 ... 3.545 vs 3.127)


def test_all_criterion_weights_zero_is_a_clear_error():
    zero = _weights(value=0, feasibility=0, data=0, compute=0)
    with pytest.raises(StrategyError, match="All criterion weights are zero"):
        rank([A, B], zero)
    with pytest.raises(StrategyError, match="All criterion weights are zero"):
        sensitivity([A], zero)


def test_negative_weight_is_refused():
    with pytest.raises(StrategyError, match="weight of data is negative"):
        check_weights(_weights(data=-0.1))
    with pytest.raises(StrategyError, match="risk_penalty is negative"):
        check_weights(_weights(penalty=-1))
