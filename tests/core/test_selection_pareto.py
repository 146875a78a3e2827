"""Pareto front on hand examples: dominance, ties, missing numbers."""

import math

from core.selection.pareto import pareto_front


def test_hand_example():
    points = [("logreg", 0.97, 0.2), ("mlp", 0.96, 0.5), ("cnn", 0.99, 0.9), ("big", 0.985, 5.0)]
    # mlp is beaten by logreg on both; big by cnn on both
    assert pareto_front(points) == {"logreg", "cnn"}


def test_ties():
    # identical points are both kept; equal quality at higher cost is dominated
    points = [("a", 0.9, 1.0), ("b", 0.9, 1.0), ("c", 0.9, 2.0), ("d", 0.95, 2.0)]
    assert pareto_front(points) == {"a", "b", "d"}


def test_missing_numbers_and_empty():
    assert pareto_front([("a", math.nan, 1.0), ("b", 0.5, 2.0), ("c", 0.9, None)]) == {"b"}
    assert pareto_front([]) == set()
