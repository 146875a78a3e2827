"""Pure Plotly charts for pretrained candidates: the learning curve (quality by labelled training examples)."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import plotly.graph_objects as go

from dashboard.charts import PALETTE, _base_layout, _empty

DASHES = {"pretrained": "solid", "scratch": "dash", "baseline": "dot"}


def plot_learning_curve(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, title: str,
                        x_title: str, y_title: str, percent: bool = False,
                        starts: Mapping[str, str] | None = None, empty_message: str = "") -> go.Figure:
    """One line per model: test quality (y) against labelled training examples (x, log scale).

    curves: {model name: (training sizes, metric values)}; percent: values in [0, 1] shown in %.
    starts: {model name: "pretrained" | "scratch" | "baseline"} picks the line style (solid, dashed,
    dotted), so the starting point reads without colour too.
    """
    cleaned = {}
    for name, (sizes, values) in curves.items():
        pairs = sorted((float(n), float(v)) for n, v in zip(sizes, values)
                       if v is not None and n is not None and math.isfinite(float(v)) and float(n) > 0)
        if pairs:
            cleaned[name] = pairs
    if not cleaned:
        return _empty(title, message=empty_message)
    scale = 100.0 if percent else 1.0
    fig = go.Figure()
    for index, (name, pairs) in enumerate(cleaned.items()):
        fig.add_trace(go.Scatter(
            x=[n for n, _ in pairs], y=[v * scale for _, v in pairs], mode="lines+markers", name=name,
            line={"color": PALETTE[index % len(PALETTE)], "width": 3,
                  "dash": DASHES.get((starts or {}).get(name, ""), "solid")},
            marker={"size": 9},
            hovertemplate=f"{name}<br>{x_title}: %{{x:,.0f}}<br>{y_title}: %{{y:.{1 if percent else 3}f}}<extra></extra>",
        ))
    _base_layout(fig, title=title, height=440, x_title=x_title, y_title=y_title)
    sizes = sorted({n for pairs in cleaned.values() for n, _ in pairs})
    fig.update_xaxes(type="log", tickvals=sizes, ticktext=[f"{n:,.0f}" for n in sizes])
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0})
    if percent:
        fig.update_yaxes(ticksuffix="%")
    return fig
