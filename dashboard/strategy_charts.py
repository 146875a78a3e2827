"""Pure Plotly charts for the strategy planner: priority matrix, radars, sensitivity, roadmap, costs.

Callers pass translated titles and labels, so one builder serves English and Chinese; no Streamlit here.
Figures are assembled as plain dicts and wrapped without Plotly's per-property validation
(go.Figure(..., _validate=False)): validated make_subplots/update_* calls cost ~400 ms per page run,
the dict route ~10 ms, which keeps every strategy interaction under its 200 ms budget.
"""

from __future__ import annotations

import functools
import math
from datetime import date, datetime, time
from typing import Any, Callable, Mapping, Sequence

import plotly.graph_objects as go

from dashboard.charts import FONT_FAMILY, MUTED_COLOR, PALETTE, TEMPLATE

AXIS_RANGE = (0.5, 5.5)
MIDPOINT = 3.0
PHASE_COLORS = {"pilot": PALETTE[1], "mvp": PALETTE[0], "scale": PALETTE[2]}
DEVICE_COLORS = {"CPU": PALETTE[0], "GPU": PALETTE[4]}


@functools.lru_cache(maxsize=1)
def _template() -> dict:
    import plotly.io as pio

    return pio.templates[TEMPLATE].to_plotly_json()


def _layout(title: str, height: int, *, showlegend: bool = True, top: int | None = None, **extra: Any) -> dict:
    """The studio's chart look (as dashboard.charts._base_layout) as a plain layout dict."""
    layout = {
        "template": _template(),
        "title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 17}},
        "height": height,
        "margin": {"l": 60, "r": 24, "t": top if top is not None else (80 if showlegend else 56), "b": 56},
        "font": {"family": FONT_FAMILY, "size": 13},
        "showlegend": showlegend,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0.0,
                   "title": {"text": ""}},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
    }
    layout.update(extra)
    return layout


def _figure(data: list[dict], layout: dict) -> go.Figure:
    return go.Figure(data=data, layout=layout, _validate=False)


def _empty(title: str, message: str = "") -> go.Figure:
    layout = _layout(title, 300, showlegend=False, xaxis={"visible": False}, yaxis={"visible": False})
    if message:
        layout["annotations"] = [{"text": message, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper",
                                  "yref": "paper", "font": {"size": 14, "color": MUTED_COLOR}}]
    return _figure([], layout)


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

    quadrants: labels for (top right, top left, bottom right, bottom left). Filled bubbles have
    measured feasibility, open ones assumed. Use cases with equal scores are spread apart slightly.
    """
    if not names:
        return _empty(title)
    data: list[dict] = []
    seen: dict[tuple[float, float], int] = {}
    for index, (name, x, y, cost, diameter, is_measured) in enumerate(
            zip(names, feasibility, value, costs, _diameters(costs), measured)):
        key = (round(x, 2), round(y, 2))
        nudge = seen.get(key, 0)
        seen[key] = nudge + 1
        color = PALETTE[index % len(PALETTE)]
        data.append({
            "type": "scatter", "x": [x + 0.18 * nudge], "y": [y - 0.18 * nudge], "mode": "markers+text",
            "text": [f"<b>{name}</b>"], "textposition": "middle center",
            "textfont": {"size": 13, "color": "#0F172A"},
            "showlegend": False, "name": name,
            # measured: filled but light enough for the dark name on top; assumed: an open ring
            "marker": {"size": diameter, "color": color if is_measured else "rgba(255,255,255,0.6)",
                       "opacity": 0.55 if is_measured else 0.9,
                       "line": {"width": 3, "color": color}},
            "hovertemplate": (f"<b>{name}</b><br>{x_title}: %{{x:.2f}}<br>{y_title}: %{{y:.2f}}<br>"
                              f"{cost_label}: {cost:,.0f}<br>{measured_label if is_measured else assumed_label}"
                              "<extra></extra>"),
        })
    for label, symbol in ((measured_label, "circle"), (assumed_label, "circle-open")):
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": label,
                     "marker": {"size": 12, "symbol": symbol, "color": MUTED_COLOR,
                                "line": {"width": 2, "color": MUTED_COLOR}}})
    corners = ((5.45, 5.45, "right", "top"), (0.55, 5.45, "left", "top"), (5.45, 0.55, "right", "bottom"),
               (0.55, 0.55, "left", "bottom"))
    annotations = [{"x": x, "y": y, "text": text, "showarrow": False, "xanchor": ax, "yanchor": ay,
                    "font": {"size": 12, "color": "#475569"}, "bgcolor": "rgba(248,250,252,0.85)"}
                   for text, (x, y, ax, ay) in zip(quadrants, corners)]
    annotations.append({"text": f"○ {cost_label}", "x": 1.0, "y": -0.16, "xref": "paper", "yref": "paper",
                        "showarrow": False, "xanchor": "right", "font": {"size": 11, "color": MUTED_COLOR}})
    line = {"dash": "dash", "color": MUTED_COLOR, "width": 1}
    shapes = [{"type": "line", "x0": 0, "x1": 1, "xref": "paper", "y0": MIDPOINT, "y1": MIDPOINT, "line": line},
              {"type": "line", "y0": 0, "y1": 1, "yref": "paper", "x0": MIDPOINT, "x1": MIDPOINT, "line": line}]
    axis = {"range": list(AXIS_RANGE), "dtick": 1, "zeroline": False}
    return _figure(data, _layout(title, 500, xaxis={**axis, "title": {"text": x_title}},
                                 yaxis={**axis, "title": {"text": y_title}}, annotations=annotations, shapes=shapes))


def _unit(value: float) -> float:
    """A paper coordinate clamped to [0, 1] (float sums such as 1 - 3 x 0.33 can fall just outside)."""
    return min(1.0, max(0.0, round(value, 6)))


def _grid(count: int, columns: int, *, gap_x: float, gap_y: float, top: float = 1.0) -> list[tuple[list, list]]:
    """(x domain, y domain) of each cell of a rows x columns grid, row by row from the top."""
    rows = math.ceil(count / columns)
    width = (1.0 - gap_x * (columns - 1)) / columns
    height = (top - gap_y * (rows - 1)) / rows
    cells = []
    for index in range(count):
        row, col = divmod(index, columns)
        x0 = col * (width + gap_x)
        y1 = top - row * (height + gap_y)
        cells.append(([_unit(x0), _unit(x0 + width)], [_unit(y1 - height), _unit(y1)]))
    return cells


def plot_radars(names: Sequence[str], scores: Sequence[Mapping[str, float]], typed: Sequence[Mapping[str, float]],
                *, title: str, axis_labels: Mapping[str, str], effective_label: str, typed_label: str,
                subtitles: Sequence[str] | None = None, columns: int | None = None) -> go.Figure:
    """One radar per use case over the four criteria: the scores used (filled) and the typed ones (dashed)."""
    if not names:
        return _empty(title)
    count = len(names)
    columns = columns or (2 if count <= 4 else 3)  # wide enough that neighbouring axis labels never collide
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    cells = _grid(count, columns, gap_x=0.08, gap_y=0.36 / max(rows, 1) if rows > 1 else 0.0, top=0.92)
    keys = list(axis_labels)
    theta = [axis_labels[key] for key in keys] + [axis_labels[keys[0]]]
    data: list[dict] = []
    layout = _layout(title, 360 * rows + 90, top=120)
    annotations = []
    for index, (name, used, entered, (x_domain, y_domain)) in enumerate(zip(names, scores, typed, cells)):
        polar = "polar" if index == 0 else f"polar{index + 1}"
        color = PALETTE[index % len(PALETTE)]
        data.append({"type": "scatterpolar", "r": [used[k] for k in keys] + [used[keys[0]]], "theta": theta,
                     "fill": "toself", "name": effective_label, "legendgroup": "used", "showlegend": index == 0,
                     "line": {"color": color}, "opacity": 0.85, "subplot": polar,
                     "hovertemplate": f"{name}<br>%{{theta}}: %{{r}}<extra></extra>"})
        data.append({"type": "scatterpolar", "r": [entered[k] for k in keys] + [entered[keys[0]]], "theta": theta,
                     "mode": "lines", "name": typed_label, "legendgroup": "typed", "showlegend": index == 0,
                     "line": {"color": MUTED_COLOR, "dash": "dash"}, "subplot": polar,
                     "hovertemplate": f"{name}<br>%{{theta}}: %{{r}}<extra></extra>"})
        layout[polar] = {"domain": {"x": x_domain, "y": [y_domain[0], _unit(y_domain[1] - 0.06)]},
                         "radialaxis": {"range": [0, 5], "dtick": 1, "showticklabels": False},
                         "angularaxis": {"tickfont": {"size": 11}}}
        heading = (subtitles[index] if subtitles else name)
        annotations.append({"text": f"<b>{heading}</b>", "x": sum(x_domain) / 2, "y": y_domain[1] + 0.02,
                            "xref": "paper", "yref": "paper", "showarrow": False, "xanchor": "center",
                            "yanchor": "bottom", "font": {"size": 13}})
    layout["annotations"] = annotations
    layout["legend"]["y"] = 1.04
    return _figure(data, layout)


def plot_sensitivity(points: Sequence, *, criterion_labels: Mapping[str, str], title: str, x_title: str,
                     y_title: str) -> go.Figure:
    """Rank (1 on top) of each use case as one criterion's weight moves from -50 % to +50 %, a panel per criterion."""
    if not points:
        return _empty(title)
    criteria = [c for c in criterion_labels if any(p.criterion == c for p in points)]
    names = list(dict.fromkeys(p.title for p in points))
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    series: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for point in points:
        series.setdefault((point.criterion, point.title), []).append((point.factor, point.rank))
    cells = _grid(len(criteria), len(criteria), gap_x=0.05, gap_y=0.0, top=0.86)
    data: list[dict] = []
    layout = _layout(title, 420, top=110)
    annotations = []
    rank_count = len(names)
    for col, (criterion, (x_domain, y_domain)) in enumerate(zip(criteria, cells), start=1):
        suffix = "" if col == 1 else str(col)
        for name in names:
            values = sorted(series.get((criterion, name), []))
            data.append({"type": "scatter", "x": [round((f - 1) * 100) for f, _ in values],
                         "y": [r for _, r in values], "mode": "lines+markers", "name": name, "legendgroup": name,
                         "showlegend": col == 1, "line": {"color": colors[name], "width": 2},
                         "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
                         "hovertemplate": f"{name}<br>{x_title}: %{{x:+d}} %<br>{y_title}: %{{y}}<extra></extra>"})
        layout[f"xaxis{suffix}"] = {"domain": x_domain, "anchor": f"y{suffix}", "ticksuffix": " %",
                                    "tickvals": [-50, -25, 0, 25, 50], "zeroline": False,
                                    "title": {"text": x_title, "font": {"size": 12}}}
        layout[f"yaxis{suffix}"] = {"domain": y_domain, "anchor": f"x{suffix}", "range": [rank_count + 0.5, 0.5],
                                    "dtick": 1, "zeroline": False, "showticklabels": col == 1,
                                    **({"title": {"text": y_title}} if col == 1 else {"matches": "y"})}
        annotations.append({"text": f"<b>{criterion_labels[criterion]}</b>", "x": sum(x_domain) / 2,
                            "y": y_domain[1] + 0.01, "xref": "paper", "yref": "paper", "showarrow": False,
                            "xanchor": "center", "yanchor": "bottom", "font": {"size": 13}})
    layout["annotations"] = annotations
    layout["legend"]["y"] = 1.06
    return _figure(data, layout)


def month_ticks(first: date, last: date, label: Callable[[date], str], *, most: int = 12) -> dict[str, list]:
    """Ticks on the first of every month (every 2nd, 3rd... when the span is long) from `first` to `last`,
    named by `label`: plotly.js writes month names in English only ("Jan 2027" on a Chinese page)."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = max(1, -(-months // most))
    values, texts = [], []
    year, month = first.year, first.month
    for index in range(months):
        if index % step == 0:
            tick = date(year, month, 1)
            values.append(datetime.combine(tick, time()).isoformat())
            texts.append(label(tick))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return {"tickmode": "array", "tickvals": values, "ticktext": texts}


def plot_roadmap(phases: Sequence, *, title: str, phase_labels: Mapping[str, str], today_label: str,
                 today: date | None = None, x_title: str = "",
                 month_label: Callable[[date], str] | None = None) -> go.Figure:
    """Pilot / MVP / scale bars on a date axis, one row per use case (rank order top to bottom).

    month_label(first of a month) names the axis ticks in the reader's language (plotly's own are English).
    """
    if not phases:
        return _empty(title)
    rows = list(dict.fromkeys(p.title for p in phases))
    data: list[dict] = []
    for phase_id, label in phase_labels.items():
        chosen = [p for p in phases if p.phase == phase_id]
        if not chosen:
            continue
        data.append({
            "type": "bar", "orientation": "h", "name": label, "y": [p.title for p in chosen],
            "base": [datetime.combine(p.start, time()).isoformat() for p in chosen],
            "x": [(p.end - p.start).days * 86_400_000 for p in chosen],
            "marker": {"color": PHASE_COLORS.get(phase_id, MUTED_COLOR)},
            "text": [label] * len(chosen), "textposition": "inside", "insidetextanchor": "middle",
            "customdata": [[p.start.isoformat(), p.end.isoformat()] for p in chosen],
            "hovertemplate": f"%{{y}}<br>{label}: %{{customdata[0]}} → %{{customdata[1]}}<extra></extra>",
        })
    layout = _layout(title, 160 + 60 * len(rows), barmode="overlay",
                     xaxis={"type": "date", "title": {"text": x_title},
                            **(month_ticks(min(p.start for p in phases), max(p.end for p in phases), month_label)
                               if month_label is not None else {})},
                     yaxis={"categoryorder": "array", "categoryarray": list(reversed(rows)), "automargin": True})
    if today is not None:
        stamp = datetime.combine(today, time()).isoformat()
        layout["shapes"] = [{"type": "line", "x0": stamp, "x1": stamp, "y0": 0, "y1": 1, "yref": "paper",
                             "line": {"dash": "dot", "color": "#111827", "width": 1}}]
        layout["annotations"] = [{"x": stamp, "y": 0.0, "yref": "paper", "text": today_label, "showarrow": False,
                                  "xanchor": "left", "yanchor": "bottom", "xshift": 4, "font": {"size": 11}}]
    return _figure(data, layout)


def plot_costs(names: Sequence[str], train: Mapping[str, Sequence[float]], serve: Mapping[str, Sequence[float]],
               *, title: str, y_title: str, device_labels: Mapping[str, str], train_label: str,
               serve_label: str) -> go.Figure:
    """Twelve-month cost per use case: CPU and GPU side by side, each bar split into training and serving."""
    if not names:
        return _empty(title)
    data: list[dict] = []
    for offset, device in enumerate(device_labels):
        color = DEVICE_COLORS.get(device, PALETTE[offset % len(PALETTE)])
        label = device_labels[device]
        data.append({"type": "bar", "x": list(names), "y": list(train[device]), "name": f"{label} · {train_label}",
                     "offsetgroup": str(offset), "marker": {"color": color},
                     "hovertemplate": f"%{{x}}<br>{label} · {train_label}: %{{y:,.0f}}<extra></extra>"})
        data.append({"type": "bar", "x": list(names), "y": list(serve[device]), "name": f"{label} · {serve_label}",
                     "offsetgroup": str(offset), "base": list(train[device]),
                     # hatched, so serving and training of one device differ in the legend too
                     "marker": {"color": color, "opacity": 0.55, "pattern": {"shape": "/", "fgcolor": "white"}},
                     "hovertemplate": f"%{{x}}<br>{label} · {serve_label}: %{{y:,.0f}}<extra></extra>"})
    return _figure(data, _layout(title, 420, barmode="group", yaxis={"title": {"text": y_title}}))


__all__ = ["plot_priority_matrix", "plot_radars", "plot_sensitivity", "plot_roadmap", "plot_costs"]
