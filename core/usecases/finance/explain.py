"""Model-agnostic explanations for any P(bad) model on raw columns.

Global: permutation importance (drop in ROC-AUC when one column is shuffled, averaged over repeats).
Local: sampled Shapley values on the log-odds scale. For random feature orders, columns are
switched one at a time from a background applicant's value to this applicant's value and the
change in log-odds is credited to that column; averaged over orders and background rows. The
credits add up to logit(P(applicant)) - mean logit(P(background)). For a logistic model this is
exact: coef * (x - background mean) per column.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

Predict = Callable[[dict[str, np.ndarray]], np.ndarray]
MAX_BATCH_ROWS = 100_000


def background_size(columns: int, *, most: int = 40) -> int:
    """Background rows for local explanations: fewer when there are many columns, so one batch stays small."""
    return int(min(most, max(8, 4000 // max(columns, 1))))


def _rows(x: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    return {key: np.asarray(values)[index] for key, values in x.items()}


def _n(x: dict[str, np.ndarray]) -> int:
    return len(np.asarray(next(iter(x.values()))))


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def permutation_importance(predict: Predict, x: dict[str, np.ndarray], y: np.ndarray, *, repeats: int = 3,
                           max_rows: int = 2000, random_state: int = 0) -> list[dict[str, float]]:
    """Mean and std of the ROC-AUC drop when each column is shuffled, largest first."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(random_state)
    y = np.asarray(y)
    if len(y) > max_rows:
        keep = rng.choice(len(y), size=max_rows, replace=False)
        x, y = _rows(x, keep), y[keep]
    base = float(roc_auc_score(y, predict(x)))
    # One batch per repeat: every column's shuffled copy stacked, so a Keras model runs few big batches.
    n = len(y)
    keys = list(x)
    drops = {key: [] for key in keys}
    per_batch = max(1, MAX_BATCH_ROWS // max(n, 1))  # many columns (200) must not stack a huge batch
    for _ in range(int(repeats)):
        for start in range(0, len(keys), per_batch):
            chunk = keys[start:start + per_batch]
            stacked = {k: np.concatenate([np.asarray(v)] * len(chunk)) for k, v in x.items()}
            for j, key in enumerate(chunk):
                stacked[key][j * n:(j + 1) * n] = np.asarray(x[key])[rng.permutation(n)]
            scores = predict(stacked)
            for j, key in enumerate(chunk):
                drops[key].append(base - float(roc_auc_score(y, scores[j * n:(j + 1) * n])))
    result = [{"key": key, "importance": float(np.mean(v)), "std": float(np.std(v))} for key, v in drops.items()]
    return sorted(result, key=lambda r: -r["importance"])


def sampled_shapley(predict: Predict, row: dict[str, np.ndarray], background: dict[str, np.ndarray], *,
                    permutations: int = 16, random_state: int = 0) -> dict[str, Any]:
    """Shapley contributions (log-odds) of each column for one applicant vs a background sample.

    Antithetic orders (each order and its reverse) reduce the sampling error; with a model that is
    additive in log-odds every order gives the same, exact answer.
    """
    rng = np.random.default_rng(random_state)
    keys = list(background)
    d, m = len(keys), _n(background)
    orders = []
    for _ in range(max(1, int(permutations) // 2)):
        order = rng.permutation(d)
        orders.extend([order, order[::-1]])
    # Build every intermediate hybrid: for each order, step k has the first k columns from the applicant.
    steps = len(orders) * (d + 1)
    hybrid = {k: np.repeat(np.asarray(background[k])[None, :], steps, axis=0) for k in keys}  # (steps, m)
    for o, order in enumerate(orders):
        start = o * (d + 1)
        for k, j in enumerate(order, start=1):  # column j comes from the applicant from step k on
            hybrid[keys[j]][start + k:start + d + 1, :] = np.asarray(row[keys[j]]).reshape(-1)[0]
    flat = {k: v.reshape(-1) for k, v in hybrid.items()}
    values = logit(predict(flat)).reshape(steps, m).mean(axis=1).reshape(len(orders), d + 1)
    contributions = np.zeros(d)
    for o, order in enumerate(orders):
        deltas = np.diff(values[o])
        contributions[order] += deltas
    contributions /= len(orders)
    base = float(values[:, 0].mean())
    return {"base_logit": base, "logit": float(values[:, -1].mean()),
            "contributions": {keys[j]: float(contributions[j]) for j in range(d)},
            "permutations": len(orders), "background": m, "method": "sampled_shapley_logodds"}


def background_sample(x: dict[str, np.ndarray], *, size: int = 40, random_state: int = 0) -> dict[str, np.ndarray]:
    """A fixed random sample of training rows used as the 'average applicant' for local explanations."""
    n = _n(x)
    rng = np.random.default_rng(random_state)
    index = rng.choice(n, size=min(size, n), replace=False)
    return _rows(x, np.sort(index))
