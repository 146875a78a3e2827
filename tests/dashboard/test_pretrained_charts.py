"""The learning-curve chart: one line per model over labelled examples on a log axis, units in the titles."""

from __future__ import annotations

import math

from dashboard.pretrained_charts import plot_learning_curve


def test_learning_curve_has_one_line_per_model_in_percent_on_a_log_axis():
    fig = plot_learning_curve(
        {"WordLlama": ([360, 900, 1800, 3600], [0.70, 0.74, 0.76, 0.78]),
         "TF-IDF": ([3600, 360, 900, 1800], [0.81, 0.70, 0.75, 0.79])},
        title="Test quality", x_title="labelled training examples (count, log scale)", y_title="Accuracy (%)",
        percent=True, starts={"WordLlama": "pretrained", "TF-IDF": "baseline"})
    assert [trace.name for trace in fig.data] == ["WordLlama", "TF-IDF"]
    tfidf = fig.data[1]
    assert list(tfidf.x) == [360, 900, 1800, 3600]  # sorted by size
    assert [round(v, 6) for v in tfidf.y] == [70.0, 75.0, 79.0, 81.0]
    assert fig.data[0].line.dash == "solid" and tfidf.line.dash == "dot"
    assert fig.layout.xaxis.type == "log" and list(fig.layout.xaxis.tickvals) == [360, 900, 1800, 3600]
    assert list(fig.layout.xaxis.ticktext) == ["360", "900", "1,800", "3,600"]
    assert fig.layout.xaxis.title.text == "labelled training examples (count, log scale)"
    assert fig.layout.yaxis.title.text == "Accuracy (%)" and fig.layout.yaxis.ticksuffix == "%"
    assert fig.layout.showlegend


def test_learning_curve_skips_missing_points_and_is_empty_without_any():
    fig = plot_learning_curve({"AUC model": ([100, 200, 400], [0.7, math.nan, None])}, title="t", x_title="x",
                              y_title="ROC AUC (0-1)")
    assert list(fig.data[0].x) == [100] and list(fig.data[0].y) == [0.7]
    assert fig.layout.yaxis.ticksuffix is None
    empty = plot_learning_curve({"a": ([], [])}, title="Nothing yet", x_title="x", y_title="y", empty_message="none")
    assert len(empty.data) == 0 and empty.layout.annotations[0].text == "none"
