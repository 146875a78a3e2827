"""Pure Plotly figures for the backprop walkthrough: the network diagram and the loss over training steps."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from core.i18n import translate
from core.walkthrough.tiny_net import Step, Walkthrough, fmt, node_names

POSITIVE = "#1f5fbf"
NEGATIVE = "#c62828"
NODE_FILL = {"input": "#eceff1", "hidden": "#fff8e1", "output": "#e8f5e9"}
NODE_LINE = "#455a64"
MAX_EDGE_LABELS = 4  # a layer with more edges (unless it fans in or out of one node) shows numbers on hover only
LABEL_AT = 0.6  # edge labels sit this far from the source node, clear of the value boxes under the nodes
NODE_SPACING = 1.15  # vertical distance between units, leaving room for the value box under each node
_BINS = 4


def _positions(layer_sizes: Sequence[int]) -> list[list[tuple[float, float]]]:
    """(x, y) per node: layers left to right, units top to bottom, centred on y = 0."""
    return [[(float(layer), ((size - 1) / 2.0 - j) * NODE_SPACING) for j in range(size)]
            for layer, size in enumerate(layer_sizes)]


def _edge_label(weight: float, grad: float | None, new: float | None) -> str:
    if new is not None:
        return f"{fmt(weight, 3)}→{fmt(new, 3)}"
    if grad is not None:
        return f"{fmt(weight, 3)} | ∇{fmt(grad, 3)}"
    return fmt(weight, 3)


def plot_network(walkthrough: Walkthrough, *, step: Step | None = None, lang: str = "en") -> go.Figure:
    """The network with each node's z and a, edges coloured by sign and sized by |w|, gradients once reached.

    `step` decides how much is known: z/a up to the step's layer in the forward pass, the loss,
    deltas and gradients from the output down in the backward pass, new weights after an update.
    Without a step everything is shown.
    """
    spec, params = walkthrough.spec, walkthrough.params
    n_layers = spec.n_layers
    if step is None:
        known_z = known_a = n_layers
        loss_known = True
        delta_layers = grad_layers = frozenset(range(1, n_layers + 1))
        updated_layers: frozenset[int] = frozenset()
    else:
        known_z, known_a, loss_known = step.known_z, step.known_a, step.loss_known
        delta_layers, grad_layers, updated_layers = step.delta_layers, step.grad_layers, step.updated_layers

    def tr(key: str, **kw) -> str:
        return translate(key, lang, **kw)

    pos = _positions(spec.layer_sizes)
    names = node_names(spec)
    max_abs = max((float(np.max(np.abs(w))) for w in params.weights), default=0.0) or 1.0
    traces: list[dict] = []  # plain dicts, validated once by the tests, so a rerun stays fast

    # edges, grouped into traces by sign and magnitude bin (few traces keep the figure fast)
    groups: dict[tuple[bool, int], tuple[list, list]] = {}
    label_x, label_y, label_text, label_color = [], [], [], []
    hidden_labels = False
    hover_x, hover_y, hover_text = [], [], []
    for layer in range(1, n_layers + 1):
        w = params.weights[layer - 1]
        grads = walkthrough.backward.weight_grads[layer - 1] if layer in grad_layers else None
        new = walkthrough.updated.weights[layer - 1] if layer in updated_layers else None
        rows, cols = w.shape
        show_labels = min(rows, cols) == 1 or rows * cols <= MAX_EDGE_LABELS
        hidden_labels = hidden_labels or not show_labels
        for j in range(rows):
            for i in range(cols):
                (x0, y0), (x1, y1) = pos[layer - 1][i], pos[layer][j]
                value = float(w[j, i])
                positive = value >= 0
                bin_ = min(int(abs(value) / max_abs * _BINS), _BINS - 1)
                xs, ys = groups.setdefault((positive, bin_), ([], []))
                xs += [x0, x1, None]
                ys += [y0, y1, None]
                g = None if grads is None else float(grads[j, i])
                n = None if new is None else float(new[j, i])
                lx, ly = x0 + LABEL_AT * (x1 - x0), y0 + LABEL_AT * (y1 - y0)
                hover = [f"{names[layer - 1][i]} → {names[layer][j]}", f"{tr('walkthrough.diagram.weight')}: {fmt(value)}"]
                if g is not None:
                    hover.append(f"{tr('walkthrough.diagram.gradient')}: {fmt(g)}")
                if n is not None:
                    hover.append(f"{tr('walkthrough.diagram.new_weight')}: {fmt(n)}")
                hover_x.append(lx)
                hover_y.append(ly)
                hover_text.append("<br>".join(hover))
                if show_labels:
                    label_x.append(lx)
                    label_y.append(ly)
                    label_text.append(_edge_label(value, g, n))
                    label_color.append(POSITIVE if positive else NEGATIVE)
    for positive in (True, False):
        color = POSITIVE if positive else NEGATIVE
        name = tr("walkthrough.diagram.positive" if positive else "walkthrough.diagram.negative")
        shown = False
        for bin_ in range(_BINS):
            if (positive, bin_) not in groups:
                continue
            xs, ys = groups[(positive, bin_)]
            traces.append(dict(
                type="scatter", x=xs, y=ys, mode="lines", name=name, legendgroup=name, showlegend=not shown,
                line={"color": color, "width": 1.2 + 2.2 * (bin_ + 1)}, opacity=0.3 + 0.175 * (bin_ + 1),
                hoverinfo="skip",
            ))
            shown = True
        if not shown:  # keep both colours explained in the legend
            traces.append(dict(type="scatter", x=[None], y=[None], mode="lines", name=name, legendgroup=name,
                               line={"color": color, "width": 3}))
    traces.append(dict(
        type="scatter", x=hover_x, y=hover_y, mode="markers", marker={"size": 14, "opacity": 0}, hovertext=hover_text,
        hoverinfo="text", showlegend=False, name="edges",
    ))
    annotations: list[dict] = []
    for lx, ly, text, color in zip(label_x, label_y, label_text, label_color):
        annotations.append({"x": lx, "y": ly, "text": text, "showarrow": False, "font": {"size": 12, "color": color},
                            "bgcolor": "rgba(255,255,255,0.92)", "borderpad": 1})

    # nodes
    node_x, node_y, node_name, node_fill, node_value, node_hover = [], [], [], [], [], []
    for layer, layer_pos in enumerate(pos):
        kind = "input" if layer == 0 else "output" if layer == n_layers else "hidden"
        for j, (x, y) in enumerate(layer_pos):
            lines = []
            if layer == 0:
                lines.append(f"x={fmt(walkthrough.x[j], 4)}")
            else:
                if layer <= known_z:
                    lines.append(f"z={fmt(walkthrough.forward.zs[layer - 1][j], 4)}")
                if layer <= known_a:
                    lines.append(f"a={fmt(walkthrough.forward.activations[layer][j], 4)}")
                if layer in delta_layers:
                    lines.append(f"δ={fmt(walkthrough.backward.deltas[layer - 1][j], 4)}")
                if layer == n_layers and loss_known:
                    lines.append(f"y={fmt(walkthrough.y[j], 4)}")
            node_x.append(x)
            node_y.append(y)
            node_name.append(names[layer][j])
            node_fill.append(NODE_FILL[kind])
            node_value.append("<br>".join(lines))
            node_hover.append(f"<b>{names[layer][j]}</b><br>" + "<br>".join(lines))
    traces.append(dict(
        type="scatter", x=node_x, y=node_y, mode="markers+text", text=node_name, textposition="middle center",
        textfont={"size": 14, "color": "#263238"},
        marker={"size": 40, "color": node_fill, "line": {"color": NODE_LINE, "width": 2}},
        hovertext=node_hover, hoverinfo="text", showlegend=False, name=tr("walkthrough.diagram.nodes"),
    ))
    for x, y, text in zip(node_x, node_y, node_value):
        if text:
            annotations.append({"x": x, "y": y - 0.27, "yanchor": "top", "text": text, "showarrow": False,
                                "align": "center", "font": {"size": 12, "color": "#263238"},
                                "bgcolor": "rgba(255,255,255,0.92)", "borderpad": 1})

    # layer titles, loss, notes
    top = (max(spec.layer_sizes) - 1) / 2.0 * NODE_SPACING + 0.35
    for layer in range(n_layers + 1):
        if layer == 0:
            title = tr("walkthrough.diagram.input")
        else:
            act = tr(f"walkthrough.activations.{spec.activations[layer - 1]}")
            title = (tr("walkthrough.diagram.output", activation=act) if layer == n_layers
                     else tr("walkthrough.diagram.hidden", layer=layer, activation=act))
        annotations.append({"x": layer, "y": top, "text": f"<b>{title}</b>", "showarrow": False,
                            "yanchor": "bottom", "font": {"size": 13}})
    if loss_known:
        annotations.append({"x": n_layers + 0.3, "y": 0, "xanchor": "left", "showarrow": False,
                            "text": f"<b>L = {fmt(walkthrough.loss, 5)}</b>", "font": {"size": 13, "color": "#6a1b9a"}})
    notes = []
    if updated_layers:
        notes.append(tr("walkthrough.diagram.updated_note"))
    elif grad_layers:
        notes.append(tr("walkthrough.diagram.gradient_note"))
    if hidden_labels:
        notes.append(tr("walkthrough.diagram.hover_note"))
    note = "<br>".join(notes)
    if note:
        annotations.append({"x": 0.5, "y": 0.0, "xref": "paper", "yref": "paper", "text": note,
                            "showarrow": False, "yanchor": "top", "font": {"size": 12, "color": "#455a64"}})

    bottom = -(max(spec.layer_sizes) - 1) / 2.0 * NODE_SPACING - 1.0
    height = 230 + 105 * max(spec.layer_sizes)
    layout = dict(
        height=max(height, 380),
        margin={"l": 10, "r": 10, "t": 10, "b": 60},
        plot_bgcolor="white",
        paper_bgcolor="white",
        xaxis={"visible": False, "range": [-0.35, n_layers + 0.8], "fixedrange": True},
        yaxis={"visible": False, "range": [bottom, top + 0.45], "fixedrange": True},
        legend={"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom",
                "title": {"text": tr("walkthrough.diagram.legend_title")}},
        hoverlabel={"bgcolor": "white"},
        annotations=annotations,
    )
    # _validate=False: plotly's per-property validation costs ~4x the build time; the tests build this
    # figure once with validation on (go.Figure(fig.to_dict())) so a bad property still fails there.
    return go.Figure(data=traces, layout=layout, _validate=False)


def plot_loss_history(losses: Sequence[float], *, loss_name: str, lang: str = "en") -> go.Figure:
    """Loss at step 0 (starting weights) and after each training step, with labelled axes."""
    steps = list(range(len(losses)))
    fig = go.Figure(go.Scatter(
        x=steps, y=[float(v) for v in losses], mode="lines+markers" if len(losses) <= 60 else "lines",
        name=translate("walkthrough.train.series", lang), line={"color": "#6a1b9a", "width": 2.5},
        hovertemplate="%{x}: %{y:.6g}<extra></extra>",
    ))
    fig.update_layout(
        title={"text": translate("walkthrough.train.chart_title", lang)},
        xaxis={"title": {"text": translate("walkthrough.train.x_axis", lang)},
               "range": [-0.3, max(len(losses) - 1, 10) + 0.3]},
        yaxis={"title": {"text": translate("walkthrough.train.y_axis", lang, loss=loss_name)}, "rangemode": "tozero"},
        height=340,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        showlegend=False,
    )
    return fig
