"""Credit-scoring metrics from P(bad): ROC/PR curves, KS, Gini, calibration and the cost of a threshold.

Convention: y = 1 means "bad"; a score is P(bad); an applicant is approved when score < threshold.
Pure NumPy plus scikit-learn's curve functions; every function returns JSON-able values.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _arrays(y_true: Any, score: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(np.int64).reshape(-1)
    s = np.asarray(score, dtype=np.float64).reshape(-1)
    if len(y) != len(s):
        raise ValueError(f"y_true has {len(y)} rows but score has {len(s)}; pass one score per applicant.")
    if len(np.unique(y)) < 2:
        raise ValueError("y_true holds one class; ROC, KS and PR need both good (0) and bad (1) applicants.")
    return y, s


def _thin(*arrays: np.ndarray, limit: int = 400) -> list[list[float]]:
    """At most `limit` points of curves (first and last kept) so evaluation.json stays small."""
    n = len(arrays[0])
    index = np.unique(np.linspace(0, n - 1, min(n, limit)).round().astype(int)) if n else np.array([], int)
    return [[float(v) for v in a[index]] for a in arrays]


def ks_statistic(y_true: Any, score: Any) -> tuple[float, float]:
    """(KS, threshold): the largest gap between the score CDFs of bad and good applicants, and where."""
    y, s = _arrays(y_true, score)
    thresholds = np.unique(s)
    bad, good = np.sort(s[y == 1]), np.sort(s[y == 0])
    cdf_bad = np.searchsorted(bad, thresholds, side="right") / len(bad)
    cdf_good = np.searchsorted(good, thresholds, side="right") / len(good)
    gap = cdf_good - cdf_bad
    best = int(np.argmax(np.round(np.abs(gap), 12)))  # the first of equal gaps, despite float noise
    return float(abs(gap[best])), float(thresholds[best])


def ks_curve(y_true: Any, score: Any) -> dict[str, list[float]]:
    """Cumulative share of good and bad applicants at or below each score (for the KS plot)."""
    y, s = _arrays(y_true, score)
    thresholds = np.unique(s)
    bad, good = np.sort(s[y == 1]), np.sort(s[y == 0])
    cdf_bad = np.searchsorted(bad, thresholds, side="right") / len(bad)
    cdf_good = np.searchsorted(good, thresholds, side="right") / len(good)
    t, g, b = _thin(thresholds, cdf_good, cdf_bad)
    return {"threshold": t, "cdf_good": g, "cdf_bad": b}


def calibration(y_true: Any, score: Any, *, bins: int = 10) -> dict[str, list[float]]:
    """Mean predicted P(bad) vs observed bad rate in equal-count score bins."""
    y, s = _arrays(y_true, score)
    order = np.argsort(s, kind="stable")
    groups = [g for g in np.array_split(order, min(bins, len(s))) if len(g)]
    return {"predicted": [float(s[g].mean()) for g in groups], "observed": [float(y[g].mean()) for g in groups],
            "count": [int(len(g)) for g in groups]}


def threshold_table(y_true: Any, score: Any, *, cost_bad_approved: float = 5.0, cost_good_rejected: float = 1.0,
                    points: int = 101) -> dict[str, list[float]]:
    """For thresholds 0..1: approval rate, bad rate among approved, and expected cost per applicant.

    approved = score < threshold. Cost per applicant = (cost_bad_approved * bad approved +
    cost_good_rejected * good rejected) / applicants.

    The confusion counts are computed by hand on purpose: one broadcast over all thresholds takes
    ~0.75 ms on 1,000 applicants, where sklearn.metrics.confusion_matrix once per threshold takes ~290 ms.
    """
    y, s = _arrays(y_true, score)
    thresholds = np.linspace(0.0, 1.0, points)
    thresholds[-1] = 1.0 + 1e-9  # the last threshold approves everyone
    approved = s[None, :] < thresholds[:, None]
    n_approved = approved.sum(axis=1)
    bad_approved = (approved & (y[None, :] == 1)).sum(axis=1)
    good_rejected = (~approved & (y[None, :] == 0)).sum(axis=1)
    cost = (cost_bad_approved * bad_approved + cost_good_rejected * good_rejected) / len(y)
    bad_rate = np.where(n_approved > 0, bad_approved / np.maximum(n_approved, 1), 0.0)
    return {"threshold": [float(min(t, 1.0)) for t in thresholds], "approval_rate": [float(v) for v in n_approved / len(y)],
            "bad_rate_approved": [float(v) for v in bad_rate], "expected_cost": [float(v) for v in cost],
            "bad_approved": [int(v) for v in bad_approved], "good_rejected": [int(v) for v in good_rejected]}


def at_threshold(y_true: Any, score: Any, threshold: float, *, cost_bad_approved: float = 5.0,
                 cost_good_rejected: float = 1.0) -> dict[str, float]:
    """Approval rate, bad rate among approved and expected cost per applicant at one threshold."""
    y, s = np.asarray(y_true).astype(int), np.asarray(score, dtype=float)
    approved = s < threshold
    bad_approved = int((approved & (y == 1)).sum())
    good_rejected = int((~approved & (y == 0)).sum())
    return {"threshold": float(threshold), "approval_rate": float(approved.mean()),
            "bad_rate_approved": float(bad_approved / approved.sum()) if approved.any() else 0.0,
            "expected_cost": float((cost_bad_approved * bad_approved + cost_good_rejected * good_rejected) / len(y)),
            "bad_approved": bad_approved, "good_rejected": good_rejected}


def optimal_threshold(table: dict[str, list[float]]) -> dict[str, float]:
    """The row of a threshold_table with the lowest expected cost (the first on ties)."""
    best = int(np.argmin(table["expected_cost"]))
    return {name: float(values[best]) for name, values in table.items()}


def binary_report(y_true: Any, score: Any, *, cost_bad_approved: float = 5.0,
                  cost_good_rejected: float = 1.0) -> dict[str, Any]:
    """ROC-AUC, Gini, KS, PR-AUC, accuracy at 0.5, Brier, curves, score histograms, calibration, thresholds."""
    from sklearn.metrics import average_precision_score, brier_score_loss, precision_recall_curve, roc_auc_score, roc_curve

    y, s = _arrays(y_true, score)
    auc = float(roc_auc_score(y, s))
    ks, ks_at = ks_statistic(y, s)
    fpr, tpr, _ = roc_curve(y, s)
    precision, recall, _ = precision_recall_curve(y, s)
    table = threshold_table(y, s, cost_bad_approved=cost_bad_approved, cost_good_rejected=cost_good_rejected)
    edges = np.linspace(0, 1, 21)
    roc_x, roc_y = _thin(fpr, tpr)
    pr_r, pr_p = _thin(recall[::-1], precision[::-1])
    return {
        "roc_auc": auc, "gini": 2 * auc - 1, "ks": ks, "ks_threshold": ks_at,
        "pr_auc": float(average_precision_score(y, s)), "accuracy_at_half": float(np.mean((s >= 0.5) == (y == 1))),
        "brier": float(brier_score_loss(y, s)), "bad_rate": float(y.mean()),
        "roc": {"fpr": roc_x, "tpr": roc_y}, "pr": {"recall": pr_r, "precision": pr_p},
        "ks_curve": ks_curve(y, s), "calibration": calibration(y, s),
        "histogram": {"edges": [float(e) for e in edges],
                      "good": [int(c) for c in np.histogram(s[y == 0], bins=edges)[0]],
                      "bad": [int(c) for c in np.histogram(s[y == 1], bins=edges)[0]]},
        "thresholds": table, "optimal": optimal_threshold(table),
        "costs": {"bad_approved": float(cost_bad_approved), "good_rejected": float(cost_good_rejected)},
    }
