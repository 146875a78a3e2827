"""Chart builders return figures whose data equal their inputs, with titles, axes and legends set."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from dashboard import charts


def _axis_title(axis) -> str:
    return axis.title.text or ""


def test_sample_images_grid_keeps_gray_as_gray_and_pixels_equal_input():
    rng = np.random.default_rng(0)
    images = rng.random((10, 8, 8, 1)).astype(np.float32)
    fig = charts.plot_sample_images(images, [f"digit {i}" for i in range(10)], columns=4, title="Samples")
    assert len(fig.data) == 10
    assert all(trace.type == "image" for trace in fig.data)
    z = np.asarray(fig.data[3].z)
    assert z.shape == (8, 8, 3)
    # gray: all three channels identical and equal to round(255 * value)
    assert np.array_equal(z[..., 0], z[..., 1]) and np.array_equal(z[..., 1], z[..., 2])
    assert np.array_equal(z[..., 0], np.rint(images[3, ..., 0] * 255).astype(np.uint8))
    # 10 images in 4 columns: 3 rows; the 10th image sits in row 3, column 2
    assert fig.data[9].xaxis == "x10" and fig.layout.xaxis10.domain == fig.layout.xaxis2.domain
    assert [annotation.text for annotation in fig.layout.annotations] == [f"digit {i}" for i in range(10)]
    assert fig.layout.title.text == "Samples"


def test_sample_images_accepts_rgb_and_clips_out_of_range_values():
    images = np.zeros((2, 4, 4, 3))
    images[0, 0, 0] = (1.2, -0.5, 0.5)
    fig = charts.plot_sample_images(images, ["a", "b"])
    assert len(fig.data) == 2
    assert tuple(np.asarray(fig.data[0].z)[0, 0]) == (255, 0, 128)


def test_sample_images_with_no_images_is_an_empty_titled_figure():
    fig = charts.plot_sample_images(np.zeros((0, 8, 8, 1)), [], title="Nothing")
    assert len(fig.data) == 0 and fig.layout.title.text == "Nothing"


def test_class_balance_is_one_bar_trace_per_split_with_the_counts():
    counts = {"Train": [5, 7, 9], "Validation": [1, 2, 3], "Test": [2, 2, 2]}
    fig = charts.plot_class_balance(["cat", "dog", "eel"], counts, title="Balance", x_title="Class",
                                    y_title="Number of examples")
    assert [trace.type for trace in fig.data] == ["bar"] * 3
    assert [trace.name for trace in fig.data] == ["Train", "Validation", "Test"]
    assert list(fig.data[0].y) == [5, 7, 9] and list(fig.data[2].x) == ["cat", "dog", "eel"]
    assert fig.layout.barmode == "group"
    assert _axis_title(fig.layout.xaxis) == "Class" and _axis_title(fig.layout.yaxis) == "Number of examples"
    assert fig.layout.template.layout.paper_bgcolor == "white"  # plotly_white


def test_class_balance_rejects_counts_of_the_wrong_length():
    with pytest.raises(ValueError, match="one count per class"):
        charts.plot_class_balance(["a", "b"], {"Train": [1, 2, 3]}, title="", x_title="", y_title="")


def test_history_has_train_and_val_curves_with_epochs_from_one_and_a_0_1_axis():
    history = {"accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.45, 0.65, 0.72], "loss": [1.0, 0.6, 0.4]}
    fig = charts.plot_history(history, metric="accuracy", title="Accuracy per epoch", x_title="Epoch",
                              y_title="Accuracy", train_label="Training", val_label="Validation")
    assert len(fig.data) == 2 and all(trace.type == "scatter" for trace in fig.data)
    train, val = fig.data
    assert (train.name, val.name) == ("Training", "Validation")
    assert list(train.x) == [1, 2, 3] and list(train.y) == [0.5, 0.7, 0.8] and list(val.y) == [0.45, 0.65, 0.72]
    assert "markers" in train.mode
    assert tuple(fig.layout.yaxis.range) == (0.0, 1.0)
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tick0 == 1
    assert _axis_title(fig.layout.xaxis) == "Epoch" and _axis_title(fig.layout.yaxis) == "Accuracy"
    assert fig.layout.showlegend is True


def test_history_of_loss_is_not_clamped_to_0_1_and_nan_becomes_a_gap():
    history = {"loss": [2.5, float("nan"), 1.5], "val_loss": [2.7, 2.0, 1.9]}
    fig = charts.plot_history(history, metric="loss", title="Loss", x_title="Epoch", y_title="Loss",
                              train_label="Training", val_label="Validation")
    assert fig.layout.yaxis.range is None and fig.layout.yaxis.rangemode == "tozero"
    assert list(fig.data[0].y) == [2.5, None, 1.5]


def test_history_without_validation_has_only_the_training_curve():
    fig = charts.plot_history({"accuracy": [0.3]}, title="", x_title="Epoch", y_title="Accuracy",
                              train_label="Training", val_label="Validation")
    assert [trace.name for trace in fig.data] == ["Training"]


def test_confusion_matrix_annotates_every_cell_with_its_count_true_on_y():
    matrix = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    names = ["cat", "dog", "eel"]
    fig = charts.plot_confusion_matrix(matrix, names, title="Confusion", x_title="Predicted class",
                                       y_title="True class")
    assert len(fig.data) == 1 and fig.data[0].type == "heatmap"
    assert np.array_equal(np.asarray(fig.data[0].z), matrix)
    assert list(fig.data[0].x) == names and list(fig.data[0].y) == names
    assert len(fig.layout.annotations) == 9
    cell = {(a.y, a.x): a.text for a in fig.layout.annotations}
    assert cell[("dog", "cat")] == "2" and cell[("eel", "eel")] == "9" and cell[("cat", "eel")] == "0"
    assert _axis_title(fig.layout.xaxis) == "Predicted class" and _axis_title(fig.layout.yaxis) == "True class"
    assert fig.layout.yaxis.autorange == "reversed"  # first class on top, diagonal top-left to bottom-right
    colorbar = fig.data[0].colorbar
    assert (colorbar.tick0, colorbar.dtick) == (0, 2)  # whole-number ticks: 0, 2, 4, ... up to 9
    assert charts._nice_step(583 / 5) == 200 and charts._nice_step(9 / 5) == 2 and charts._nice_step(0.8) == 1
    small = charts.plot_confusion_matrix(np.array([[4, 0], [1, 3]]), ["a", "b"], title="", x_title="", y_title="")
    assert small.data[0].colorbar.dtick == 1  # never 0.5 steps printed as 0, 0, 1, 1, ...


def test_confusion_matrix_normalised_rows_sum_to_one():
    matrix = np.array([[3, 1], [0, 0]])
    fig = charts.plot_confusion_matrix(matrix, ["a", "b"], title="", x_title="p", y_title="t", normalize=True)
    z = np.asarray(fig.data[0].z)
    assert z[0].tolist() == [0.75, 0.25] and z[1].tolist() == [0.0, 0.0]  # empty row stays zero, no NaN
    assert [a.text for a in fig.layout.annotations][:2] == ["75%", "25%"]


def test_confusion_matrix_rejects_a_shape_that_does_not_match_the_classes():
    with pytest.raises(ValueError, match="one row and column per class"):
        charts.plot_confusion_matrix(np.zeros((2, 3)), ["a", "b"], title="", x_title="", y_title="")


def test_per_class_metrics_are_grouped_precision_and_recall_bars():
    per_class = [
        {"class": "cat", "precision": 0.9, "recall": 0.8, "f1": 0.847, "support": 10},
        {"class": "dog", "precision": 0.5, "recall": 0.6, "f1": 0.545, "support": 5},
    ]
    fig = charts.plot_per_class_metrics(per_class, title="Per class", x_title="Class", y_title="Score",
                                        metric_labels={"precision": "Precision", "recall": "Recall"})
    assert [trace.type for trace in fig.data] == ["bar", "bar"]
    assert [trace.name for trace in fig.data] == ["Precision", "Recall"]
    assert list(fig.data[0].y) == [0.9, 0.5] and list(fig.data[1].y) == [0.8, 0.6]
    assert list(fig.data[0].customdata) == [10, 5]
    assert tuple(fig.layout.yaxis.range) == (0.0, 1.0) and fig.layout.barmode == "group"
    assert _axis_title(fig.layout.yaxis) == "Score"


def test_top_k_puts_the_most_likely_class_on_top_with_percent_labels():
    fig = charts.plot_top_k([("dog", 0.15), ("cat", 0.8), ("eel", 0.05)], title="Top 3", x_title="Probability")
    bar = fig.data[0]
    assert bar.type == "bar" and bar.orientation == "h"
    assert list(bar.y) == ["eel", "dog", "cat"]  # plotly draws the last category on top
    assert list(bar.x) == [0.05, 0.15, 0.8]
    assert list(bar.text) == ["5.0%", "15.0%", "80.0%"]
    assert tuple(fig.layout.xaxis.range) == (0.0, 1.0) and _axis_title(fig.layout.xaxis) == "Probability"


def test_runs_overlay_draws_val_solid_and_train_dotted_per_run():
    histories = {
        "cnn #1": {"accuracy": [0.6, 0.8], "val_accuracy": [0.55, 0.75]},
        "mlp #2": {"accuracy": [0.5, 0.6, 0.7], "val_accuracy": [0.5, 0.55, 0.6]},
    }
    fig = charts.plot_runs_overlay(histories, metric="accuracy", title="Runs", x_title="Epoch", y_title="Accuracy",
                                   train_label="Training", val_label="Validation")
    assert len(fig.data) == 4
    groups = [trace.legendgroup for trace in fig.data]
    assert groups == ["cnn #1", "cnn #1", "mlp #2", "mlp #2"]
    dashes = [trace.line.dash for trace in fig.data]
    assert dashes == ["solid", "dot", "solid", "dot"]
    assert fig.data[0].line.color == fig.data[1].line.color != fig.data[2].line.color
    assert list(fig.data[2].y) == [0.5, 0.55, 0.6] and list(fig.data[3].x) == [1, 2, 3]
    assert fig.data[0].legendgrouptitle.text == "cnn #1"
    assert tuple(fig.layout.yaxis.range) == (0.0, 1.0)
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0  # long run names below, not beside


@pytest.mark.parametrize("metric, ratio", [("accuracy", True), ("val_accuracy", True), ("loss", False),
                                           ("sparse_categorical_accuracy", True), ("rmse", False)])
def test_ratio_metrics_are_recognised(metric, ratio):
    assert charts.is_ratio_metric(metric) is ratio


def test_every_builder_uses_the_white_template_and_a_height():
    figures = [
        charts.plot_sample_images(np.zeros((1, 2, 2, 1)), ["x"]),
        charts.plot_class_balance(["a"], {"s": [1]}, title="t", x_title="x", y_title="y"),
        charts.plot_history({"loss": [1.0]}, metric="loss", title="t", x_title="x", y_title="y",
                            train_label="a", val_label="b"),
        charts.plot_confusion_matrix([[1]], ["a"], title="t", x_title="x", y_title="y"),
        charts.plot_per_class_metrics([{"class": "a", "precision": 1, "recall": 1, "support": 1}],
                                      title="t", x_title="x", y_title="y"),
        charts.plot_top_k([("a", 1.0)], title="t", x_title="x"),
        charts.plot_runs_overlay({"r": {"loss": [1.0]}}, metric="loss", title="t", x_title="x", y_title="y"),
    ]
    for fig in figures:
        assert isinstance(fig, go.Figure)
        assert fig.layout.template.layout.plot_bgcolor == "white"
        assert 150 <= fig.layout.height <= 900
