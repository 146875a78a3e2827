"""Pure Plotly charts for the strategy planner: priority matrix, radars, sensitivity, roadmap, costs.

Callers pass translated titles and labels, so one builder serves English and Chinese; no Streamlit here.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from typing import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts import MUTED_COLOR, PALETTE, _base_layout, _empty

AXIS_RANGE = (0.5, 5.5)
MIDPOINT = 3.0
PHASE_COLORS = {"pilot": PALETTE[1], "mvp": PALETTE[0], "scale": PALETTE[2]}


def _diameters(costs: Sequence[float], *, smallest: float = 18.0, largest: float = 60.0) -> list[float]:
    """Bubble diameters with area proportional to cost; zero or missing costs drawn smallest."""
    finite = [c for c in costs if isinstance(c, (int, float)) and math.isfinite(c) and c > 0]
    top = math.sqrt(max(finite)) if finite else 1.0
    return [smallest + (largest - smallest) * math.sqrt(c) / top
            if isinstance(c, (int, float)) and math.isfinite(c) and c > 0 else smallest for c in costs]


def plot_priority_matrix(names: Sequence[str], feasibility: Sequence[float], value: Sequence[float],
                         costs: Sequence[float], measured: Sequence[bool], *, title: str, x_title: str,
                         y_title: str, cost_label: str, measured_label: str, assumed_label: str,
                         quadrants: Sequence[str]) -> go.Figure:
    """Value (y) against feasibility (x) on 1-5 axes, bubble area = twelve-month cost, quadrant lines at 3.

    quadrants: labels for (top right, top left, bottom right, bottom left). Filled bubbles are
    measured feasibility, open ones assumed.
    """
    if not names:
        return _empty(title)
    fig = go.Figure()
    diameters = _diameters(costs)
    # Tiny offsets so use cases with identical scores do not hide one another.
    seen: dict[tuple[float, float], int] = {}
    for index, (name, x, y, cost, diameter, is_measured) in enumerate(
            zip(names, feasibility, value, costs, diameters, measured)):
        key = (round(x, 2), round(y, 2))
        nudge = seen.get(key, 0)
        seen[key] = nudge + 1
        color = PALETTE[index % len(PALETTE)]
        fig.add_trace(go.Scatter(
            x=[x + 0.12 * nudge], y=[y - 0.12 * nudge], mode="markers+text", text=[name],
            textposition="top center", textfont={"size": 13}, showlegend=False, name=name,
            marker={"size": diameter, "color": color if is_measured else "rgba(255,255,255,0.6)",
                    "opacity": 0.85, "line": {"width": 3, "color": color}},
            hovertemplate=(f"<b>{name}</b><br>{x_title}: %{{x:.2f}}<br>{y_title}: %{{y:.2f}}<br>"
                           f"{cost_label}: {cost:,.0f}<br>"
                           f"{measured_label if is_measured else assumed_label}<extra></extra>"),
        ))
    for label, symbol in ((measured_label, "circle"), (assumed_label, "circle-open")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=label,
                                 marker={"size": 12, "symbol": symbol, "color": MUTED_COLOR,
                                         "line": {"width": 2, "color": MUTED_COLOR}}))
    fig.add_hline(y=MIDPOINT, line={"dash": "dash", "color": MUTED_COLOR, "width": 1})
    fig.add_vline(x=MIDPOINT, line={"dash": "dash", "color": MUTED_COLOR, "width": 1})
    corners = ((5.4, 5.4, "right"), (0.6, 5.4, "left"), (5.4, 0.6, "right"), (0.6, 0.6, "left"))
    for text, (x, y, align) in zip(quadrants, corners):
        fig.add_annotation(x=x, y=y, text=text, showarrow=False, xanchor=align,
                           yanchor="top" if y > MIDPOINT else "bottom",
                           font={"size": 12, "color": "#475569"}, bgcolor="rgba(248,250,252,0.85)")
    _base_layout(fig, title=title, height=480, x_title=x_title, y_title=y_title)
    fig.update_xaxes(range=list(AXIS_RANGE), dtick=1, zeroline=False)
    fig.update_yaxes(range=list(AXIS_RANGE), dtick=1, zeroline=False)
    fig.add_annotation(text=f"○ = {cost_label}", x=1.0, y=-0.14, xref="paper", yref="paper", showarrow=False,
                       xanchor="right", font={"size": 11, "color": MUTED_COLOR})
    return fig


def plot_radars(names: Sequence[str], scores: Sequence[Mapping[str, float]], typed: Sequence[Mapping[str, float]],
                *, title: str, axis_labels: Mapping[str, str], effective_label: str, typed_label: str,
                subtitles: Sequence[str] | None = None, columns: int = 4) -> go.Figure:
    """One radar per use case over the four criteria: the scores used (filled) and the typed ones (dashed)."""
    if not names:
        return _empty(title)
    count = len(names)
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    headings = list(subtitles) if subtitles else list(names)
    fig = make_subplots(rows=rows, cols=columns, specs=[[{"type": "polar"}] * columns for _ in range(rows)],
                        subplot_titles=headings, horizontal_spacing=0.09, vertical_spacing=0.16)
    keys = list(axis_labels)
    theta = [axis_labels[key] for key in keys] + [axis_labels[keys[0]]]
    for index, (name, used, entered) in enumerate(zip(names, scores, typed)):
        row, col = index // columns + 1, index % columns + 1
        color = PALETTE[index % len(PALETTE)]
        fig.add_trace(go.Scatterpolar(r=[used[k] for k in keys] + [used[keys[0]]], theta=theta, fill="toself",
                                      name=effective_label, legendgroup="used", showlegend=index == 0,
                                      line={"color": color}, opacity=0.8,
                                      hovertemplate=f"{name}<br>%{{theta}}: %{{r}}<extra></extra>"),
                      row=row, col=col)
        fig.add_trace(go.Scatterpolar(r=[entered[k] for k in keys] + [entered[keys[0]]], theta=theta,
                                      name=typed_label, legendgroup="typed", showlegend=index == 0,
                                      line={"color": MUTED_COLOR, "dash": "dash"}, mode="lines",
                                      hovertemplate=f"{name}<br>%{{theta}}: %{{r}}<extra></extra>"),
                      row=row, col=col)
    fig.update_polars(radialaxis={"range": [0, 5], "dtick": 1, "tickfont": {"size": 9}},
                      angularaxis={"tickfont": {"size": 11}})
    _base_layout(fig, title=title, height=330 * rows + 40)
    fig.update_annotations(font={"size": 13})
    fig.update_layout(margin={"l": 40, "r": 40, "t": 110, "b": 30})
    return fig


def plot_sensitivity(points: Sequence, *, criterion_labels: Mapping[str, str], title: str, x_title: str,
                     y_title: str) -> go.Figure:
    """Rank (1 on top) of each use case as one criterion's weight moves from -50 % to +50 %, a panel per criterion."""
    if not points:
        return _empty(title)
    criteria = [c for c in criterion_labels if any(p.criterion == c for p in points)]
    names = list(dict.fromkeys(p.title for p in points))
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    fig = make_subplots(rows=1, cols=len(criteria), shared_yaxes=True,
                        subplot_titles=[criterion_labels[c] for c in criteria], horizontal_spacing=0.04)
    for col, criterion in enumerate(criteria, start=1):
        for name in names:
            series = sorted((p.factor, p.rank) for p in points if p.criterion == criterion and p.title == name)
            fig.add_trace(go.Scatter(x=[round((f - 1) * 100) for f, _ in series], y=[r for _, r in series],
                                     mode="lines+markers", name=name, legendgroup=name, showlegend=col == 1,
                                     line={"color": colors[name], "width": 2},
                                     hovertemplate=f"{name}<br>{x_title}: %{{x:+d}} %<br>{y_title}: %{{y}}<extra></extra>"),
                          row=1, col=col)
        fig.update_xaxes(title_text=x_title if col == 1 else "", ticksuffix=" %", tickvals=[-50, -25, 0, 25, 50],
                         row=1, col=col)
    fig.update_yaxes(autorange="reversed", dtick=1, title_text=y_title, row=1, col=1)
    _base_layout(fig, title=title, height=380)
    fig.update_layout(margin={"l": 60, "r": 24, "t": 110, "b": 56})
    fig.update_layout(legend={"y": 1.12})
    return fig


def plot_roadmap(phases: Sequence, *, title: str, phase_labels: Mapping[str, str], today_label: str,
                 today: date | None = None, x_title: str = "") -> go.Figure:
    """Pilot / MVP / scale bars on a date axis, one row per use case (rank order top to bottom)."""
    if not phases:
        return _empty(title)
    fig = go.Figure()
    rows = list(dict.fromkeys(p.title for p in phases))
    for phase_id, label in phase_labels.items():
        chosen = [p for p in phases if p.phase == phase_id]
        if not chosen:
            continue
        starts = [datetime.combine(p.start, time()) for p in chosen]
        durations_ms = [(p.end - p.start).days * 86_400_000 for p in chosen]
        fig.add_trace(go.Bar(
            y=[p.title for p in chosen], x=durations_ms, base=starts, orientation="h", name=label,
            marker={"color": PHASE_COLORS.get(phase_id, MUTED_COLOR)},
            text=[label] * len(chosen), textposition="inside", insidetextanchor="middle",
            customdata=[[p.start.isoformat(), p.end.isoformat()] for p in chosen],
            hovertemplate=f"%{{y}}<br>{label}: %{{customdata[0]}} → %{{customdata[1]}}<extra></extra>",
        ))
    _base_layout(fig, title=title, height=140 + 60 * len(rows), x_title=x_title)
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(type="date")
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(rows)))
    if today is not None:
        stamp = datetime.combine(today, time()).timestamp() * 1000
        fig.add_vline(x=stamp, line={"dash": "dot", "color": "#111827", "width": 1})
        fig.add_annotation(x=stamp, y=1.0, yref="paper", text=today_label, showarrow=False, yanchor="bottom",
                           font={"size": 11})
    return fig


def plot_costs(names: Sequence[str], train: Mapping[str, Sequence[float]], serve: Mapping[str, Sequence[float]],
               *, title: str, y_title: str, device_labels: Mapping[str, str], train_label: str,
               serve_label: str) -> go.Figure:
    """Twelve-month cost per use case: CPU and GPU side by side, each bar split into training and serving."""
    if not names:
        return _empty(title)
    fig = go.Figure()
    for offset, device in enumerate(device_labels):
        base_color = PALETTE[0] if device == "CPU" else PALETTE[4]
        for part, values, opacity in ((train_label, train[device], 1.0), (serve_label, serve[device], 0.55)):
            fig.add_trace(go.Bar(
                x=list(names), y=list(values), name=f"{device_labels[device]} · {part}", offsetgroup=str(offset),
                marker={"color": base_color, "opacity": opacity},
                base=list(train[device]) if part == serve_label else None,
                hovertemplate=f"%{{x}}<br>{device_labels[device]} · {part}: %{{y:,.0f}}<extra></extra>",
            ))
    _base_layout(fig, title=title, height=420, y_title=y_title)
    fig.update_layout(barmode="group")
    return fig


__all__ = ["plot_priority_matrix", "plot_radars", "plot_sensitivity", "plot_roadmap", "plot_costs"]
