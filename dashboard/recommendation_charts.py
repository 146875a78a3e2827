"""Pure Plotly charts for the recommendation lab: ratings, long tail, embeddings, calibration, ranks.

Callers pass translated titles and labels; nothing here calls Streamlit.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from dashboard.charts import MUTED_COLOR, PALETTE, TRAIN_COLOR, VAL_COLOR, _base_layout, _empty

GENRE_COLORS = PALETTE + ("#0F766E", "#BE185D", "#4D7C0F", "#7C2D12", "#1E3A8A", "#A855F7", "#DC2626", "#CA8A04")


def plot_rating_distribution(values: Sequence[float], counts: Sequence[int], *, title: str, x_title: str,
                             y_title: str) -> go.Figure:
    """Bars: how many ratings of each value (0.5 ... 5 stars)."""
    if not len(values):
        return _empty(title)
    total = max(int(np.sum(counts)), 1)
    fig = go.Figure(go.Bar(
        x=[str(v).removesuffix(".0") for v in values], y=list(counts), marker_color=TRAIN_COLOR,
        text=[f"{c / total:.0%}" for c in counts], textposition="outside", cliponaxis=False,
        hovertemplate=f"{x_title} %{{x}}<br>{y_title}: %{{y:,}}<extra></extra>",
    ))
    _base_layout(fig, title=title, height=360, x_title=x_title, y_title=y_title, showlegend=False)
    fig.update_xaxes(type="category")
    return fig


def plot_long_tail(item_counts: Sequence[int], *, title: str, x_title: str, y_title: str,
                   head_label: str, head_share: float = 0.2) -> go.Figure:
    """Ratings per item, most-rated first (log scale), with the head (top head_share of items) shaded."""
    counts = np.sort(np.asarray(item_counts, dtype=np.int64))[::-1]
    counts = counts[counts > 0]
    if counts.size == 0:
        return _empty(title)
    ranks = np.arange(1, counts.size + 1)
    head = max(1, int(round(head_share * counts.size)))
    fig = go.Figure(go.Scatter(
        x=ranks, y=counts, mode="lines", line={"color": TRAIN_COLOR, "width": 2.5}, fill="tozeroy",
        fillcolor="rgba(37, 99, 235, 0.12)", name=y_title,
        hovertemplate=f"{x_title} %{{x:,}}<br>{y_title}: %{{y:,}}<extra></extra>",
    ))
    fig.add_vrect(x0=1, x1=head, fillcolor=VAL_COLOR, opacity=0.12, line_width=0)
    fig.add_annotation(x=head, y=np.log10(counts[0]), xref="x", yref="y",
                       text=head_label, showarrow=False, xanchor="left", yanchor="top", align="left",
                       font={"size": 13}, bgcolor="rgba(255,255,255,0.85)")
    _base_layout(fig, title=title, height=360, x_title=x_title, y_title=y_title, showlegend=False)
    fig.update_yaxes(type="log", dtick=1)  # ticks at 1, 10, 100 only
    return fig


def plot_embedding_map(x: Sequence[float], y: Sequence[float], titles: Sequence[str], genres: Sequence[str],
                       counts: Sequence[int], *, title: str, x_title: str, y_title: str, hover_count: str,
                       max_genres: int = 10, other_label: str = "Other") -> go.Figure:
    """2-D item map, one trace per main genre (largest first, the rest as other_label), title on hover."""
    if not len(x):
        return _empty(title)
    genres = list(genres)
    order = [g for g, _ in sorted(_tally(genres).items(), key=lambda kv: (-kv[1], kv[0]))]
    shown = order[:max_genres]
    grouped = [g if g in shown else other_label for g in genres]
    if other_label in grouped:
        shown = shown + [other_label]
    fig = go.Figure()
    sizes = np.sqrt(np.asarray(counts, dtype=np.float64))
    sizes = 6 + 12 * sizes / max(float(sizes.max()), 1e-9)
    for index, genre in enumerate(shown):
        members = [i for i, g in enumerate(grouped) if g == genre]
        color = MUTED_COLOR if genre == other_label else GENRE_COLORS[index % len(GENRE_COLORS)]
        fig.add_trace(go.Scatter(
            x=[x[i] for i in members], y=[y[i] for i in members], mode="markers", name=f"{genre} ({len(members)})",
            marker={"size": [float(sizes[i]) for i in members], "color": color, "opacity": 0.8,
                    "line": {"width": 0.5, "color": "white"}},
            customdata=[[titles[i], genres[i], int(counts[i])] for i in members],
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<br>" + hover_count
                          + ": %{customdata[2]:,}<extra></extra>",
        ))
    _base_layout(fig, title=title, height=560, x_title=x_title, y_title=y_title)
    fig.update_layout(legend={"orientation": "v", "yanchor": "top", "y": 1.0, "xanchor": "left", "x": 1.02,
                              "font": {"size": 13}}, margin={"r": 200})
    return fig


def _tally(values: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def plot_calibration(by_rating: Sequence[Mapping[str, float]], *, title: str, x_title: str, y_title: str,
                     ideal_label: str, model_label: str) -> go.Figure:
    """Mean predicted rating per true rating, against the diagonal a perfect model would follow."""
    if not by_rating:
        return _empty(title)
    truth = [float(row["rating"]) for row in by_rating]
    predicted = [float(row["mean_predicted"]) for row in by_rating]
    counts = [int(row["count"]) for row in by_rating]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=truth, y=truth, mode="lines", name=ideal_label,
                             line={"color": MUTED_COLOR, "dash": "dash"}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=truth, y=predicted, mode="lines+markers", name=model_label,
                             line={"color": TRAIN_COLOR, "width": 2.5}, marker={"size": 8}, customdata=counts,
                             hovertemplate=f"{x_title} %{{x}}<br>{y_title}: %{{y:.2f}}<br>n = %{{customdata:,}}"
                                           "<extra></extra>"))
    _base_layout(fig, title=title, height=380, x_title=x_title, y_title=y_title)
    return fig


def plot_rank_histogram(ranks: Sequence[int], *, k: int, title: str, x_title: str, y_title: str,
                        hit_label: str, miss_label: str) -> go.Figure:
    """Where each user's held-out item landed: ranks 1..k in colour, the rest in bins beyond."""
    ranks = np.asarray(ranks, dtype=np.int64)
    if ranks.size == 0:
        return _empty(title)
    edges = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 21, 51, 101, 501, 1001, np.inf]
    labels = [str(i) for i in range(1, 11)] + ["11-20", "21-50", "51-100", "101-500", "501-1000", ">1000"]
    counts = [int(np.sum((ranks >= lo) & (ranks < hi))) for lo, hi in zip(edges[:-1], edges[1:])]
    colors = [TRAIN_COLOR if i < k else MUTED_COLOR for i in range(len(labels))]
    fig = go.Figure(go.Bar(x=labels, y=counts, marker_color=colors, showlegend=False,
                           hovertemplate=f"{x_title} %{{x}}<br>{y_title}: %{{y:,}}<extra></extra>"))
    for label, color in ((hit_label, TRAIN_COLOR), (miss_label, MUTED_COLOR)):
        fig.add_trace(go.Bar(x=[None], y=[None], marker_color=color, name=label))
    _base_layout(fig, title=title, height=380, x_title=x_title, y_title=y_title)
    fig.update_xaxes(type="category")
    return fig


def plot_model_comparison(names: Sequence[str], values: Sequence[float], *, title: str, x_title: str,
                          baseline: float | None = None, baseline_label: str = "") -> go.Figure:
    """Horizontal bars of one metric per run, with the baseline's value as a dashed line."""
    if not len(names):
        return _empty(title)
    fig = go.Figure(go.Bar(x=list(values), y=list(names), orientation="h", marker_color=TRAIN_COLOR,
                           text=[f"{v:.3f}" for v in values], textposition="outside", cliponaxis=False,
                           hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
    if baseline is not None:
        fig.add_vline(x=baseline, line_dash="dash", line_color=VAL_COLOR, annotation_text=baseline_label,
                      annotation_position="top")
    _base_layout(fig, title=title, height=120 + 40 * len(names), x_title=x_title, showlegend=False)
    fig.update_yaxes(autorange="reversed")
    return fig
