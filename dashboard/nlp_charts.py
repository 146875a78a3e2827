"""NLP charts as pure functions: length distribution, top tokens, token contributions, attention heatmap.

No Streamlit calls; every title and axis label is passed in already translated. Tokens are
placed on numbered axes with the token text as tick labels, so repeated tokens ("的", "good")
stay separate rows and columns.
"""

from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from dashboard.charts import PALETTE, _base_layout, _empty

POSITIVE_RGB = (46, 125, 50)   # green: pushed towards the predicted class
NEGATIVE_RGB = (198, 40, 40)   # red: pushed away from it


def plot_length_distribution(lengths: Sequence[int], labels: Sequence[int], class_names: Sequence[str], *,
                             title: str, x_title: str, y_title: str, sequence_length: int | None = None,
                             cutoff_label: str = "") -> go.Figure:
    """Overlaid histograms of text length in tokens per class, with the model's cut-off as a dashed line."""
    lengths = np.asarray(lengths, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    if len(lengths) == 0:
        return _empty(title)
    upper = int(np.percentile(lengths, 99)) + 1
    fig = go.Figure()
    for index, name in enumerate(class_names):
        values = np.minimum(lengths[labels == index], upper)
        fig.add_trace(go.Histogram(x=values, name=str(name), opacity=0.6, marker_color=PALETTE[index % len(PALETTE)],
                                   xbins={"start": 0, "end": upper + 1, "size": max(1, upper // 40)},
                                   hovertemplate=f"{html.escape(str(name))}<br>%{{x}}: %{{y:,}}<extra></extra>"))
    _base_layout(fig, title=title, height=380, x_title=x_title, y_title=y_title)
    fig.update_layout(barmode="overlay")
    if sequence_length:
        fig.add_vline(x=int(sequence_length), line_dash="dash", line_color="#444",
                      annotation_text=cutoff_label, annotation_position="top right")
    return fig


def plot_top_tokens(pairs: Sequence[tuple[str, int]], *, title: str, x_title: str) -> go.Figure:
    """Horizontal bars of the most frequent tokens, most frequent on top."""
    if not pairs:
        return _empty(title)
    tokens = [str(token) for token, _ in pairs][::-1]
    counts = [int(count) for _, count in pairs][::-1]
    fig = go.Figure(go.Bar(x=counts, y=list(range(len(tokens))), orientation="h", marker_color=PALETTE[0],
                           text=[f"{c:,}" for c in counts], textposition="outside", customdata=tokens,
                           hovertemplate="%{customdata}: %{x:,}<extra></extra>"))
    _base_layout(fig, title=title, height=max(300, 22 * len(tokens) + 100), x_title=x_title, showlegend=False)
    fig.update_yaxes(tickvals=list(range(len(tokens))), ticktext=tokens, automargin=True)
    fig.update_xaxes(range=[0, max(counts) * 1.2])  # room for the count labels
    return fig


def _colour(value: float, scale: float) -> str:
    strength = min(abs(value) / scale, 1.0) if scale > 0 else 0.0
    red, green, blue = POSITIVE_RGB if value >= 0 else NEGATIVE_RGB
    return f"rgba({red},{green},{blue},{0.08 + 0.62 * strength:.2f})"


def highlight_html(tokens: Sequence[str], contributions: Sequence[float], *, split: str,
                   tooltip: str = "{value:+.3f}") -> str:
    """The text as HTML spans shaded by contribution (green towards the prediction, red against); tokens escaped."""
    values = np.asarray(contributions, dtype=np.float64)
    scale = float(np.max(np.abs(values))) if len(values) else 0.0
    joiner = " " if split == "whitespace" else ""
    spans = []
    for token, value in zip(tokens, values):
        if not token.strip():
            spans.append("&nbsp;" if split != "whitespace" else "")
            continue
        spans.append(f'<span title="{html.escape(tooltip.format(value=value))}" style="background:{_colour(value, scale)};'
                     f'padding:2px 3px;border-radius:4px;line-height:2.0">{html.escape(token)}</span>')
    return f'<div style="font-size:1.05rem;line-height:2.0">{joiner.join(spans)}</div>'


def plot_token_contributions(tokens: Sequence[str], contributions: Sequence[float], *, title: str, x_title: str,
                             top: int = 15) -> go.Figure:
    """The tokens with the largest effect (by absolute value), as signed bars: green for, red against."""
    values = np.asarray(contributions, dtype=np.float64)
    if len(values) == 0:
        return _empty(title)
    order = np.argsort(-np.abs(values), kind="stable")[:top][::-1]
    labels = [f"{tokens[i]} (#{i + 1})" for i in order]
    fig = go.Figure(go.Bar(x=values[order], y=list(range(len(order))), orientation="h",
                           marker_color=["rgb(%d,%d,%d)" % (POSITIVE_RGB if values[i] >= 0 else NEGATIVE_RGB)
                                         for i in order],
                           customdata=labels, hovertemplate="%{customdata}: %{x:+.3f}<extra></extra>"))
    _base_layout(fig, title=title, height=max(300, 24 * len(order) + 110), x_title=x_title, showlegend=False)
    fig.update_yaxes(tickvals=list(range(len(order))), ticktext=labels, automargin=True)
    fig.add_vline(x=0, line_color="#888")
    return fig


def plot_attention_heatmap(tokens: Sequence[str], weights: Sequence[Sequence[float]], *, title: str,
                           x_title: str, y_title: str, colorbar_title: str = "") -> go.Figure:
    """Self-attention weights: row token (query) attends to column token (key); tokens on both axes."""
    matrix = np.asarray(weights, dtype=np.float64)
    if matrix.size == 0:
        return _empty(title)
    labels = [token if token.strip() else "␣" for token in tokens]
    n = len(labels)
    fig = go.Figure(go.Heatmap(
        # Colours span the shown weights (a near-uniform row would otherwise look flat); the colour bar keeps
        # the true values.
        z=matrix, x=list(range(n)), y=list(range(n)), colorscale="Blues", zmin=float(matrix.min()),
        zmax=float(matrix.max()) if matrix.max() > matrix.min() else float(matrix.min()) + 1e-9,
        colorbar={"title": {"text": colorbar_title}},
        customdata=[[f"{labels[r]} → {labels[c]}" for c in range(n)] for r in range(n)],
        hovertemplate="%{customdata}: %{z:.3f}<extra></extra>"))
    size = max(360, min(760, 22 * n + 160))
    _base_layout(fig, title=title, height=size, x_title=x_title, y_title=y_title, showlegend=False)
    short = all(len(label) <= 2 for label in labels)  # Chinese characters stay upright
    fig.update_xaxes(tickvals=list(range(n)), ticktext=labels, tickangle=0 if short or n <= 12 else -60, side="bottom")
    fig.update_yaxes(tickvals=list(range(n)), ticktext=labels, autorange="reversed")
    return fig
