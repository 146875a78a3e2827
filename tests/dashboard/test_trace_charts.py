"""Trace charts: log-scale gradient bars, histogram from counts, feature-map tiles, saliency, probabilities."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from dashboard.trace_charts import (
    plot_activation_histogram,
    plot_feature_maps,
    plot_gradient_norms,
    plot_probabilities,
    plot_saliency,
)


def _gradients(**kwargs) -> go.Figure:
    return plot_gradient_norms(["conv", "relu", "dense"], [1e-6, None, 3.0], [2e-5, 4e-4, 0.0], title="Gradients",
                               x_title="Layer", y_title="L2 norm", weight_label="weights", activation_label="outputs",
                               **kwargs)


def test_gradient_norms_are_grouped_bars_on_a_log_axis_with_gaps_where_absent():
    fig = _gradients()
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick == 1 and fig.layout.barmode == "group"
    weights, outputs = fig.data
    assert (weights.name, outputs.name) == ("weights", "outputs")
    assert list(fig.layout.yaxis.range) == [-6, 1]  # whole decades: 1e-6 .. 10 around 1e-6 .. 3
    assert list(weights.x) == ["conv", "relu", "dense"]
    assert list(weights.y) == [1e-6, None, 3.0]  # no weights: no bar
    assert list(outputs.y) == [2e-5, 4e-4, None]  # zero cannot be drawn on a log axis
    assert fig.layout.xaxis.title.text == "Layer" and fig.layout.yaxis.title.text == "L2 norm"
    assert fig.layout.title.text == "Gradients" and fig.layout.showlegend


def test_gradient_norms_linear_axis_and_length_mismatch():
    assert _gradients(log_y=False).layout.yaxis.type in (None, "linear", "-")
    with pytest.raises(ValueError, match="one of each per layer"):
        plot_gradient_norms(["a", "b"], [1.0], [1.0, 2.0], title="", x_title="", y_title="", weight_label="w",
                            activation_label="a")


def test_activation_histogram_uses_bin_centres_and_widths():
    counts, edges = np.histogram([0.0, 0.0, 0.5, 1.0], bins=2)
    fig = plot_activation_histogram(counts, edges, title="Layer", x_title="Value", y_title="Count")
    bar = fig.data[0]
    np.testing.assert_allclose(bar.x, [0.25, 0.75])
    np.testing.assert_allclose(bar.width, [0.5, 0.5])
    assert list(bar.y) == [2, 2]
    assert fig.layout.xaxis.title.text == "Value" and fig.layout.yaxis.title.text == "Count"
    with pytest.raises(ValueError, match="one more bin edge"):
        plot_activation_histogram([1, 2], [0.0, 1.0], title="", x_title="", y_title="")


def test_feature_maps_are_gray_tiles_scaled_per_channel():
    maps = np.stack([np.array([[0.0, 2.0], [4.0, 4.0]]), np.full((2, 2), 3.0), np.arange(4.0).reshape(2, 2)])
    fig = plot_feature_maps(maps, title="Maps", labels=["c0", "c5", "c9"], columns=2)
    assert len(fig.data) == 3 and all(isinstance(trace, go.Image) for trace in fig.data)
    first = np.asarray(fig.data[0].z)
    assert first.shape == (2, 2, 3) and (first[..., 0] == first[..., 2]).all()  # gray
    assert first[0, 0, 0] == 0 and first[1, 1, 0] == 255 and first[0, 1, 0] == 128  # own min..max
    assert np.asarray(fig.data[1].z).max() == 0  # a flat channel is dark, not a division by zero
    assert [a.text for a in fig.layout.annotations] == ["c0", "c5", "c9"]
    with pytest.raises(ValueError, match="channels, height, width"):
        plot_feature_maps(np.zeros((2, 2)), title="")


def test_saliency_shows_image_and_heatmap_with_colour_bar():
    image = np.zeros((8, 8, 1))
    saliency = np.linspace(0, 1, 64).reshape(8, 8)
    fig = plot_saliency(image, saliency, title="Saliency", image_title="Input", saliency_title="|dL/dx|",
                        scale_title="Relative influence")
    image_trace, heat = fig.data
    assert isinstance(image_trace, go.Image) and isinstance(heat, go.Heatmap)
    assert (heat.zmin, heat.zmax) == (0.0, 1.0) and heat.colorbar.title.text == "Relative influence"
    assert [a.text for a in fig.layout.annotations] == ["Input", "|dL/dx|"]
    with pytest.raises(ValueError, match="same height and width"):
        plot_saliency(image, np.zeros((4, 4)), title="", image_title="", saliency_title="", scale_title="")


def test_probabilities_mark_true_class_and_wrong_prediction():
    fig = plot_probabilities(["0", "1", "2"], [0.1, 0.7, 0.2], title="P", x_title="Class", y_title="Probability",
                             true_class=2)
    bar = fig.data[0]
    colors = list(bar.marker.color)
    assert colors[2] != colors[1] != colors[0]  # true class green, wrong top guess red, rest muted
    assert list(bar.text) == ["10%", "70%", "20%"]
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.xaxis.title.text == "Class"
    with pytest.raises(ValueError, match="one per class"):
        plot_probabilities(["0"], [0.5, 0.5], title="", x_title="", y_title="")
