"""Group fairness of approve/reject decisions with fairlearn: approval rate, TPR, FPR per group.

Favourable outcome = approved (score < threshold); "true positive rate" is the approval rate of
good applicants and "false positive rate" the approval rate of bad ones (fairlearn's convention
with y_true = good, y_pred = approved).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def group_report(y_bad: Any, score: Any, groups: Any, *, threshold: float) -> dict[str, Any]:
    """Per-group counts, approval/TPR/FPR, demographic-parity and equalised-odds differences."""
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
             "tpr": _num(row["tpr"]), "fpr": _num(row["fpr"]), "bad_rate": _num(row["bad_rate"])}
            for _, row in table.iterrows()]
    return {
        "threshold": float(threshold), "groups": rows,
        "demographic_parity_difference": float(demographic_parity_difference(y_good, approved,
                                                                              sensitive_features=groups)),
        "equalized_odds_difference": _num(equalized_odds_difference(y_good, approved, sensitive_features=groups)),
    }


def _num(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
