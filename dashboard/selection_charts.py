"""Pure Plotly charts for the model-selection page: quality/latency Pareto bubbles and baseline differences."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from core.evaluation.catalogue import higher_is_better, is_percent
from core.selection.pareto import pareto_front
from dashboard.charts import MUTED_COLOR, PALETTE, _base_layout, _empty

LOG_SPREAD = 10.0  # log x-axis when the slowest candidate is more than 10x the fastest


def _bubble_sizes(sizes: Sequence[float], *, smallest: float = 14.0, largest: float = 48.0) -> list[float]:
    """Marker diameters proportional to sqrt(size) (area ~ size), missing sizes drawn smallest."""
    finite = [value for value in sizes if isinstance(value, (int, float)) and math.isfinite(value) and value > 0]
    top = math.sqrt(max(finite)) if finite else 1.0
    return [smallest + (largest - smallest) * (math.sqrt(value) / top)
            if isinstance(value, (int, float)) and math.isfinite(value) and value > 0 else smallest
            for value in sizes]


def plot_pareto(table: pd.DataFrame, *, quality_column: str, title: str, x_title: str, y_title: str,
                front_label: str, size_label: str, cost_column: str = "latency_p50_ms",
                empty_message: str = "", names: Mapping[str, str] | None = None,
                unknown_size_label: str = "") -> go.Figure:
    """Quality (y) against latency (x, log when spread > 10x), bubble area = size, Pareto front joined by a line.

    names: {model id: name for people}. Each bubble's whole name is in the legend, in the bubble's colour: names
    written beside the bubbles were cut at the plot's edges ("opularity") or ran into each other. A model whose
    size is unknown (an LLM behind an endpoint) is a hollow ring of middle size, its legend entry followed by
    unknown_size_label, never the smallest bubble.
    """
    needed = {"model", quality_column, cost_column}
    if table is None or len(table) == 0 or not needed <= set(table.columns):
        return _empty(title, message=empty_message)
    frame = table.copy()
    frame[quality_column] = pd.to_numeric(frame[quality_column], errors="coerce")
    frame[cost_column] = pd.to_numeric(frame[cost_column], errors="coerce")
    frame = frame.dropna(subset=[quality_column, cost_column])
    if len(frame) == 0:
        return _empty(title, message=empty_message)
    ratio = is_percent(quality_column)  # as the comparison table shows it: accuracy in %, AUC 0.849
    scale = 100.0 if ratio else 1.0
    sizes = pd.to_numeric(frame["size_mb"], errors="coerce").tolist() if "size_mb" in frame else [math.nan] * len(frame)
    diameters = _bubble_sizes(sizes)
    higher = higher_is_better(quality_column)
    front = pareto_front((str(model), (1 if higher else -1) * quality, cost) for model, quality, cost in
                         zip(frame["model"], frame[quality_column], frame[cost_column]))
    costs = frame[cost_column]
    positive = costs[costs > 0]
    log_x = len(positive) == len(costs) and len(positive) > 1 and positive.max() / positive.min() > LOG_SPREAD
    fig = go.Figure()
    for index, (row, diameter, size) in enumerate(zip(frame.itertuples(index=False), diameters, sizes)):
        model_id = str(getattr(row, "model"))
        model = (names or {}).get(model_id, model_id)
        on_front = model_id in front
        known = isinstance(size, (int, float)) and math.isfinite(size) and size > 0
        size_text = f"{size:.2f} MB" if known else "-"
        colour = PALETTE[index % len(PALETTE)]
        marker = ({"size": diameter, "color": colour, "opacity": 0.8,
                   "line": {"width": 3 if on_front else 1, "color": "#111827" if on_front else "white"}} if known
                  else {"size": 31.0, "color": colour, "symbol": "circle-open", "line": {"width": 4 if on_front else 3}})
        fig.add_trace(go.Scatter(
            x=[frame[cost_column].iloc[index]], y=[frame[quality_column].iloc[index] * scale],
            mode="markers", name=model if known or not unknown_size_label else f"{model} ({unknown_size_label})",
            showlegend=True, legendrank=index, marker=marker,
            hovertemplate=(f"{model}<br>{x_title}: %{{x:.3g}}<br>{y_title}: %{{y:.2f}}<br>"
                           f"{size_label}: {size_text}<extra></extra>"),
        ))
    front_rows = frame[frame["model"].astype(str).isin(front)].sort_values(cost_column)  # front holds ids
    fig.add_trace(go.Scatter(
        x=front_rows[cost_column].tolist(), y=(front_rows[quality_column] * scale).tolist(),
        mode="lines", name=front_label, line={"color": MUTED_COLOR, "dash": "dash", "width": 2},
        hoverinfo="skip",
    ))
    _base_layout(fig, title=title, height=480, x_title=x_title, y_title=y_title)
    # names below the plot, one uniform swatch each: long names wrap there instead of covering the title
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.22, "xanchor": "left", "x": 0.0,
                              "itemsizing": "constant"})
    fig.update_xaxes(type="log" if log_x else "linear")
    if ratio:
        fig.update_yaxes(ticksuffix="%")
    return fig


def plot_baseline_comparison(results: Sequence[Any], *, title: str, x_title: str, zero_label: str,
                             empty_message: str = "", names: Mapping[str, str] | None = None) -> go.Figure:
    """Each model's accuracy difference from the baseline (points) with its CI as error bars, and the 0 line.

    names: {model id: name for people} for the y-axis and the hover.
    """
    if not results:
        return _empty(title, message=empty_message)
    names = names or {}
    models = [names.get(str(result.model), str(result.model)) for result in results]
    diffs = [result.difference * 100 for result in results]
    colors = [PALETTE[2] if result.verdict == "better" else PALETTE[3] if result.verdict == "worse" else MUTED_COLOR
              for result in results]
    fig = go.Figure(go.Scatter(
        x=diffs, y=models, mode="markers", name=x_title, showlegend=False,
        marker={"size": 12, "color": colors},
        error_x={"type": "data", "symmetric": False,
                 "array": [result.ci_high * 100 - diff for result, diff in zip(results, diffs)],
                 "arrayminus": [diff - result.ci_low * 100 for result, diff in zip(results, diffs)],
                 "thickness": 2, "width": 8},
        customdata=[[result.p_value, names.get(str(result.baseline), str(result.baseline))] for result in results],
        hovertemplate="%{y} vs %{customdata[1]}: %{x:+.2f}<br>McNemar p=%{customdata[0]:.3f}<extra></extra>",
    ))
    fig.add_vline(x=0, line={"color": "#111827", "dash": "dot"}, annotation_text=zero_label,
                  annotation_position="top")
    _base_layout(fig, title=title, height=max(260, 90 + 60 * len(results)), x_title=x_title, showlegend=False)
    return fig
