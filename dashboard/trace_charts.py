"""Pure Plotly figures for the layer-by-layer model trace: gradient norms, histograms, feature maps, saliency, probabilities.

Callers pass translated titles and labels, so one builder serves English and Chinese.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts import MUTED_COLOR, PALETTE, _base_layout, _empty, _to_rgb_uint8, plot_sample_images

WEIGHT_COLOR = PALETTE[0]
ACTIVATION_COLOR = PALETTE[1]
TRUE_CLASS_COLOR = PALETTE[2]
PREDICTED_COLOR = PALETTE[3]


def _finite_or_none(values: Sequence[float | None]) -> list[float | None]:
    """Plotly gaps for missing, non-finite or non-positive values (nothing to draw on a log axis)."""
    cleaned: list[float | None] = []
    for value in values:
        if value is None:
            cleaned.append(None)
            continue
        number = float(value)
        cleaned.append(number if math.isfinite(number) and number > 0 else None)
    return cleaned


def plot_gradient_norms(layer_names: Sequence[str], weight_norms: Sequence[float | None],
                        activation_norms: Sequence[float | None], *, title: str, x_title: str, y_title: str,
                        weight_label: str, activation_label: str, log_y: bool = True) -> go.Figure:
    """Grouped bars per layer (input to output) of |dLoss/dWeights| and |dLoss/dOutput|; log axis shows vanishing/exploding."""
    names = [str(name) for name in layer_names]
    if len(weight_norms) != len(names) or len(activation_norms) != len(names):
        raise ValueError(f"Got {len(names)} layer names, {len(weight_norms)} weight norms and "
                         f"{len(activation_norms)} activation norms; pass one of each per layer (None where absent).")
    if not names:
        return _empty(title)
    weights = _finite_or_none(weight_norms) if log_y else [None if v is None else float(v) for v in weight_norms]
    activations = (_finite_or_none(activation_norms) if log_y
                   else [None if v is None else float(v) for v in activation_norms])
    fig = go.Figure()
    for values, label, color in ((weights, weight_label, WEIGHT_COLOR), (activations, activation_label, ACTIVATION_COLOR)):
        fig.add_trace(go.Bar(
            x=names, y=values, name=label, marker_color=color,
            text=[f"{v:.2e}" if v is not None else "" for v in values], textposition="none",
            hovertemplate="%{x}<br>" + label + ": %{y:.3e}<extra></extra>",
        ))
    _base_layout(fig, title=title, height=440, x_title=x_title, y_title=y_title)
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_xaxes(tickangle=-35, automargin=True)
    if log_y:
        shown = [v for v in (*weights, *activations) if v is not None]
        axis = {"type": "log", "dtick": 1, "exponentformat": "power"}  # one tick per decade, no minor-tick clutter
        if shown:  # whole decades at both ends, so the tallest and shortest bars sit between labelled ticks
            low, high = math.floor(math.log10(min(shown))), math.ceil(math.log10(max(shown)))
            axis["range"] = [low, high if high > low else low + 1]
        fig.update_yaxes(**axis)
    return fig


def plot_activation_histogram(counts: Sequence[int], edges: Sequence[float], *, title: str, x_title: str,
                              y_title: str) -> go.Figure:
    """Histogram of one layer's output values from precomputed counts and bin edges."""
    counts = np.asarray(counts, dtype=np.int64)
    edges = np.asarray(edges, dtype=np.float64)
    if counts.size == 0:
        return _empty(title)
    if edges.size != counts.size + 1:
        raise ValueError(f"Need one more bin edge than counts, got {edges.size} edges for {counts.size} counts.")
    centres = (edges[:-1] + edges[1:]) / 2.0
    widths = np.diff(edges)
    fig = go.Figure(go.Bar(
        x=centres, y=counts, width=widths, marker_color=WEIGHT_COLOR, marker_line={"width": 0.5, "color": "white"},
        customdata=np.stack([edges[:-1], edges[1:]], axis=1),
        hovertemplate="[%{customdata[0]:.3g}, %{customdata[1]:.3g}): %{y}<extra></extra>",
    ))
    _base_layout(fig, title=title, height=340, x_title=x_title, y_title=y_title, showlegend=False)
    fig.update_layout(bargap=0)
    return fig


def plot_feature_maps(maps: np.ndarray, *, title: str, labels: Sequence[str] | None = None, columns: int = 8,
                      tile_px: int = 96) -> go.Figure:
    """Grid of grayscale tiles, one per channel, each scaled to its own min..max (dark low, bright high)."""
    array = np.asarray(maps, dtype=np.float64)
    if array.size == 0:
        return _empty(title, height=200)
    if array.ndim != 3:
        raise ValueError(f"maps must be shaped (channels, height, width), got {array.shape}.")
    count = int(array.shape[0])
    captions = [str(text) for text in (labels or [])] + [""] * max(0, count - len(labels or []))
    tiles, hovers = [], []
    for index in range(count):
        tile = np.nan_to_num(array[index])
        low, high = float(tile.min()), float(tile.max())
        tiles.append((tile - low) / (high - low) if high > low else np.zeros_like(tile))
        hovers.append(f"{captions[index]}<br>min {low:.3g} · max {high:.3g}")
    return plot_sample_images(np.stack(tiles)[..., None], captions[:count], columns=columns, title=title,
                              tile_px=tile_px, hover_texts=hovers, horizontal_spacing=0.015)


def plot_saliency(image: np.ndarray, saliency: np.ndarray, *, title: str, image_title: str, saliency_title: str,
                  scale_title: str) -> go.Figure:
    """The input image and its saliency heat map side by side; the heat map has a 0..1 colour bar."""
    picture = np.asarray(image, dtype=np.float64)
    heat = np.asarray(saliency, dtype=np.float64)
    if picture.ndim not in (2, 3) or heat.ndim != 2:
        raise ValueError(f"Need an (h, w[, c]) image and an (h, w) saliency map, got {picture.shape} and {heat.shape}.")
    if picture.shape[:2] != heat.shape:
        raise ValueError(f"Image {picture.shape[:2]} and saliency {heat.shape} must have the same height and width.")
    fig = make_subplots(rows=1, cols=2, subplot_titles=[image_title, saliency_title], horizontal_spacing=0.08)
    fig.add_trace(go.Image(z=_to_rgb_uint8(np.clip(picture, 0.0, 1.0)), name=image_title,
                           hovertemplate="x %{x}, y %{y}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Heatmap(
        z=heat, zmin=0.0, zmax=1.0, colorscale="Inferno", name=saliency_title,
        colorbar={"title": {"text": scale_title, "side": "right"}, "len": 0.9, "thickness": 14},
        hovertemplate="x %{x}, y %{y}: %{z:.2f}<extra></extra>",
    ), row=1, col=2)
    fig.update_yaxes(autorange="reversed", scaleanchor="x2", constrain="domain", row=1, col=2)
    fig.update_xaxes(constrain="domain", row=1, col=2)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    _base_layout(fig, title=title, height=360, showlegend=False)
    fig.update_layout(margin={"l": 8, "r": 8, "t": 70, "b": 8})
    return fig


def plot_probabilities(class_names: Sequence[str], probabilities: Sequence[float], *, title: str, x_title: str,
                       y_title: str, true_class: int | None = None) -> go.Figure:
    """Bars of the predicted probability per class (percent axis); the true class green, a wrong top guess red."""
    names = [str(name) for name in class_names]
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.size != len(names):
        raise ValueError(f"Got {probs.size} probabilities for {len(names)} classes; pass one per class.")
    if not names:
        return _empty(title)
    predicted = int(np.argmax(probs))
    colors = [MUTED_COLOR] * len(names)
    if true_class is not None and 0 <= true_class < len(names):
        colors[true_class] = TRUE_CLASS_COLOR
    if predicted != true_class:
        colors[predicted] = PREDICTED_COLOR
    fig = go.Figure(go.Bar(
        x=names, y=probs, marker_color=colors, text=[f"{p:.0%}" if p >= 0.005 else "" for p in probs],
        textposition="outside", cliponaxis=False, hovertemplate="%{x}: %{y:.2%}<extra></extra>",
    ))
    _base_layout(fig, title=title, height=320, x_title=x_title, y_title=y_title, showlegend=False)
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 1.12], tickformat=".0%")
    return fig
