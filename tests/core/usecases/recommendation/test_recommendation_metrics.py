"""Ranking metrics against hand-worked numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.usecases.recommendation import metrics


def test_ndcg_of_a_known_rank_is_one_over_log2_rank_plus_one():
    assert metrics.ndcg_at_k([1], 10) == pytest.approx(1.0)
    assert metrics.ndcg_at_k([3], 10) == pytest.approx(0.5)  # 1 / log2(4)
    assert metrics.ndcg_at_k([7], 10) == pytest.approx(1 / 3)  # 1 / log2(8)
    assert metrics.ndcg_at_k([11], 10) == 0.0
    assert metrics.ndcg_at_k([1, 3, 11, 20], 10) == pytest.approx((1 + 0.5) / 4)


def test_hit_rate_counts_ranks_within_k():
    assert metrics.hit_rate_at_k([1, 10, 11, 50], 10) == 0.5
    with pytest.raises(ValueError, match="1-based"):
        metrics.hit_rate_at_k([0], 10)


def test_coverage_is_the_share_of_the_catalogue_recommended():
    assert metrics.coverage([[0, 1], [1, 2], [2, 3]], 8) == 0.5


def test_rank_of_excludes_rated_items_and_splits_ties():
    scores = np.array([0.9, 0.8, 0.7, 0.1, 0.5])
    assert metrics.rank_of(scores, 2) == 3
    assert metrics.rank_of(scores, 2, exclude=np.array([0])) == 2
    assert metrics.rank_of(np.array([1.0, 1.0, 1.0, 1.0, 0.0]), 0) == 2  # 3 others tie: 1 of them ahead


def test_top_k_is_best_first_without_excluded():
    scores = np.array([0.2, 0.9, 0.5, 0.7])
    assert metrics.top_k(scores, 2).tolist() == [1, 3]
    assert metrics.top_k(scores, 2, exclude=np.array([1])).tolist() == [3, 2]
