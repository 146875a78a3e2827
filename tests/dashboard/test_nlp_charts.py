"""NLP charts: values on the figures, repeated tokens kept apart, HTML escaped in the highlighted text."""

from __future__ import annotations

import numpy as np

from dashboard import nlp_charts


def test_length_distribution_has_one_histogram_per_class_and_the_cutoff():
    fig = nlp_charts.plot_length_distribution([1, 2, 3, 50], [0, 0, 1, 1], ["neg", "pos"], title="T",
                                              x_title="Length", y_title="Texts", sequence_length=40, cutoff_label="cut")
    assert [trace.name for trace in fig.data] == ["neg", "pos"]
    assert list(fig.data[0].x) == [1, 2] and fig.layout.xaxis.title.text == "Length"
    assert fig.layout.shapes[0].x0 == 40
    assert nlp_charts.plot_length_distribution([], [], ["a"], title="E", x_title="x", y_title="y").layout.title.text == "E"


def test_top_tokens_most_frequent_on_top():
    fig = nlp_charts.plot_top_tokens([("的", 10), ("好", 4)], title="Top", x_title="Count")
    assert list(fig.data[0].x) == [4, 10] and list(fig.layout.yaxis.ticktext) == ["好", "的"]


def test_highlight_escapes_html_and_colours_by_sign():
    html = nlp_charts.highlight_html(["<script>", "good"], [-0.2, 0.4], split="whitespace")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "rgba(198,40,40,0.39)" in html and "rgba(46,125,50,0.70)" in html  # -0.2 is half of max |0.4|


def test_contributions_sorted_by_absolute_effect_with_positions():
    fig = nlp_charts.plot_token_contributions(["a", "b", "a"], [0.1, -0.5, 0.3], title="C", x_title="drop", top=2)
    assert list(fig.data[0].x) == [0.3, -0.5]
    assert list(fig.layout.yaxis.ticktext) == ["a (#3)", "b (#2)"]


def test_attention_heatmap_keeps_repeated_tokens_apart():
    weights = np.array([[0.5, 0.5, 0.0], [0.1, 0.8, 0.1], [0.0, 0.0, 1.0]])
    fig = nlp_charts.plot_attention_heatmap(["好", "好", " "], weights, title="A", x_title="key", y_title="query")
    assert np.asarray(fig.data[0].z).shape == (3, 3)
    assert list(fig.layout.xaxis.ticktext) == ["好", "好", "␣"] and fig.layout.yaxis.autorange == "reversed"
    assert fig.data[0].customdata[1][2] == "好 → ␣"
