"""Walkthrough page in AppTest: article preset numbers, stepping, presets, bad input messages, training."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

PAGE = "../pages/walkthrough.py"  # relative to dashboard/app.py, the main script


@pytest.fixture
def page(app_test):
    """The walkthrough page, rendered once with its defaults (the article preset).

    switch_page before the first run opens the page directly: its file name matches its url_path.
    """
    at = app_test(timeout=120)
    return at.switch_page(PAGE).run()


def latex(at: AppTest) -> str:
    return "\n".join(element.value for element in at.latex)


def errors(at: AppTest) -> list[str]:
    return [element.value for element in at.error]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_article_preset_renders_exactly(page):
    at = page
    assert not at.exception and not errors(at)
    assert metric(at, "Prediction ŷ") == "0.627148"
    assert metric(at, "Loss") == "0.986573"
    assert metric(at, "Largest difference vs TensorFlow") == "0"
    assert any(s.value.startswith("All 16 tensors agree with tf.GradientTape") for s in at.success)
    assert "(-0.2) \\cdot 1 + 0 = -0.2" in latex(at)  # step 1: layer 1 weighted sums
    article = at.table[0].value
    row = article[article.iloc[:, 0] == "Prediction ŷ = σ(z)"].iloc[0]
    assert (row.iloc[1], row.iloc[2]) == ("0.5", "0.627148")


def test_stepping_forward_and_back(page):
    at = page
    at.button(key="wt_next").click().run()
    assert at.slider(key="wt_step").value == 2
    assert "\\max(0, -0.2) = 0" in latex(at)
    at.button(key="wt_next").click().run()
    at.button(key="wt_next").click().run()
    assert "= 0.627148" in latex(at)  # step 4: y_hat = sigmoid(0.52)
    assert any("between 0 and 1" in i.value for i in at.info)
    at.slider(key="wt_step").set_value(8).run()
    assert "\\mathrm{ReLU}'(-0.2) = 0" in latex(at)
    at.button(key="wt_prev").click().run()
    assert at.slider(key="wt_step").value == 7
    assert "\\left(0.313574, 0.188144, 0\\right)" in latex(at)
    assert not at.exception


def test_switching_presets_and_a_bad_loss_combination(page):
    at = page
    at.selectbox(key="wt_preset").set_value("classifier").run()
    assert not at.exception and not errors(at)
    assert at.text_input(key="wt_hidden").value == "4"
    assert at.selectbox(key="wt_act_out").value == "softmax"
    assert at.slider(key="wt_step").value == 1
    assert any(s.value.startswith("All 16 tensors agree") for s in at.success)
    at.selectbox(key="wt_loss").set_value("binary_crossentropy").run()
    assert not at.exception
    assert any("Softmax cannot be paired with binary cross-entropy" in e for e in errors(at))
    at.selectbox(key="wt_loss").set_value("mse").run()
    assert not errors(at) and not at.exception
    at.selectbox(key="wt_preset").set_value("regression").run()
    assert at.selectbox(key="wt_act_1").value == "tanh" and not errors(at)


def test_bad_weight_cell_shows_the_message(page):
    at = page
    version = at.session_state["wt_table_version"]
    at.session_state[f"wt_table_2_{version}"] = {
        "edited_rows": {0: {"h2": "abc"}}, "added_rows": [], "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert errors(at) == ["Layer 2, row 1, column h2 of the weight table holds 'abc', which is not a number; "
                          "type a number such as 0.5 or -1.2."]
    assert not at.metric  # nothing computed from a broken table


def test_bad_hidden_sizes_and_wrong_table_shape_then_refill(page):
    at = page
    at.text_input(key="wt_hidden").set_value("3, 7").run()
    assert any("too large to draw" in e for e in errors(at))
    at.text_input(key="wt_hidden").set_value("three").run()
    assert any("could not be read" in e for e in errors(at))
    at.text_input(key="wt_hidden").set_value("4").run()
    assert not at.exception
    assert any("layer 1 has 3 rows and 2 columns, but this network needs 4 rows" in e for e in errors(at))
    at.button(key="wt_fit").click().run()
    assert not errors(at) and not at.exception
    assert len(at.session_state["wt_tables"][0]) == 4


def test_training_lowers_the_loss_and_reset_restores(page):
    at = page
    at.button(key="wt_train").click().run()
    assert not at.exception
    assert any(s.value.startswith("Trained 10 steps in total: the loss went from 0.98657 to") for s in at.success)
    history = at.session_state["wt_run"]["history"]
    assert len(history) == 11 and history[-1] < history[0]
    assert float(metric(at, "Prediction ŷ")) < 0.627148  # label 0: the prediction moves down
    at.number_input(key="wt_train_steps").set_value(5).run()
    at.button(key="wt_train").click().run()
    assert len(at.session_state["wt_run"]["history"]) == 16
    at.button(key="wt_reset").click().run()
    assert metric(at, "Prediction ŷ") == "0.627148"


def test_bad_label_learning_rate_and_seeded_weights(page):
    at = page
    at.number_input(key="wt_y_0").set_value(2.0).run()
    assert any("labels between 0 and 1" in e for e in errors(at))
    at.number_input(key="wt_y_0").set_value(1.0).run()
    at.number_input(key="wt_lr").set_value(0.0).run()
    assert any("learning rate 0.0 cannot be used" in e for e in errors(at))
    at.number_input(key="wt_lr").set_value(0.5).run()
    at.radio(key="wt_source").set_value("seeded").run()
    assert not at.exception and not errors(at)
    at.number_input(key="wt_seed").set_value(3).run()
    assert not errors(at)
    at.button(key="wt_copy").click().run()
    assert at.radio(key="wt_source").value == "table"
    assert not errors(at) and not at.exception


def test_chinese(app_test):
    at = app_test(timeout=120)
    at.session_state["lang"] = "zh"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.title[0].value == "前向传播与反向传播，一步一步算"
    assert any(s.value.startswith("全部 16 个张量都与 tf.GradientTape 一致") for s in at.success)
    assert any("第 1 层的每个单元" in i.value for i in at.info)

