"""Pure Plotly chart builders for the lab and runs pages: data and translated labels in, Figure out.

No Streamlit here, so every chart is unit-testable. Callers pass already-translated titles and
labels (t("charts.epoch") ...), so the same builder serves English and Chinese.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# One palette for the whole studio (also set as Streamlit's chartCategoricalColors).
PALETTE = (
    "#2563EB",  # blue
    "#F59E0B",  # amber
    "#10B981",  # green
    "#EF4444",  # red
    "#8B5CF6",  # violet
    "#06B6D4",  # cyan
    "#EC4899",  # pink
    "#84CC16",  # lime
    "#64748B",  # slate
    "#A16207",  # brown
)
TRAIN_COLOR = PALETTE[0]
VAL_COLOR = PALETTE[1]
MUTED_COLOR = "#94A3B8"
TEMPLATE = "plotly_white"
FONT_FAMILY = '"Source Sans Pro", "Source Sans 3", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif'

# Metrics that live in [0, 1]: plotted on a fixed 0-100 % axis so runs compare at a glance.
RATIO_METRICS = frozenset({
    "accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy",
    "precision", "recall", "f1", "f1_score", "auc", "roc_auc", "hit_rate", "ndcg", "top_k_accuracy",
    "sparse_top_k_categorical_accuracy",
})


def is_ratio_metric(metric: str) -> bool:
    """True for metrics bounded by [0, 1] (accuracy, AUC...), which get a percent axis."""
    name = metric.lower().removeprefix("val_").removeprefix("test_")
    return name in RATIO_METRICS or name.endswith("accuracy")


def _base_layout(fig: go.Figure, *, title: str, height: int, x_title: str = "", y_title: str = "",
                 showlegend: bool = True) -> go.Figure:
    """Shared look: white template, readable title, horizontal legend above the plot."""
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 17}},
        height=height,
        margin={"l": 60, "r": 24, "t": 80 if showlegend else 56, "b": 56},
        font={"family": FONT_FAMILY, "size": 13},
        showlegend=showlegend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0.0,
                "title": {"text": ""}},
        hoverlabel={"font": {"family": FONT_FAMILY}},
    )
    # Margins grow to fit long tick labels (group names, model names): a fixed margin cut them to
    # "opularity" or "African-Americar".
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if x_title:
        fig.update_xaxes(title_text=x_title)
    if y_title:
        fig.update_yaxes(title_text=y_title)
    return fig


def _empty(title: str, *, height: int = 300, message: str = "") -> go.Figure:
    """A titled figure with nothing to plot, instead of an exception in a live demo."""
    fig = _base_layout(go.Figure(), title=title, height=height, showlegend=False)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    if message:
        fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                           font={"size": 14, "color": MUTED_COLOR})
    return fig


def _to_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """(h, w), (h, w, 1), (h, w, 3) or (h, w, 4) floats in [0, 1] -> (h, w, 3) uint8; gray stays gray."""
    array = np.asarray(image, dtype=np.float64)
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    elif array.shape[-1] == 4:
        array = array[..., :3]
    elif array.shape[-1] != 3:
        raise ValueError(f"Images need 1, 3 or 4 channels, got {array.shape[-1]}; pass (n, h, w, c).")
    array = np.nan_to_num(array, nan=0.0)
    return np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)


def plot_sample_images(images: np.ndarray, titles: Sequence[str], *, columns: int = 8, title: str = "",
                       tile_px: int = 110, hover_texts: Sequence[str] | None = None,
                       horizontal_spacing: float = 0.02) -> go.Figure:
    """A grid of small images with a caption each (true class, prediction...), gray rendered as gray.

    hover_texts: what hovering a tile says (its caption when not given).
    """
    array = np.asarray(images)
    if array.ndim == 3:  # (n, h, w): grayscale without a channel axis
        array = array[..., None]
    count = 0 if array.size == 0 else int(array.shape[0])
    if count == 0:
        return _empty(title, height=200)
    if array.ndim != 4:
        raise ValueError(f"images must be shaped (n, height, width, channels), got {array.shape}.")
    captions = [str(text) for text in titles] + [""] * max(0, count - len(titles))
    columns = max(1, min(int(columns), count))
    rows = math.ceil(count / columns)
    hovers = list(hover_texts) if hover_texts is not None else captions
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=captions[:count],
                        horizontal_spacing=horizontal_spacing, vertical_spacing=min(0.12, 0.5 / rows))
    for index in range(count):
        fig.add_trace(
            go.Image(z=_to_rgb_uint8(array[index]), hovertemplate=f"{hovers[index]}<extra></extra>",
                     name=captions[index]),
            row=index // columns + 1, col=index % columns + 1,
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font={"size": 12})
    top = 64 if title else 30
    _base_layout(fig, title=title, height=top + rows * (tile_px + 24) + 10, showlegend=False)
    fig.update_layout(margin={"l": 8, "r": 8, "t": top, "b": 8})
    return fig


def plot_class_balance(class_names: Sequence[str], counts_by_split: Mapping[str, Sequence[int]], *,
                       title: str, x_title: str, y_title: str) -> go.Figure:
    """Grouped bars: how many examples of each class each split (train / val / test) holds."""
    names = [str(name) for name in class_names]
    fig = go.Figure()
    for index, (split, counts) in enumerate(counts_by_split.items()):
        values = [int(value) for value in counts]
        if len(values) != len(names):
            raise ValueError(f"Split {split!r} has {len(values)} counts for {len(names)} classes; "
                             "pass one count per class.")
        fig.add_trace(go.Bar(
            x=names, y=values, name=str(split), marker_color=PALETTE[index % len(PALETTE)],
            hovertemplate=f"{split}<br>%{{x}}: %{{y:,}}<extra></extra>",
        ))
    _base_layout(fig, title=title, height=400, x_title=x_title, y_title=y_title)
    fig.update_layout(barmode="group", bargap=0.2)
    fig.update_xaxes(type="category")
    fig.update_yaxes(rangemode="tozero", tickformat=",d")
    return fig


def _epochs(length: int) -> list[int]:
    return list(range(1, length + 1))


def _epoch_axis(fig: go.Figure, max_epochs: int) -> None:
    """Integer epoch ticks starting at 1, at most about ten of them so they stay readable in a half-width chart."""
    fig.update_xaxes(tickmode="linear", tick0=1, dtick=max(1, math.ceil(max_epochs / 10)),
                     tickformat="d", range=[0.7, max(max_epochs, 1) + 0.3])


def _metric_axis(fig: go.Figure, metric: str) -> None:
    """Ratio metrics on a fixed 0-100 % axis; losses start at zero."""
    if is_ratio_metric(metric):
        fig.update_yaxes(range=[0.0, 1.0], tickformat=".0%")
    else:
        fig.update_yaxes(rangemode="tozero")


def _finite(values: Sequence[float]) -> list[float | None]:
    """NaN/inf become gaps instead of breaking the axis range."""
    out: list[float | None] = []
    for value in values:
        number = float(value)
        out.append(number if math.isfinite(number) else None)
    return out


def plot_history(history: Mapping[str, Sequence[float]], *, metric: str = "accuracy", title: str,
                 x_title: str, y_title: str, train_label: str, val_label: str) -> go.Figure:
    """Training vs validation curve of one metric over epochs (Keras History.history layout)."""
    train = list(history.get(metric, []) or [])
    val = list(history.get(f"val_{metric}", []) or [])
    fig = go.Figure()
    value_format = ".1%" if is_ratio_metric(metric) else ".4f"
    for values, label, color, dash in ((train, train_label, TRAIN_COLOR, "solid"), (val, val_label, VAL_COLOR, "solid")):
        if not values:
            continue
        fig.add_trace(go.Scatter(
            x=_epochs(len(values)), y=_finite(values), name=label, mode="lines+markers",
            line={"color": color, "width": 2.5, "dash": dash}, marker={"size": 7}, cliponaxis=False,
            hovertemplate=f"{label}<br>{x_title} %{{x}}: %{{y:{value_format}}}<extra></extra>",
        ))
    _base_layout(fig, title=title, height=380, x_title=x_title, y_title=y_title)
    _epoch_axis(fig, max(len(train), len(val), 1))
    _metric_axis(fig, metric)
    return fig


def _nice_step(rough: float) -> int:
    """A whole tick step of 1, 2 or 5 times a power of ten, at least `rough` (so the top tick is near the max)."""
    if rough <= 1:
        return 1
    power = 10 ** math.floor(math.log10(rough))
    return int(next(factor * power for factor in (1, 2, 5, 10) if factor * power >= rough))


def plot_confusion_matrix(matrix: np.ndarray | Sequence[Sequence[int]], class_names: Sequence[str], *,
                          title: str, x_title: str, y_title: str, normalize: bool = False) -> go.Figure:
    """Heatmap of counts, true class on y (top to bottom), predicted on x, every cell annotated.

    normalize=True colours and labels each row as a share of that true class (recall per cell).
    """
    counts = np.asarray(matrix, dtype=np.float64)
    names = [str(name) for name in class_names]
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] != len(names):
        raise ValueError(f"Confusion matrix shape {counts.shape} does not match {len(names)} class names; "
                         "pass a square matrix with one row and column per class.")
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        texts = [[f"{value:.0%}" for value in row] for row in values]
        zmax = 1.0
    else:
        values = counts
        texts = [[f"{int(value):,}" for value in row] for row in counts]
        zmax = float(values.max()) if values.size and values.max() > 0 else 1.0
    fig = go.Figure(go.Heatmap(
        z=values, x=names, y=names, colorscale="Blues", zmin=0.0, zmax=zmax, showscale=True,
        # counts: whole-number ticks (auto ticks at 0.5 steps printed as ",d" read 0, 0, 1, 1, ...)
        colorbar={"thickness": 12, "tickformat": ".0%" if normalize else ",d",
                  **({} if normalize else {"tick0": 0, "dtick": _nice_step(zmax / 5)})},
        customdata=counts,
        hovertemplate=(f"{y_title}: %{{y}}<br>{x_title}: %{{x}}<br>"
                       + ("%{z:.1%} (%{customdata:,d})" if normalize else "%{customdata:,d}")
                       + "<extra></extra>"),
        xgap=1, ygap=1,
    ))
    size = len(names)
    font_size = 13 if size <= 10 else 11 if size <= 20 else 8
    for row in range(size):
        for col in range(size):
            dark = values[row, col] > 0.55 * zmax
            fig.add_annotation(x=names[col], y=names[row], text=texts[row][col], showarrow=False,
                               font={"size": font_size, "color": "white" if dark else "#1F2937"})
    height = int(min(900, max(420, 140 + 38 * size)))
    _base_layout(fig, title=title, height=height, x_title=x_title, y_title=y_title, showlegend=False)
    fig.update_xaxes(type="category", side="bottom", tickangle=-30 if max((len(n) for n in names), default=0) > 6 else 0)
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


def plot_per_class_metrics(per_class: Sequence[Mapping[str, object]], *, title: str, x_title: str, y_title: str,
                           metrics: Sequence[str] = ("precision", "recall"),
                           metric_labels: Mapping[str, str] | None = None,
                           support_label: str = "n") -> go.Figure:
    """Grouped bars of precision and recall (or other [0, 1] metrics) per class, support in the hover."""
    labels = dict(metric_labels or {})
    names = [str(row["class"]) for row in per_class]
    supports = [int(row.get("support", 0) or 0) for row in per_class]
    fig = go.Figure()
    for index, metric in enumerate(metrics):
        label = labels.get(metric, metric.replace("_", " ").capitalize())
        fig.add_trace(go.Bar(
            x=names, y=[float(row.get(metric, float("nan"))) for row in per_class], name=label,
            marker_color=PALETTE[index % len(PALETTE)], customdata=supports,
            hovertemplate=f"%{{x}}<br>{label}: %{{y:.1%}}<br>{support_label}: %{{customdata:,d}}<extra></extra>",
        ))
    _base_layout(fig, title=title, height=420, x_title=x_title, y_title=y_title)
    fig.update_layout(barmode="group", bargap=0.2)
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0.0, 1.0], tickformat=".0%")
    return fig


def plot_top_k(pairs: Sequence[tuple[str, float]], *, title: str, x_title: str) -> go.Figure:
    """Horizontal bars of the top-k predicted classes with their probability as a percentage."""
    ranked = sorted(((str(name), float(prob)) for name, prob in pairs), key=lambda pair: -pair[1])
    if not ranked:
        return _empty(title, height=200)
    names = [name for name, _ in ranked][::-1]  # best on top
    probs = [prob for _, prob in ranked][::-1]
    colors = [MUTED_COLOR] * (len(ranked) - 1) + [PALETTE[0]]
    fig = go.Figure(go.Bar(
        x=probs, y=names, orientation="h", marker_color=colors,
        text=[f"{prob:.1%}" for prob in probs], textposition="outside", cliponaxis=False,
        hovertemplate=f"%{{y}}<br>{x_title}: %{{x:.2%}}<extra></extra>",
    ))
    _base_layout(fig, title=title, height=int(110 + 44 * len(ranked)), x_title=x_title, showlegend=False)
    fig.update_layout(margin={"l": 120, "r": 48, "t": 56, "b": 56})
    fig.update_xaxes(range=[0.0, 1.0], tickformat=".0%")
    fig.update_yaxes(type="category", automargin=True)
    return fig


def plot_runs_overlay(histories: Mapping[str, Mapping[str, Sequence[float]]], *, metric: str, title: str,
                      x_title: str, y_title: str, train_label: str = "train", val_label: str = "validation") -> go.Figure:
    """One colour per run: validation solid, training dotted; legend grouped by run."""
    fig = go.Figure()
    max_epochs = 1
    value_format = ".1%" if is_ratio_metric(metric) else ".4f"
    for index, (run, history) in enumerate(histories.items()):
        color = PALETTE[index % len(PALETTE)]
        for key, label, dash, width in ((f"val_{metric}", val_label, "solid", 2.5), (metric, train_label, "dot", 1.8)):
            values = list(history.get(key, []) or [])
            if not values:
                continue
            max_epochs = max(max_epochs, len(values))
            fig.add_trace(go.Scatter(
                x=_epochs(len(values)), y=_finite(values), mode="lines+markers", name=label,
                legendgroup=str(run), legendgrouptitle_text=str(run),
                line={"color": color, "dash": dash, "width": width}, marker={"size": 5}, cliponaxis=False,
                hovertemplate=f"{run} · {label}<br>{x_title} %{{x}}: %{{y:{value_format}}}<extra></extra>",
            ))
    _base_layout(fig, title=title, height=480, x_title=x_title, y_title=y_title)
    # Legend below the plot: run names ("Multilayer perceptron (MLP) · german_credit.csv · 1,000 rows · ...")
    # beside it squeezed the curves into a third of the width.
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.26, "xanchor": "left", "x": 0.0,
                              "groupclick": "togglegroup"},
                      margin={"l": 60, "r": 24, "t": 56, "b": 56})
    _epoch_axis(fig, max_epochs)
    _metric_axis(fig, metric)
    return fig


__all__ = [
    "PALETTE", "is_ratio_metric", "plot_sample_images", "plot_class_balance", "plot_history",
    "plot_confusion_matrix", "plot_per_class_metrics", "plot_top_k", "plot_runs_overlay",
]
