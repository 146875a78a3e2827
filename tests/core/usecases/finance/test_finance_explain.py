"""Explanations on a model whose answer is known: a logistic model's Shapley values are coef * (x - mean)."""

from __future__ import annotations

import numpy as np
import pytest

from core.usecases.finance.explain import logit, permutation_importance, sampled_shapley

W = {"income": -0.8, "debt": 1.5, "noise": 0.0}
B = -0.3


def _logistic(x):
    z = B + sum(W[k] * np.asarray(x[k], dtype=float) for k in W)
    return 1 / (1 + np.exp(-z))


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.normal(size=n) for k in W}


def test_sampled_shapley_is_exact_for_a_logistic_model():
    background = _data(30, seed=1)
    row = {"income": np.array([1.2]), "debt": np.array([-0.7]), "noise": np.array([3.0])}
    result = sampled_shapley(_logistic, row, background, permutations=4, random_state=0)
    for key, weight in W.items():
        expected = weight * (row[key][0] - background[key].mean())
        assert result["contributions"][key] == pytest.approx(expected, abs=1e-6)
    total = sum(result["contributions"].values())
    assert total == pytest.approx(float(logit(_logistic(row))[0]) - result["base_logit"], abs=1e-6)


def test_permutation_importance_ranks_the_used_features_first():
    x = _data()
    rng = np.random.default_rng(3)
    y = (rng.uniform(size=400) < _logistic(x)).astype(int)
    ranking = permutation_importance(_logistic, x, y, repeats=2, random_state=0)
    assert [r["key"] for r in ranking][:2] == ["debt", "income"]
    noise = next(r for r in ranking if r["key"] == "noise")
    assert noise["importance"] == pytest.approx(0.0, abs=1e-12)


def test_permutation_importance_in_column_chunks_matches_one_batch(monkeypatch):
    from core.usecases.finance import explain

    x = _data(100)
    y = (x["debt"] > 0).astype(int)
    whole = permutation_importance(_logistic, x, y, repeats=1, random_state=1)
    monkeypatch.setattr(explain, "MAX_BATCH_ROWS", 100)  # one column per batch
    chunked = permutation_importance(_logistic, x, y, repeats=1, random_state=1)
    assert [r["key"] for r in chunked] == [r["key"] for r in whole]
    assert explain.background_size(13) == 40 and explain.background_size(200) == 20
