"""Model trace page in AppTest: empty state, a real digits CNN run traced layer by layer, sample bounds, Chinese."""

from __future__ import annotations

import pytest

PAGE = "../pages/model_trace.py"  # relative to dashboard/app.py, the main script
CNN_LAYERS = 14  # build_cnn's default layers after the input


def _train(candidate: str) -> str:
    """Train a one-epoch run in the test's data dir (call after app_test() has set it)."""
    from core.training.pipeline import run_training, TrainingSpec
    from core.training.runner import TrainConfig
    from dashboard.services import get_tracker

    return run_training(TrainingSpec("vision", "digits", candidate, TrainConfig(epochs=1)),
                        tracker=get_tracker()).run_id


def test_without_runs_the_page_points_to_the_lab(app_test):
    at = app_test().run()  # registers the pages first: the url_path (model-trace) differs from the file name
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.title[0].value == "A real model, layer by layer"
    assert "Train a CNN in the use-case lab first" in at.info[0].value
    assert not at.dataframe


@pytest.mark.slow
def test_traces_a_trained_cnn_layer_by_layer(app_test, switch_language):
    at = app_test(timeout=90)
    baseline = _train("logreg")
    cnn = _train("cnn")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    picker = at.selectbox(key="trace_run")
    assert picker.options and len(picker.options) == 1 and "cnn" in picker.options[0]  # the baseline is not offered
    assert picker.value == cnn and baseline != cnn

    table = at.dataframe[0].value
    assert len(table) == CNN_LAYERS
    assert list(table["Layer"])[:2] == ["conv_block_1", "batch_norm_1"] and table["Layer"].iloc[-1] == "probabilities"
    assert table.loc[table["Layer"] == "relu_1", "Output shape"].item() == "8 × 8 × 32"
    assert (table["‖∂loss/∂weights‖"] != "–").sum() == 6  # 2 conv, 2 batch-norm, dense, classifier
    assert table.loc[table["Layer"] == "relu_1", "‖∂loss/∂weights‖"].item() == "–"  # no weights, no norm
    assert len(at.get("plotly_chart")) == 6  # image, probabilities, histogram, feature maps, gradients, saliency
    assert at.selectbox(key="trace_layer").value == "conv_block_1"
    assert any(m.label == "Loss after the step" for m in at.metric)
    assert any("One step of size η = 0.01" in md.value for md in at.markdown)

    number = at.number_input(key="trace_sample")
    assert number.max == 359 and number.min == 0  # 20% of 1,797 digits: no index outside the test split
    number.set_value(359).run()
    assert not at.exception and not at.error
    assert not any("no test sample" in w.value for w in at.warning)  # (a wrong prediction is a warning too)
    assert "Test image 359" in at.get("plotly_chart")[0].proto.spec
    at.number_input(key="trace_sample").set_value(360).run()  # the widget refuses it: back to the default
    assert not at.exception and at.number_input(key="trace_sample").value == 0
    at.session_state["trace_sample"] = 360  # a stale index, e.g. left from a run with a larger test split
    at.run()
    assert not at.exception and not at.error and at.number_input(key="trace_sample").value == 0
    assert "Test image 0" in at.get("plotly_chart")[0].proto.spec
    at.selectbox(key="trace_layer").set_value("dense").run()
    assert any("flat vector" in caption.value for caption in at.caption)

    switch_language(at, "zh")
    assert not at.exception
    assert at.title[0].value == "真实模型逐层剖析"
    assert "输出形状" in at.dataframe[0].value.columns and len(at.dataframe[0].value) == CNN_LAYERS
    assert at.selectbox(key="trace_run").value == cnn  # the run choice survives the switch
