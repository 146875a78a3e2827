"""Walkthrough figures: what the network diagram shows at each step, edge colours and widths, the loss chart."""

from __future__ import annotations

import numpy as np
import pytest

from core.walkthrough.article import article_walkthrough
from core.walkthrough.tiny_net import NetworkSpec, Params, init_weights, walk
from dashboard.walkthrough_charts import NEGATIVE, POSITIVE, plot_loss_history, plot_network


@pytest.fixture(scope="module")
def article():
    return article_walkthrough()


def texts(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def step(walkthrough, name, layer):
    return next(s for s in walkthrough.steps if s.name == name and s.layer == layer)


def test_first_step_shows_only_the_first_z(article):
    fig = plot_network(article, step=article.steps[0])
    shown = texts(fig)
    assert "z=0.5" in shown and "z=-0.2" in shown
    assert not any("a=" in t for t in shown)  # activations not computed yet
    assert not any("z=0.52" in t for t in shown)  # output layer not reached
    assert not any(t.startswith("<b>L =") for t in shown)
    assert {"0.5", "0.3", "-0.2", "0.6", "0.4", "-0.5"} <= set(shown)  # every weight on its edge


def test_backward_step_labels_gradients_on_reached_edges_only(article):
    fig = plot_network(article, step=step(article, "gradients", 2))
    shown = texts(fig)
    assert "0.6 | ∇0.314" in shown and "0.4 | ∇0.188" in shown and "-0.5 | ∇0" in shown
    assert "0.5" in shown  # layer 1 edges: no gradient yet
    assert any("δ=0.6271" in t for t in shown)
    assert "<b>L = 0.98657</b>" in shown
    assert any("∇ = ∂L/∂w" in t for t in shown)


def test_update_step_shows_new_weights(article):
    fig = plot_network(article, step=article.steps[-1])
    shown = texts(fig)
    assert "0.6→0.569" in shown and "0.5→0.462" in shown
    assert any("after the update" in t for t in shown)


def edge_styles(fig) -> dict[tuple[float, float, float, float], tuple[str, float]]:
    """(x0, y0, x1, y1) of each drawn edge -> (colour, width) of the trace that draws it."""
    styles = {}
    for tr in fig.data:
        if tr.mode != "lines" or not tr.x or tr.x[0] is None:
            continue
        xs, ys = list(tr.x), list(tr.y)
        for k in range(0, len(xs), 3):  # segments are separated by None
            styles[(xs[k], round(ys[k], 6), xs[k + 1], round(ys[k + 1], 6))] = (tr.line.color, tr.line.width)
    return styles


def test_edges_coloured_by_sign_and_sized_by_magnitude(article):
    fig = plot_network(article)
    styles = edge_styles(fig)
    assert len(styles) == 6
    top, bottom = 1.15, -1.15  # h1 and h3 (NODE_SPACING apart from h2 at 0)
    h1_out, h2_out = styles[(1.0, top, 2.0, 0.0)], styles[(1.0, 0.0, 2.0, 0.0)]  # weights 0.6 and 0.4
    x_h3, h3_out = styles[(0.0, 0.0, 1.0, bottom)], styles[(1.0, bottom, 2.0, 0.0)]  # weights -0.2 and -0.5
    assert h1_out[0] == POSITIVE and h2_out[0] == POSITIVE
    assert x_h3[0] == NEGATIVE and h3_out[0] == NEGATIVE
    assert h1_out[1] > h2_out[1] and h3_out[1] > x_h3[1]  # thicker for a larger |weight|
    legend = [tr.name for tr in fig.data if tr.showlegend is not False and tr.mode == "lines"]
    assert legend == ["Positive weight", "Negative weight"]
    assert fig.layout.legend.title.text.startswith("Edges: colour = sign")


def test_legend_explains_both_colours_even_without_negative_weights():
    spec = NetworkSpec((1, 1), ("sigmoid",), "binary_crossentropy")
    w = walk(spec, Params((np.array([[0.5]]),), (np.zeros(1),)), [1.0], [1.0], learning_rate=0.1)
    names = {tr.name for tr in plot_network(w).data if tr.mode == "lines"}
    assert {"Positive weight", "Negative weight"} <= names


def test_max_size_network_draws_with_hover_only_edge_numbers():
    spec = NetworkSpec((4, 6, 6, 6, 4), ("relu", "tanh", "sigmoid", "softmax"), "categorical_crossentropy")
    w = walk(spec, init_weights(spec, random_state=0), [0.5, -1.0, 1.0, 0.2], 1, learning_rate=0.1)
    fig = plot_network(w, step=w.steps[0])
    markers = [tr for tr in fig.data if tr.mode == "markers+text"]
    assert len(markers[0].x) == 4 + 6 + 6 + 6 + 4
    hover = next(tr for tr in fig.data if tr.name == "edges")
    assert len(hover.hovertext) == 24 + 36 + 36 + 24
    assert any("hover over an edge" in t for t in texts(fig))
    assert fig.layout.height >= 230 + 105 * 6


def test_chinese_titles():
    w = article_walkthrough()
    shown = texts(plot_network(w, lang="zh"))
    assert "<b>隐藏层 1（ReLU）</b>" in shown and "<b>输入</b>" in shown


def test_loss_history_chart():
    fig = plot_loss_history([0.98, 0.9, 0.8], loss_name="Binary cross-entropy (BCE)")
    assert list(fig.data[0].y) == [0.98, 0.9, 0.8]
    assert list(fig.data[0].x) == [0, 1, 2]
    assert fig.layout.xaxis.title.text == "Training step"
    assert fig.layout.yaxis.title.text == "Loss (Binary cross-entropy (BCE))"
    assert plot_loss_history([1.0], loss_name="MSE", lang="zh").layout.xaxis.title.text == "训练步数"


def test_every_diagram_passes_plotly_validation(article):
    """plot_network skips plotly's validation for speed, so validate every step's figure here."""
    import plotly.graph_objects as go

    spec = NetworkSpec((4, 6, 6, 6, 4), ("relu", "tanh", "sigmoid", "softmax"), "categorical_crossentropy")
    big = walk(spec, init_weights(spec, random_state=2), [0.5, -1.0, 1.0, 0.2], 3, learning_rate=0.1)
    for walkthrough in (article, big):
        for s in (None, *walkthrough.steps):
            for lang in ("en", "zh"):
                go.Figure(plot_network(walkthrough, step=s, lang=lang).to_dict())  # raises on a bad property
