"""Pure Plotly charts of the business case: the profit curve of one run and value against cost per use case.

Callers pass translated titles and labels (with the currency in the axis titles); no Streamlit here. Built
from plain dicts like dashboard.strategy_charts, so the Strategy page stays within its time budget.
"""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from dashboard.charts import MUTED_COLOR, PALETTE
from dashboard.strategy_charts import _empty, _figure, _layout

GAIN_COLOR = PALETTE[2]
COST_COLOR = PALETTE[3]


def plot_profit_curve(x: Sequence[float], y: Sequence[float], *, chosen_x: float, chosen_y: float,
                      low: float, high: float, title: str, x_title: str, y_title: str, curve_label: str,
                      chosen_label: str, zero_label: str, x_percent: bool = False) -> go.Figure:
    """Value per year along the operating points (threshold, cut-off, list length), the chosen point marked
    with its 90 % interval, and the break-even line at zero."""
    if not len(x):
        return _empty(title)
    number = "%{x:.2f}" if x_percent else "%{x}"
    data = [
        {"type": "scatter", "mode": "lines", "x": list(x), "y": list(y), "name": curve_label,
         "line": {"color": PALETTE[0], "width": 2.5},
         "hovertemplate": f"{number}<br>%{{y:,.0f}}<extra></extra>"},
        {"type": "scatter", "mode": "markers", "x": [chosen_x], "y": [chosen_y], "name": chosen_label,
         "marker": {"color": GAIN_COLOR if chosen_y >= 0 else COST_COLOR, "size": 14, "symbol": "diamond",
                    "line": {"color": "white", "width": 1.5}},
         "error_y": {"type": "data", "symmetric": False, "array": [max(high - chosen_y, 0.0)],
                     "arrayminus": [max(chosen_y - low, 0.0)], "color": MUTED_COLOR, "thickness": 2, "width": 8},
         "hovertemplate": f"{chosen_label}: {number}<br>%{{y:,.0f}} ({low:,.0f} … {high:,.0f})<extra></extra>"},
        {"type": "scatter", "mode": "lines", "x": [min(x), max(x)], "y": [0, 0], "name": zero_label,
         "line": {"color": MUTED_COLOR, "dash": "dash", "width": 1.5}, "hoverinfo": "skip"},
    ]
    return _figure(data, _layout(title, 400, xaxis={"title": {"text": x_title}},
                                 yaxis={"title": {"text": y_title}, "tickformat": ",.0f", "zeroline": False}))


def plot_value_vs_cost(names: Sequence[str], values: Sequence[float], lows: Sequence[float],
                       highs: Sequence[float], costs: Sequence[float], *, title: str, y_title: str,
                       value_label: str, cost_label: str) -> go.Figure:
    """Value per year (with its 90 % interval) beside the projected cost per year, per use case."""
    if not names:
        return _empty(title)
    data = [
        {"type": "bar", "x": list(names), "y": list(values), "name": value_label, "marker": {"color": GAIN_COLOR},
         "text": [f"{v:,.0f}" for v in values], "textposition": "outside", "cliponaxis": False,
         "error_y": {"type": "data", "symmetric": False, "array": [max(h - v, 0.0) for h, v in zip(highs, values)],
                     "arrayminus": [max(v - lo, 0.0) for lo, v in zip(lows, values)], "color": "#334155"},
         "hovertemplate": f"%{{x}}<br>{value_label}: %{{y:,.0f}}<extra></extra>"},
        {"type": "bar", "x": list(names), "y": list(costs), "name": cost_label, "marker": {"color": COST_COLOR},
         "text": [f"{c:,.0f}" for c in costs], "textposition": "outside", "cliponaxis": False,
         "hovertemplate": f"%{{x}}<br>{cost_label}: %{{y:,.0f}}<extra></extra>"},
    ]
    return _figure(data, _layout(title, 400, barmode="group",
                                 yaxis={"title": {"text": y_title}, "tickformat": ",.0f"}))


__all__ = ["plot_profit_curve", "plot_value_vs_cost"]
