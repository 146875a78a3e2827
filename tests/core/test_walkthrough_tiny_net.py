"""Tiny-network walkthrough: hand-worked article numbers, NumPy vs tf.GradientTape, and every bad-input message."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from core.i18n import translate
from core.walkthrough.article import article_comparison, article_walkthrough
from core.walkthrough.tiny_net import (
    ARTICLE_PRESET,
    CHECK_TOLERANCE,
    PRESETS,
    NetworkSpec,
    Params,
    WalkthroughError,
    fmt,
    gradient_check,
    init_weights,
    node_names,
    parse_hidden_sizes,
    parse_weight_table,
    tex,
    train,
    walk,
    weight_tables,
)


def sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


@pytest.fixture(scope="module")
def article():
    return article_walkthrough()


# ----------------------------------------------------------------------------- the article, by hand


def test_article_forward_by_hand(article):
    np.testing.assert_allclose(article.forward.zs[0], [0.5, 0.3, -0.2], atol=1e-15)
    np.testing.assert_allclose(article.forward.activations[1], [0.5, 0.3, 0.0], atol=1e-15)
    z_out = 0.6 * 0.5 + 0.4 * 0.3 + (-0.5) * 0.0 + 0.1
    assert z_out == pytest.approx(0.52)
    assert article.forward.zs[1][0] == pytest.approx(z_out, abs=1e-15)
    y_hat = sigmoid(0.52)
    assert y_hat == pytest.approx(0.627148, abs=5e-7)
    assert article.y_hat[0] == pytest.approx(y_hat, abs=1e-15)
    assert article.loss == pytest.approx(-math.log(1.0 - y_hat), abs=1e-14)  # label 0


def test_article_backward_and_update_by_hand(article):
    y_hat = sigmoid(0.52)
    assert article.backward.deltas[1][0] == pytest.approx(y_hat - 0.0, abs=1e-15)
    np.testing.assert_allclose(article.backward.weight_grads[1], [[0.5 * y_hat, 0.3 * y_hat, 0.0]], atol=1e-15)
    np.testing.assert_allclose(article.backward.weight_grads[1][0], [0.313574, 0.188144, 0.0], atol=5e-7)
    np.testing.assert_allclose(article.backward.bias_grads[1], [y_hat], atol=1e-15)
    np.testing.assert_allclose(article.backward.fprimes[0], [1.0, 1.0, 0.0])  # ReLU'(-0.2) = 0, not 1
    hidden_delta = [0.6 * y_hat, 0.4 * y_hat, 0.0]
    np.testing.assert_allclose(article.backward.deltas[0], hidden_delta, atol=1e-15)
    np.testing.assert_allclose(article.backward.weight_grads[0], np.array(hidden_delta)[:, None] * 1.0, atol=1e-15)
    np.testing.assert_allclose(
        article.updated.weights[1], [[0.6 - 0.1 * 0.5 * y_hat, 0.4 - 0.1 * 0.3 * y_hat, -0.5]], atol=1e-15
    )
    assert article.updated.weights[1][0, 0] == pytest.approx(0.568643, abs=5e-7)
    assert article.updated.biases[1][0] == pytest.approx(0.1 - 0.1 * y_hat, abs=1e-15)
    np.testing.assert_allclose(article.updated.weights[0][:, 0], [0.5 - 0.1 * hidden_delta[0],
                                                                   0.3 - 0.1 * hidden_delta[1], -0.2], atol=1e-15)


def test_article_steps_show_the_substituted_numbers(article):
    names = [(s.kind, s.name, s.layer) for s in article.steps]
    assert names == [
        ("forward", "forward_z", 1), ("forward", "forward_a", 1), ("forward", "forward_z", 2),
        ("forward", "forward_a", 2), ("loss", "loss", None), ("backward", "delta_output", 2),
        ("backward", "gradients", 2), ("backward", "delta_hidden", 1), ("backward", "gradients", 1),
        ("update", "update", 1), ("update", "update", 2),
    ]
    by_name = {(s.name, s.layer): "\n".join(s.formulas) for s in article.steps}
    assert "(-0.2) \\cdot 1 + 0 = -0.2" in by_name[("forward_z", 1)]
    assert "\\max(0, -0.2) = 0" in by_name[("forward_a", 1)]
    assert "0.6 \\cdot 0.5 + 0.4 \\cdot 0.3 + (-0.5) \\cdot 0 + 0.1 = 0.52" in by_name[("forward_z", 2)]
    assert "= 0.627148" in by_name[("forward_a", 2)]
    assert "\\mathrm{ReLU}'(-0.2) = 0" in by_name[("delta_hidden", 1)]
    assert "\\left(0.313574, 0.188144, 0\\right)" in by_name[("gradients", 2)]
    assert "\\left(0.568643, 0.381186, -0.5\\right)" in by_name[("update", 2)]
    relu_step = article.steps[1]
    assert relu_step.explanation_params == {"layer": 1, "off": 1, "units": 3}


def test_article_comparison_puts_correct_values_beside_claims(article):
    claims = {c.id: c for c in article_comparison(article)}
    assert set(claims) == {"z_out", "y_hat", "delta_out", "grad_out", "relu_slope", "w_update"}
    assert (claims["z_out"].claimed, claims["z_out"].correct) == ("0.33", "0.52")
    assert (claims["y_hat"].claimed, claims["y_hat"].correct) == ("0.5", "0.627148")
    assert claims["delta_out"].correct == "0.627148"
    assert (claims["grad_out"].claimed, claims["grad_out"].correct) == ("0.25, 0.15, 0.5", "0.313574, 0.188144, 0")
    assert (claims["relu_slope"].claimed, claims["relu_slope"].correct) == ("1", "0")
    assert claims["w_update"].correct.endswith("= 0.568643")
    why = translate(claims["w_update"].reason_key, "en", **claims["w_update"].reason_params)
    assert "0.55, not 0.05" in why
    why_y = translate(claims["y_hat"].reason_key, "en", **claims["y_hat"].reason_params)
    assert "σ(0.33) = 0.582" in why_y
    why_z = translate(claims["z_out"].reason_key, "en", **claims["z_out"].reason_params)
    assert "= 0.42" in why_z and "0.52" in why_z
    for claim in claims.values():
        for lang in ("en", "zh"):
            assert translate(claim.quantity_key, lang) != claim.quantity_key
            text = translate(claim.reason_key, lang, **claim.reason_params)
            assert text != claim.reason_key and "{" not in text


# ----------------------------------------------------------------------------- other losses, by hand


def test_mse_linear_output_by_hand():
    spec = NetworkSpec((1, 1), ("linear",), "mse")
    params = Params((np.array([[2.0]]),), (np.array([0.5]),))
    w = walk(spec, params, [1.5], [1.0], learning_rate=0.1)
    y_hat = 2.0 * 1.5 + 0.5  # 3.5
    assert w.loss == pytest.approx((y_hat - 1.0) ** 2)
    delta = 2.0 * (y_hat - 1.0)  # 5.0
    assert w.backward.deltas[0][0] == pytest.approx(delta)
    assert w.backward.weight_grads[0][0, 0] == pytest.approx(delta * 1.5)
    assert w.updated.weights[0][0, 0] == pytest.approx(2.0 - 0.1 * delta * 1.5)


def test_softmax_cross_entropy_delta_is_prediction_minus_one_hot():
    spec = NetworkSpec((2, 3), ("softmax",), "categorical_crossentropy")
    params = Params((np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]),), (np.zeros(3),))
    w = walk(spec, params, [1.0, 2.0], 1, learning_rate=0.5)
    z = np.array([1.0, 2.0, 1.5])
    p = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(w.y_hat, p, atol=1e-15)
    assert w.loss == pytest.approx(-math.log(p[1]))
    np.testing.assert_allclose(w.backward.deltas[0], p - np.array([0.0, 1.0, 0.0]), atol=1e-15)
    assert w.steps[-2].explanation_key == "walkthrough.explain.gradients"
    softmax_step, loss_step = w.steps[1], w.steps[2]
    assert softmax_step.explanation_params["top"] == 2  # z = (1, 2, 1.5): the node called y-hat 2 wins
    assert "favours ŷ2 with 0.5065" in translate(softmax_step.explanation_key, "en", **softmax_step.explanation_params)
    assert loss_step.explanation_params["cls"] == 2 and "\\hat{y}_{2}" in loss_step.formulas[1]


# ----------------------------------------------------------------------------- NumPy vs tf.GradientTape

ARCHITECTURES = [
    ((1, 3, 1), ("relu", "sigmoid"), "binary_crossentropy", (0.0,)),
    ((2, 3, 1), ("tanh", "linear"), "mse", (0.8,)),
    ((3, 4, 3), ("relu", "softmax"), "categorical_crossentropy", 2),
    ((2, 4, 3, 2), ("tanh", "relu", "sigmoid"), "binary_crossentropy", (1.0, 0.0)),
    ((4, 6, 6, 6, 4), ("sigmoid", "tanh", "relu", "softmax"), "categorical_crossentropy", 0),
    ((4, 6, 6, 6, 4), ("relu", "linear", "tanh", "relu"), "mse", (0.5, -1.0, 2.0, 0.0)),
    ((3, 2, 4), ("sigmoid", "softmax"), "mse", (0.1, 0.2, 0.3, 0.4)),
    ((2, 5, 3), ("linear", "sigmoid"), "binary_crossentropy", (0.3, 1.0, 0.0)),
    ((4, 2), ("tanh",), "mse", (0.5, -0.5)),
]


@pytest.mark.parametrize("sizes, activations, loss, label", ARCHITECTURES)
@pytest.mark.parametrize("seed", [0, 1])
def test_numpy_matches_gradient_tape(sizes, activations, loss, label, seed):
    spec = NetworkSpec(sizes, activations, loss)
    rng = np.random.default_rng(100 + seed)
    params = init_weights(spec, random_state=seed, decimals=None)
    params = Params(params.weights, tuple(rng.normal(0, 0.5, size=b.shape) for b in params.biases))
    x = rng.normal(0, 1, size=sizes[0])
    w = walk(spec, params, x, label, learning_rate=0.3)
    diffs = gradient_check(w)
    assert set(diffs) == set(w.tensors())
    assert {f"dW{layer}" for layer in range(1, spec.n_layers + 1)} <= set(diffs)
    assert max(diffs.values()) < CHECK_TOLERANCE, diffs


def test_relu_at_exactly_zero_uses_slope_zero_like_tensorflow():
    spec = NetworkSpec((1, 2, 1), ("relu", "sigmoid"), "binary_crossentropy")
    params = Params((np.array([[1.0], [0.0]]), np.array([[0.7, -0.4]])), (np.array([-1.0, 0.0]), np.zeros(1)))
    w = walk(spec, params, [1.0], [1.0], learning_rate=0.1)
    np.testing.assert_array_equal(w.forward.zs[0], [0.0, 0.0])
    np.testing.assert_array_equal(w.backward.fprimes[0], [0.0, 0.0])
    assert ("walkthrough.notes.relu_zero", {"layer": 1}) in w.steps[1].notes
    assert max(gradient_check(w).values()) < CHECK_TOLERANCE


def test_gradient_check_reports_a_real_difference():
    """The check must be able to fail: tamper with one NumPy gradient and it shows up."""
    w = article_walkthrough()
    w.backward.weight_grads[1][0, 0] += 1e-6
    try:
        diffs = gradient_check(w)
    finally:
        w.backward.weight_grads[1][0, 0] -= 1e-6
    assert diffs["dW2"] == pytest.approx(1e-6, rel=1e-3)
    assert diffs["dW1"] < CHECK_TOLERANCE


# ----------------------------------------------------------------------------- training


def test_train_reduces_the_loss_and_matches_single_updates():
    p = ARTICLE_PRESET
    result = train(p.spec, p.weights(), p.x, p.label, learning_rate=p.learning_rate, n_steps=50)
    assert len(result.losses) == 51
    assert result.losses[0] == pytest.approx(article_walkthrough().loss)
    assert result.losses[-1] < 0.5 * result.losses[0]
    assert all(b < a for a, b in zip(result.losses, result.losses[1:]))
    one = train(p.spec, p.weights(), p.x, p.label, learning_rate=p.learning_rate, n_steps=1)
    assert one.params.equals(article_walkthrough().updated)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_learns(name):
    p = PRESETS[name]
    result = train(p.spec, p.weights(), p.x, p.label, learning_rate=p.learning_rate, n_steps=20)
    assert result.losses[-1] < result.losses[0]


def test_train_divergence_is_a_clear_error():
    spec = NetworkSpec((1, 1), ("linear",), "mse")
    params = Params((np.array([[3.0]]),), (np.zeros(1),))
    with pytest.raises(WalkthroughError, match="diverged .* Lower the learning rate"):
        train(spec, params, [10.0], [0.0], learning_rate=10.0, n_steps=500)


def test_train_rejects_a_bad_step_count():
    p = ARTICLE_PRESET
    with pytest.raises(WalkthroughError, match="training steps cannot be used"):
        train(p.spec, p.weights(), p.x, p.label, learning_rate=0.1, n_steps=0)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("sizes, activations, loss, message", [
    ((1, 3, 2), ("relu", "softmax"), "binary_crossentropy", "Softmax cannot be paired with binary cross-entropy"),
    ((1, 7, 1), ("relu", "sigmoid"), "binary_crossentropy", "too large to draw"),
    ((5, 3, 1), ("relu", "sigmoid"), "binary_crossentropy", "too large to draw"),
    ((1, 3, 5), ("relu", "softmax"), "categorical_crossentropy", "too large to draw"),
    ((1, 2, 2, 2, 2, 1), ("relu",) * 4 + ("sigmoid",), "binary_crossentropy", "at most 3 hidden layers"),
    ((1, 0, 1), ("relu", "sigmoid"), "binary_crossentropy", "at least 1 unit"),
    ((1, 3, 1), ("relu", "linear"), "binary_crossentropy", "needs probabilities between 0 and 1"),
    ((1, 3, 2), ("relu", "sigmoid"), "categorical_crossentropy", "needs class probabilities that sum to 1"),
    ((1, 3, 1), ("relu", "softmax"), "mse", "single output is always 1"),
    ((1, 3, 2), ("softmax", "softmax"), "categorical_crossentropy", "only used at the output"),
    ((1, 3, 1), ("swish", "sigmoid"), "binary_crossentropy", "Unknown activation 'swish'"),
    ((1, 3, 1), ("relu", "sigmoid"), "hinge", "Unknown loss 'hinge'"),
    ((1, 3, 1), ("relu",), "binary_crossentropy", "1 activations were given for 2 layers"),
])
def test_bad_network_specs_say_what_to_do(sizes, activations, loss, message):
    with pytest.raises(WalkthroughError, match=message) as info:
        NetworkSpec(sizes, activations, loss)
    assert info.value.message("zh") != str(info.value)  # a Chinese message exists too


def test_parse_hidden_sizes():
    assert parse_hidden_sizes("") == ()
    assert parse_hidden_sizes(" 3 ") == (3,)
    assert parse_hidden_sizes("4, 4") == (4, 4)
    assert parse_hidden_sizes("4，2 1") == (4, 2, 1)  # full-width comma from a Chinese keyboard
    with pytest.raises(WalkthroughError, match="could not be read"):
        parse_hidden_sizes("3, x")
    with pytest.raises(WalkthroughError, match="could not be read"):
        parse_hidden_sizes("2.5")
    with pytest.raises(WalkthroughError, match="at most 3 hidden layers"):
        parse_hidden_sizes("1, 1, 1, 1")


def test_weight_tables_round_trip_and_friendly_typing():
    p = ARTICLE_PRESET
    tables = weight_tables(p.spec, p.weights())
    assert list(tables[0].columns) == ["x", "b"] and list(tables[0].index) == ["h1", "h2", "h3"]
    assert list(tables[1].columns) == ["h1", "h2", "h3", "b"] and list(tables[1].index) == ["ŷ"]
    assert parse_weight_table(p.spec, tables).equals(p.weights())
    text = [t.map(lambda v: f" {v} ") for t in tables]
    text[0].iloc[2, 0] = "−0.25"  # Unicode minus sign
    parsed = parse_weight_table(p.spec, text)
    assert parsed.weights[0][2, 0] == -0.25
    lists = parse_weight_table(p.spec, [[[0.5, 0], [0.3, 0], [-0.2, 0]], [[0.6, 0.4, -0.5, 0.1]]])
    assert lists.equals(p.weights())


@pytest.mark.parametrize("cell, message", [
    ("abc", "holds 'abc', which is not a number"),
    ("nan", "is NaN"),
    (float("nan"), "is NaN"),
    ("inf", "is infinite"),
    (float("-inf"), "is infinite"),
    (None, "is empty"),
    ("  ", "is empty"),
])
def test_bad_weight_cells_name_the_cell(cell, message):
    p = ARTICLE_PRESET
    tables = [t.astype(object) for t in weight_tables(p.spec, p.weights())]
    tables[1].iloc[0, 2] = cell
    with pytest.raises(WalkthroughError, match=f"Layer 2, row 1, column h3 of the weight table {message}"):
        parse_weight_table(p.spec, tables)


def test_weight_table_with_the_wrong_shape():
    p = ARTICLE_PRESET
    spec4 = NetworkSpec((1, 4, 1), ("relu", "sigmoid"), "binary_crossentropy")
    tables = weight_tables(p.spec, p.weights())
    with pytest.raises(WalkthroughError, match="layer 1 has 3 rows and 2 columns, but this network needs 4 rows"):
        parse_weight_table(spec4, tables)
    with pytest.raises(WalkthroughError, match="cover 1 layers but the network has 2"):
        parse_weight_table(p.spec, tables[:1])
    with pytest.raises(WalkthroughError, match="different lengths"):
        parse_weight_table(p.spec, [[[0.5, 0], [0.3], [-0.2, 0]], [[0.6, 0.4, -0.5, 0.1]]])
    with pytest.raises(WalkthroughError, match="needs 4 rows"):
        walk(spec4, p.weights(), [1.0], [0.0], learning_rate=0.1)


@pytest.mark.parametrize("x, label, lr, message", [
    ([1.0, 2.0], [0.0], 0.1, "2 input values were given for 1 inputs"),
    ([float("nan")], [0.0], 0.1, "Every input value must be a finite number"),
    ([1.0], [2.0], 0.1, "labels between 0 and 1"),
    ([1.0], [0.0, 1.0], 0.1, "2 labels were given for 1 outputs"),
    ([1.0], [float("inf")], 0.1, "Every label must be a finite number"),
    ([1.0], [0.0], 0.0, "learning rate 0.0 cannot be used"),
    ([1.0], [0.0], float("nan"), "learning rate nan cannot be used"),
])
def test_bad_inputs_labels_and_learning_rates(x, label, lr, message):
    p = ARTICLE_PRESET
    with pytest.raises(WalkthroughError, match=message):
        walk(p.spec, p.weights(), x, label, learning_rate=lr)


def test_bad_class_index():
    p = PRESETS["classifier"]
    with pytest.raises(WalkthroughError, match="choose a class from 0 to 2"):
        walk(p.spec, p.weights(), p.x, 3, learning_rate=0.1)
    with pytest.raises(WalkthroughError, match="choose a class from 0 to 2"):
        walk(p.spec, p.weights(), p.x, 1.5, learning_rate=0.1)


def test_overflow_is_a_clear_error():
    spec = NetworkSpec((1, 1, 1), ("linear", "linear"), "mse")
    params = Params((np.array([[1e200]]), np.array([[1e200]])), (np.zeros(1), np.zeros(1)))
    with pytest.raises(WalkthroughError, match="too large to compute"):
        walk(spec, params, [1e100], [0.0], learning_rate=0.1)


# ----------------------------------------------------------------------------- helpers and catalog coverage


def test_init_weights_is_seeded_and_readable():
    spec = NetworkSpec((4, 6, 6, 6, 4), ("relu", "tanh", "sigmoid", "softmax"), "categorical_crossentropy")
    a, b = init_weights(spec, random_state=5), init_weights(spec, random_state=5)
    assert a.equals(b) and not a.equals(init_weights(spec, random_state=6))
    assert [w.shape for w in a.weights] == [(6, 4), (6, 6), (6, 6), (4, 6)]
    for w in a.weights:
        np.testing.assert_array_equal(w, np.round(w, 2))
        assert np.all(np.abs(w) <= math.sqrt(6 / 10) + 0.005)


def test_number_formatting():
    assert fmt(-0.0) == "0"
    assert fmt(0.30000000000000004) == "0.3"
    assert fmt(1.234e-7) == "1.234e-7"
    assert tex(1.5e-7) == r"1.5 \times 10^{-7}"
    assert node_names(NetworkSpec((2, 3, 2, 1), ("relu", "relu", "sigmoid"), "binary_crossentropy")) == [
        ["x1", "x2"], ["h1.1", "h1.2", "h1.3"], ["h2.1", "h2.2"], ["ŷ"]]


@pytest.mark.parametrize("sizes, activations, loss, label", ARCHITECTURES)
def test_every_step_text_exists_in_both_languages(sizes, activations, loss, label):
    spec = NetworkSpec(sizes, activations, loss)
    w = walk(spec, init_weights(spec, random_state=1), np.linspace(-1, 1, sizes[0]), label, learning_rate=0.1)
    for step in w.steps:
        for key, params in [(step.title_key, step.title_params), (step.explanation_key, step.explanation_params),
                            *step.notes]:
            for lang in ("en", "zh"):
                text = translate(key, lang, **params)
                assert text != key and not re.search(r"\{\w+\}", text), (key, lang)
        assert all(f.count("{") == f.count("}") for f in step.formulas)
