"""Group fairness of approve/reject decisions with fairlearn: approval rate, TPR, FPR per group.

Favourable outcome = approved (score < threshold); "true positive rate" is the approval rate of
good applicants and "false positive rate" the approval rate of bad ones (fairlearn's convention
with y_true = good, y_pred = approved).

Two cases make the headline differences meaningless, so the report says when they happen:
a threshold that approves (almost) nobody or (almost) everybody gives every group the same
rate whatever the model does, and a group of a handful of applicants swings by tens of points
with one applicant. Groups under MIN_GROUP_SIZE are reported but left out of the differences.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MIN_GROUP_SIZE = 30  # test-split applicants a group needs before its rates count in the differences
EXTREME_APPROVAL = 0.02  # approving under 2 % or over 98 % of applicants leaves no room for group gaps


def group_report(y_bad: Any, score: Any, groups: Any, *, threshold: float,
                 min_group_size: int = MIN_GROUP_SIZE) -> dict[str, Any]:
    """Per-group counts and rates; demographic-parity and equalised-odds differences over the groups
    with at least `min_group_size` applicants (None with fewer than two such groups); the overall
    approval rate and whether it is extreme ("low" / "high" / None)."""
    from fairlearn.metrics import (MetricFrame, count, demographic_parity_difference, equalized_odds_difference,
                                   false_positive_rate, selection_rate, true_positive_rate)

    y_good = 1 - np.asarray(y_bad).astype(int)
    approved = (np.asarray(score, dtype=float) < threshold).astype(int)
    groups = np.asarray(groups).astype(str)
    frame = MetricFrame(metrics={"count": count, "approval_rate": selection_rate, "tpr": true_positive_rate,
                                 "fpr": false_positive_rate, "bad_rate": lambda yt, yp: float(np.mean(1 - yt))},
                        y_true=y_good, y_pred=approved, sensitive_features=groups)
    table = frame.by_group.reset_index()
    rows = [{"group": str(row.iloc[0]), "count": int(row["count"]), "approval_rate": _num(row["approval_rate"]),
             "tpr": _num(row["tpr"]), "fpr": _num(row["fpr"]), "bad_rate": _num(row["bad_rate"]),
             "small": int(row["count"]) < min_group_size}
            for _, row in table.iterrows()]
    small = [row["group"] for row in rows if row["small"]]
    counted = ~np.isin(groups, small)
    dp = eo = None
    if len(rows) - len(small) >= 2:
        dp = _num(demographic_parity_difference(y_good[counted], approved[counted],
                                                sensitive_features=groups[counted]))
        eo = _num(equalized_odds_difference(y_good[counted], approved[counted], sensitive_features=groups[counted]))
    approval = float(approved.mean()) if len(approved) else 0.0
    extreme = "low" if approval < EXTREME_APPROVAL else "high" if approval > 1 - EXTREME_APPROVAL else None
    return {
        "threshold": float(threshold), "groups": rows, "min_group_size": int(min_group_size),
        "small_groups": small, "approval_rate": approval, "approval_extreme": extreme,
        "demographic_parity_difference": dp, "equalized_odds_difference": eo,
    }


def _num(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
