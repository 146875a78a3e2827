"""Pareto front of candidates: none on it is beaten on both quality (higher better) and cost (lower better)."""

from __future__ import annotations

import math
from typing import Hashable, Iterable


def pareto_front(points: Iterable[tuple[Hashable, float, float]]) -> set:
    """Ids of the non-dominated points among (id, quality, cost); identical points are all kept; NaN is skipped."""
    clean = [(pid, float(q), float(c)) for pid, q, c in points
             if q is not None and c is not None and not math.isnan(float(q)) and not math.isnan(float(c))]
    front = set()
    for pid, quality, cost in clean:
        dominated = any(
            other_q >= quality and other_c <= cost and (other_q > quality or other_c < cost)
            for _, other_q, other_c in clean
        )
        if not dominated:
            front.add(pid)
    return front
