"""Selection charts: Pareto bubbles with the front marked, baseline differences with CI bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.selection.significance import beats_baseline
from dashboard.charts import PALETTE
from dashboard.selection_charts import plot_baseline_comparison, plot_pareto

LABELS = dict(title="Quality vs latency", x_title="p50 (ms)", y_title="Accuracy", front_label="Pareto front",
              size_label="Size (MB)")


def frame(latencies):
    return pd.DataFrame({"model": ["logreg", "mlp", "cnn"], "test_accuracy": [0.97, 0.96, 0.99],
                         "latency_p50_ms": latencies, "size_mb": [0.01, 0.6, 2.4]})


def test_pareto_marks_the_front_and_sizes_bubbles():
    fig = plot_pareto(frame([0.1, 0.5, 0.9]), quality_column="test_accuracy", **LABELS)
    points = {trace.name: trace for trace in fig.data if trace.mode == "markers"}
    assert set(points) == {"logreg", "mlp", "cnn"}
    assert points["cnn"].y[0] == pytest.approx(99.0)
    assert points["cnn"].marker.size > points["mlp"].marker.size > points["logreg"].marker.size
    front = next(trace for trace in fig.data if trace.name == "Pareto front")
    assert list(front.x) == [0.1, 0.9] and list(front.y) == pytest.approx([97.0, 99.0])  # mlp is dominated
    assert points["logreg"].marker.line.width == 3 and points["mlp"].marker.line.width == 1
    assert fig.layout.xaxis.type == "linear" and fig.layout.xaxis.title.text == "p50 (ms)"
    assert fig.layout.yaxis.ticksuffix == "%"


def test_pareto_uses_a_log_axis_for_a_wide_spread_and_survives_empty_input():
    fig = plot_pareto(frame([0.05, 0.5, 9.0]), quality_column="test_accuracy", **LABELS)
    assert fig.layout.xaxis.type == "log"
    empty = plot_pareto(pd.DataFrame(), quality_column="test_accuracy", empty_message="No runs", **LABELS)
    assert len(empty.data) == 0 and empty.layout.annotations[0].text == "No runs"
    missing = frame([np.nan, np.nan, np.nan])
    assert len(plot_pareto(missing, quality_column="test_accuracy", **LABELS).data) == 0


def test_baseline_comparison_error_bars():
    truth = np.zeros(200, dtype=int)
    base = truth.copy()
    base[:40] = 1
    better = truth.copy()
    better[:5] = 1
    result = beats_baseline(truth, better, base, model="cnn", baseline="logreg")
    fig = plot_baseline_comparison([result], title="vs baseline", x_title="points", zero_label="no difference")
    trace = fig.data[0]
    assert list(trace.y) == ["cnn"] and trace.x[0] == pytest.approx(17.5)
    assert trace.error_x.array[0] == pytest.approx(result.ci_high * 100 - 17.5)
    assert trace.error_x.arrayminus[0] == pytest.approx(17.5 - result.ci_low * 100)
    assert fig.layout.shapes[0].x0 == 0
    assert len(plot_baseline_comparison([], title="t", x_title="x", zero_label="0").data) == 0


def test_pareto_reads_auc_as_a_decimal_and_rmse_lower_is_better():
    table = frame([0.1, 0.5, 0.9])
    table["test_roc_auc"] = [0.80, 0.85, 0.84]
    fig = plot_pareto(table, quality_column="test_roc_auc", **LABELS)
    assert [trace.y[0] for trace in fig.data[:3]] == [0.80, 0.85, 0.84]  # 0.849 as in the table, not 84.9 %
    assert fig.layout.yaxis.ticksuffix is None
    table["test_rmse"] = [0.95, 0.87, 0.89]  # cheapest is worst; 0.87 dominates 0.89
    front = plot_pareto(table, quality_column="test_rmse", **LABELS).data[-1]
    assert list(front.y) == [0.95, 0.87]


def test_pareto_names_each_bubble_in_full_in_its_legend():
    """Issue 13.10: 'opularity' and 'scoreca' were ids written beside bubbles and cut off at the plot's edges."""
    names = {"logreg": "Logistic regression (baseline)", "mlp": "Multilayer perceptron",
             "cnn": "Convolutional network (CNN)"}
    fig = plot_pareto(frame([0.1, 0.5, 0.9]), quality_column="test_accuracy", names=names, **LABELS)
    points = [trace for trace in fig.data if trace.mode == "markers"]
    assert [trace.name for trace in points] == list(names.values())  # the whole name, not the id
    assert all(trace.showlegend and not trace.text for trace in points)  # no text to clip
    assert [trace.marker.color for trace in points] == list(PALETTE[:3])  # swatch = bubble colour
    assert fig.layout.legend.itemsizing == "constant" and fig.layout.legend.y < 0  # below the plot


def test_baseline_differences_name_the_models_and_make_room_for_them():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 400)
    base = np.where(rng.random(400) < 0.8, truth, 1 - truth)
    deep = np.where(rng.random(400) < 0.9, truth, 1 - truth)
    result = beats_baseline(truth, deep, base, model="wide_deep", baseline="scorecard")
    fig = plot_baseline_comparison([result], title="t", x_title="points", zero_label="0",
                                   names={"wide_deep": "Keras wide-and-deep", "scorecard": "Scorecard"})
    assert list(fig.data[0].y) == ["Keras wide-and-deep"] and fig.data[0].customdata[0][1] == "Scorecard"
    assert fig.layout.yaxis.automargin is True  # a fixed 60 px margin cut names to 'wide_de'


def test_a_model_of_unknown_size_is_a_hollow_ring_said_so_not_the_smallest_bubble():
    table = frame([0.1, 0.5, 300.0]).assign(size_mb=[0.01, 0.6, np.nan])
    fig = plot_pareto(table, quality_column="test_accuracy", unknown_size_label="size unknown", **LABELS)
    points = {trace.name: trace for trace in fig.data if trace.mode == "markers"}
    ring = points["cnn (size unknown)"]
    assert ring.marker.symbol == "circle-open" and ring.marker.size > points["logreg"].marker.size
    assert points["logreg"].marker.symbol is None
