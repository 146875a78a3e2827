"""Weighted scoring, ranking and weight sensitivity of use cases, as plain maths a test can check by hand.

benefit  = sum(w_c * s_c) / sum(w_c)         over the four criteria (1..5, higher is better)
risk     = sum(r_k * q_k) / sum(r_k)         over the four risks (1..5, 1 = low); 1 when all risk weights are 0
priority = benefit - risk_penalty * (risk - 1)
Use cases are ranked by priority (ties: higher benefit, then lower risk, then input order).
Sensitivity multiplies one criterion weight at a time by factors (0.5 .. 1.5) and re-ranks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from core.strategy.model import CRITERIA, RISKS, StrategyError, Weights

SENSITIVITY_FACTORS = (0.5, 0.75, 1.0, 1.25, 1.5)


@dataclass(frozen=True)
class ScoreInput:
    """What the ranking needs of one use case: its effective criterion scores and its risk scores."""

    id: str
    title: str
    scores: Mapping[str, float]
    risks: Mapping[str, float]


@dataclass(frozen=True)
class Ranked:
    """One use case's place: rank 1 is the first to pursue."""

    id: str
    title: str
    benefit: float
    risk: float
    priority: float
    rank: int


@dataclass(frozen=True)
class SensitivityPoint:
    """The rank of one use case when one criterion's weight is multiplied by `factor`."""

    criterion: str
    factor: float
    id: str
    title: str
    rank: int
    priority: float


def check_weights(weights: Weights) -> None:
    """StrategyError when a weight is negative or all criterion weights are zero (nothing to rank on)."""
    for group, names in (("criteria", CRITERIA), ("risks", RISKS)):
        values = getattr(weights, group)
        for name in names:
            if float(values.get(name, 0.0)) < 0:
                raise StrategyError("strategy.errors.weight_negative", name=name)
    if weights.risk_penalty < 0:
        raise StrategyError("strategy.errors.weight_negative", name="risk_penalty")
    if sum(float(weights.criteria.get(name, 0.0)) for name in CRITERIA) <= 0:
        raise StrategyError("strategy.errors.weights_zero")


def benefit_score(scores: Mapping[str, float], criteria_weights: Mapping[str, float]) -> float:
    """Weighted mean of the criterion scores (weights need not sum to 1)."""
    total = sum(float(criteria_weights[name]) for name in CRITERIA)
    if total <= 0:
        raise StrategyError("strategy.errors.weights_zero")
    return sum(float(criteria_weights[name]) * float(scores[name]) for name in CRITERIA) / total


def risk_score(risks: Mapping[str, float], risk_weights: Mapping[str, float]) -> float:
    """Weighted mean of the risk scores; 1 (no risk counted) when every risk weight is zero."""
    total = sum(float(risk_weights[name]) for name in RISKS)
    if total <= 0:
        return 1.0
    return sum(float(risk_weights[name]) * float(risks[name]) for name in RISKS) / total


def priority_score(benefit: float, risk: float, risk_penalty: float) -> float:
    """Benefit less the penalty for every risk point above the lowest level."""
    return benefit - risk_penalty * (risk - 1.0)


def rank(items: Sequence[ScoreInput], weights: Weights) -> list[Ranked]:
    """Use cases ordered by priority, rank 1 first."""
    check_weights(weights)
    if not items:
        return []
    scored = []
    for order, item in enumerate(items):
        benefit = benefit_score(item.scores, weights.criteria)
        risk = risk_score(item.risks, weights.risks)
        scored.append((item, benefit, risk, priority_score(benefit, risk, weights.risk_penalty), order))
    scored.sort(key=lambda row: (-round(row[3], 9), -round(row[1], 9), round(row[2], 9), row[4]))
    return [Ranked(item.id, item.title, benefit, risk, priority, position)
            for position, (item, benefit, risk, priority, _) in enumerate(scored, start=1)]


def sensitivity(items: Sequence[ScoreInput], weights: Weights,
                factors: Sequence[float] = SENSITIVITY_FACTORS) -> list[SensitivityPoint]:
    """Ranks when each criterion weight alone is scaled by each factor (the others kept)."""
    check_weights(weights)
    points: list[SensitivityPoint] = []
    for criterion in CRITERIA:
        for factor in factors:
            changed = Weights(criteria={**weights.criteria, criterion: weights.criteria[criterion] * factor},
                              risks=dict(weights.risks), risk_penalty=weights.risk_penalty)
            if sum(changed.criteria.values()) <= 0:
                continue
            points.extend(SensitivityPoint(criterion, float(factor), r.id, r.title, r.rank, r.priority)
                          for r in rank(items, changed))
    return points


def rank_changes(points: Sequence[SensitivityPoint]) -> dict[str, list[str]]:
    """{criterion: ids of use cases whose rank moves anywhere in the sweep}: where the ranking is fragile."""
    ranks: dict[tuple[str, str], set[int]] = {}
    for point in points:
        ranks.setdefault((point.criterion, point.id), set()).add(point.rank)
    changes: dict[str, list[str]] = {criterion: [] for criterion in CRITERIA}
    for (criterion, use_case_id), seen in ranks.items():
        if len(seen) > 1:
            changes[criterion].append(use_case_id)
    return changes
