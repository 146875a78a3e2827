"""Recommendation charts: pure figures with the data, titles and legends that were passed in."""

from __future__ import annotations

import numpy as np

from dashboard import recommendation_charts as rc


def test_rating_distribution_bars_and_shares():
    fig = rc.plot_rating_distribution([0.5, 1.0, 4.5], [1, 1, 2], title="T", x_title="Stars", y_title="Count")
    bar = fig.data[0]
    assert list(bar.x) == ["0.5", "1", "4.5"] and list(bar.y) == [1, 1, 2]
    assert list(bar.text) == ["25%", "25%", "50%"]
    assert fig.layout.xaxis.title.text == "Stars" and fig.layout.title.text == "T"


def test_long_tail_sorts_counts_and_uses_a_log_axis():
    fig = rc.plot_long_tail([1, 50, 0, 7, 3], title="Tail", x_title="rank", y_title="ratings", head_label="head")
    assert list(fig.data[0].y) == [50, 7, 3, 1]  # zero-rating items are not drawn
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.annotations[0].text == "head"


def test_embedding_map_one_trace_per_genre_with_titles_on_hover():
    fig = rc.plot_embedding_map([0, 1, 2, 3], [0, 1, 0, 1], ["A", "B", "C", "D"], ["Drama", "Drama", "Comedy", "War"],
                                [10, 5, 3, 1], title="Map", x_title="PC1", y_title="PC2", hover_count="ratings",
                                max_genres=2, other_label="Other")
    assert [trace.name for trace in fig.data] == ["Drama (2)", "Comedy (1)", "Other (1)"]
    assert fig.data[0].customdata[0][0] == "A" and "ratings" in fig.data[0].hovertemplate
    assert fig.layout.legend.orientation == "v"


def test_rank_histogram_bins_hits_and_misses():
    fig = rc.plot_rank_histogram([1, 1, 3, 10, 11, 25, 2000], k=10, title="R", x_title="rank", y_title="users",
                                 hit_label="hit", miss_label="miss")
    counts = dict(zip(fig.data[0].x, fig.data[0].y))
    assert counts["1"] == 2 and counts["3"] == 1 and counts["10"] == 1 and counts["11-20"] == 1
    assert counts["21-50"] == 1 and counts[">1000"] == 1
    assert [trace.name for trace in fig.data[1:]] == ["hit", "miss"]


def test_calibration_has_the_ideal_diagonal():
    fig = rc.plot_calibration([{"rating": 1.0, "count": 3, "mean_predicted": 2.5},
                               {"rating": 5.0, "count": 9, "mean_predicted": 4.1}],
                              title="C", x_title="true", y_title="pred", ideal_label="ideal", model_label="model")
    assert list(fig.data[0].y) == [1.0, 5.0] and list(fig.data[1].y) == [2.5, 4.1]


def test_empty_inputs_give_titled_empty_figures():
    assert rc.plot_rating_distribution([], [], title="E", x_title="x", y_title="y").layout.title.text == "E"
    assert rc.plot_embedding_map([], [], [], [], [], title="M", x_title="x", y_title="y",
                                 hover_count="n").layout.title.text == "M"
    assert rc.plot_rank_histogram(np.array([], dtype=int), k=10, title="R", x_title="x", y_title="y",
                                  hit_label="h", miss_label="m").layout.title.text == "R"


def test_model_comparison_marks_the_baseline():
    fig = rc.plot_model_comparison(["mf", "bias"], [0.87, 0.89], title="RMSE", x_title="RMSE", baseline=1.05,
                                   baseline_label="popularity")
    assert list(fig.data[0].y) == ["mf", "bias"]
    assert fig.layout.shapes[0].x0 == 1.05
