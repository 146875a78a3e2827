"""Per-epoch training curves of one run, train against validation: live while a job trains, in a lab's results.

Not the learning curve of Model selection (quality by share of the training split: dashboard.pretrained_views).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard import charts
from dashboard.i18n import t


@dataclass(frozen=True)
class Curve:
    """One chart of a run's history: the recorded metric, the chart title and the y-axis title (i18n keys).

    `optional`: drawn only when the history recorded it (a Keras credit model records AUC, scikit-learn none).
    """

    metric: str
    title_key: str
    y_key: str
    optional: bool = False


CLASSIFICATION_CURVES = (Curve("accuracy", "lab.accuracy_curve", "lab.accuracy"), Curve("loss", "lab.loss_curve", "lab.loss"))


def has_curve(history: dict[str, list[float]] | None) -> bool:
    """True when a history holds two or more epochs: one point (a one-pass fit) draws no training curve."""
    return max((len(values) for values in (history or {}).values()), default=0) >= 2


def render_history_charts(history: dict[str, list[float]], *, key: str,
                          curves: tuple[Curve, ...] = CLASSIFICATION_CURVES) -> None:
    """The curves side by side (accuracy and loss unless a lab names others); a note for a one-pass fit."""
    if not history or not any(history.values()):
        return
    if not has_curve(history):
        st.caption(t("lab_forms.one_point_history"))
        return
    columns = st.columns(len(curves))
    for column, curve in zip(columns, curves):
        if curve.optional and not history.get(curve.metric):
            continue
        column.plotly_chart(
            charts.plot_history(history, metric=curve.metric, title=t(curve.title_key), x_title=t("lab.epoch"),
                                y_title=t(curve.y_key), train_label=t("lab.train_split"),
                                val_label=t("lab.val_split")),
            key=f"{key}_{curve.metric}",
        )


def curve_label(metric: str, tasks: Any = ()) -> str:
    """A curve's name; the loss says which loss the runs' tasks train on (ratings: squared error)."""
    if metric != "loss":
        return t(f"lab.{metric}")
    tasks = set(tasks)
    if tasks and tasks <= {"rating"}:
        return t("lab.loss_squared")
    if "rating" in tasks:
        return t("lab.loss_mixed")
    return t("lab.loss")
