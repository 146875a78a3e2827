"""Ranking metrics, each checked against hand-worked examples in the tests (rating errors: core.evaluation.metrics)."""

from __future__ import annotations

from typing import Iterable

import numpy as np


def _ranks(ranks: Iterable[float], k: int) -> np.ndarray:
    ranks = np.asarray(list(ranks) if not isinstance(ranks, np.ndarray) else ranks, dtype=np.float64)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}.")
    if ranks.size == 0 or (ranks < 1).any():
        raise ValueError("ranks must be a non-empty list of 1-based positions (1 = first).")
    return ranks


def hit_rate_at_k(ranks: Iterable[float], k: int = 10) -> float:
    """Share of users whose held-out item is in their top k (rank is 1-based)."""
    ranks = _ranks(ranks, k)
    return float(np.mean(ranks <= k))


def ndcg_at_k(ranks: Iterable[float], k: int = 10) -> float:
    """Mean NDCG@k with one relevant item per user: 1 / log2(rank + 1) when rank <= k, else 0."""
    ranks = _ranks(ranks, k)
    gains = np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0)
    return float(np.mean(gains))


def coverage(recommended: Iterable[Iterable[int]], num_items: int) -> float:
    """Share of the catalogue that appears in at least one user's recommendation list."""
    if num_items < 1:
        raise ValueError(f"num_items must be at least 1, got {num_items}.")
    seen: set[int] = set()
    for items in recommended:
        seen.update(int(i) for i in items)
    return len(seen) / num_items


def rank_of(scores: np.ndarray, target: int, exclude: np.ndarray | None = None) -> int:
    """1-based rank of `target` among the non-excluded items by score (ties: half of them ahead)."""
    scores = np.asarray(scores, dtype=np.float64).copy()
    if exclude is not None and len(exclude):
        scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
    held = scores[target]
    scores[target] = -np.inf
    greater = int(np.sum(scores > held))
    ties = int(np.sum(scores == held)) if np.isfinite(held) else 0
    return 1 + greater + ties // 2


def top_k(scores: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of the k highest scores (best first), excluded items left out."""
    scores = np.asarray(scores, dtype=np.float64).copy()
    if exclude is not None and len(exclude):
        scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]
