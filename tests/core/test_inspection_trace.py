"""Layer-by-layer trace: gradients and the SGD step checked against NumPy, shapes of the digits CNN, error paths."""

from __future__ import annotations

import numpy as np
import pytest

from core.inspection.trace import MAX_FEATURE_MAPS, TraceError, pick_sample, trace_sample

keras = pytest.importorskip("keras")

W = np.array([[0.2, -0.5, 0.1], [0.4, 0.3, -0.2], [-0.3, 0.8, 0.5], [0.1, -0.1, 0.2]], dtype=np.float32)  # (4 in, 3 out)
B = np.array([0.05, -0.1, 0.02], dtype=np.float32)
X = np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32)
LABEL = 2


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@pytest.fixture
def dense_model():
    """Input(4) -> Dense(3) -> softmax with hand-set weights."""
    inputs = keras.Input(shape=(4,), name="features")
    logits = keras.layers.Dense(3, name="dense")(inputs)
    outputs = keras.layers.Activation("softmax", name="probabilities")(logits)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.get_layer("dense").set_weights([W, B])
    return model


def test_dense_softmax_gradients_match_numpy(dense_model):
    trace = trace_sample(dense_model, X, LABEL, learning_rate=0.1)
    x64, w64, b64 = X.astype(np.float64), W.astype(np.float64), B.astype(np.float64)
    p = _softmax(x64 @ w64 + b64)
    onehot = np.eye(3)[LABEL]
    delta = p - onehot  # dLoss/dz for softmax + cross-entropy
    d_w, d_b = np.outer(x64, delta), delta
    np.testing.assert_allclose(trace.probabilities, p, rtol=1e-5)
    assert trace.loss == pytest.approx(-np.log(p[LABEL]), rel=1e-5)
    dense, probs = trace.layer("dense"), trace.layer("probabilities")
    assert dense.weight_grad_norm == pytest.approx(np.sqrt(np.sum(d_w ** 2) + np.sum(d_b ** 2)), rel=1e-5)
    assert dense.activation_grad_norm == pytest.approx(np.linalg.norm(delta), rel=1e-5)
    assert probs.weight_grad_norm is None
    assert probs.activation_grad_norm == pytest.approx(1.0 / p[LABEL], rel=1e-4)  # d(-ln p_y)/dp = -1/p_y at y
    saliency = np.abs(w64 @ delta)  # dLoss/dx = W (p - y)
    np.testing.assert_allclose(trace.saliency, saliency / saliency.max(), rtol=1e-5)
    assert trace.saliency.max() == pytest.approx(1.0)
    assert dense.output_shape == (3,) and dense.feature_maps is None
    assert dense.mean == pytest.approx(np.mean(x64 @ w64 + b64), rel=1e-5)


def test_one_sgd_step_matches_manual_update_and_leaves_model_untouched(dense_model):
    before = [w.copy() for w in dense_model.get_weights()]
    lr = 0.2
    label = 0  # predicted 2 at first (p = 0.80); one step towards class 0 flips the prediction
    trace = trace_sample(dense_model, X, label, learning_rate=lr)
    x64 = X.astype(np.float64)
    p = _softmax(x64 @ W + B)
    delta = p - np.eye(3)[label]
    w_new, b_new = W - lr * np.outer(x64, delta), B - lr * delta
    p_new = _softmax(x64 @ w_new + b_new)
    assert trace.loss_after_sgd_step == pytest.approx(-np.log(p_new[label]), rel=1e-4)  # float32 maths
    assert trace.loss_after_sgd_step < trace.loss  # a small step against the gradient lowers the loss
    np.testing.assert_allclose(trace.probabilities_after_sgd_step, p_new, rtol=1e-5)
    assert trace.predicted == int(np.argmax(p)) == 2 and trace.predicted_after_sgd_step == int(np.argmax(p_new)) == 0
    assert trace.prediction_changed
    for old, new in zip(before, dense_model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_feature_maps_keep_the_most_active_channels_in_channel_order():
    inputs = keras.Input(shape=(3, 3, 1))
    conv = keras.layers.Conv2D(20, 1, use_bias=False, name="conv")(inputs)
    flat = keras.layers.Flatten(name="flatten")(conv)
    outputs = keras.layers.Dense(2, activation="softmax", name="out")(flat)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.get_layer("conv").set_weights([np.arange(20, dtype=np.float32).reshape(1, 1, 1, 20)])  # channel c = c * x
    image = np.linspace(0.1, 0.9, 9, dtype=np.float32).reshape(3, 3, 1)
    trace = trace_sample(model, image, 0)
    conv_trace = trace.layer("conv")
    assert conv_trace.feature_channels == tuple(range(20 - MAX_FEATURE_MAPS, 20))
    assert conv_trace.feature_maps.shape == (MAX_FEATURE_MAPS, 3, 3)
    np.testing.assert_allclose(conv_trace.feature_maps[-1], 19 * image[..., 0], rtol=1e-6)
    assert conv_trace.zero_fraction == pytest.approx(9 / 180)  # channel 0 is all zeros
    assert int(conv_trace.histogram_counts.sum()) == 180 and conv_trace.histogram_edges.size == 31
    assert trace.saliency.shape == (3, 3)


def test_wrong_shape_label_and_learning_rate_are_refused(dense_model):
    with pytest.raises(TraceError, match=r"shaped \(5,\) but the model expects \(4,\)"):
        trace_sample(dense_model, np.zeros(5), 0)
    with pytest.raises(TraceError, match="True class 3 is not one of the model's classes 0 to 2"):
        trace_sample(dense_model, X, 3)
    with pytest.raises(TraceError, match="positive number"):
        trace_sample(dense_model, X, 0, learning_rate=0.0)
    with pytest.raises(TraceError, match="missing or infinite"):
        trace_sample(dense_model, np.array([np.nan, 0, 0, 0]), 0)


def test_sample_index_out_of_range_names_the_range():
    x, y = np.zeros((5, 2)), np.arange(5)
    sample, label = pick_sample(x, y, 4)
    assert sample.shape == (2,) and label == 4
    with pytest.raises(TraceError, match="no test sample 5; choose a number from 0 to 4"):
        pick_sample(x, y, 5)
    with pytest.raises(TraceError, match="no test sample -1"):
        pick_sample(x, y, -1)


def test_sklearn_baseline_is_refused_with_a_pointer_to_keras_runs():
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TraceError, match="Pick a Keras run"):
        trace_sample(LogisticRegression(), X, 0)


@pytest.fixture(scope="session")
def digits_cnn():
    """The default digits CNN after one epoch, with the digits dataset."""
    from core.training.runner import TrainConfig, fit_keras
    from core.usecases.vision.data import load_digits_dataset
    from core.usecases.vision.models import build_cnn

    data = load_digits_dataset()
    keras.utils.set_random_seed(0)
    model = build_cnn((8, 8, 1), 10)
    fit_keras(model, data.x_train, data.y_train, data.x_val, data.y_val, TrainConfig(epochs=1))
    return model, data


@pytest.mark.slow
def test_digits_cnn_trace_shapes_gradients_and_probabilities(digits_cnn):
    model, data = digits_cnn
    before = [w.copy() for w in model.get_weights()]
    x, y = pick_sample(data.x_test, data.y_test, 3)
    trace = trace_sample(model, x, y, learning_rate=0.01)
    shapes = {layer.name: layer.output_shape for layer in trace.layers}
    assert shapes == {
        "conv_block_1": (8, 8, 32), "batch_norm_1": (8, 8, 32), "relu_1": (8, 8, 32), "pool_1": (4, 4, 32),
        "conv_block_2": (4, 4, 64), "batch_norm_2": (4, 4, 64), "relu_2": (4, 4, 64), "pool_2": (2, 2, 64),
        "flatten": (256,), "dropout_features": (256,), "dense": (128,), "dropout_dense": (128,),
        "classifier": (10,), "probabilities": (10,),
    }
    expected = model.predict(x[np.newaxis], verbose=0)[0]  # inference mode: dropout off, BN moving stats
    np.testing.assert_allclose(trace.probabilities, expected, rtol=1e-4, atol=1e-6)
    assert trace.loss == pytest.approx(-np.log(max(expected[y], 1e-7)), rel=1e-4)
    with_weights = {layer.name for layer in trace.layers if layer.weight_grad_norm is not None}
    assert with_weights == {"conv_block_1", "batch_norm_1", "conv_block_2", "batch_norm_2", "dense", "classifier"}
    assert all(layer.weight_grad_norm > 0 for layer in trace.layers if layer.weight_grad_norm is not None)
    assert all(layer.activation_grad_norm is not None and layer.activation_grad_norm > 0 for layer in trace.layers)
    relu = trace.layer("relu_1")
    assert relu.min >= 0.0 and 0.0 < relu.zero_fraction < 1.0
    assert relu.feature_maps.shape == (16, 8, 8) and trace.layer("pool_2").feature_maps.shape == (16, 2, 2)
    assert trace.layer("dense").feature_maps is None
    assert trace.layer("dropout_dense").mean == pytest.approx(trace.layer("dense").mean)  # dropout is off
    assert trace.saliency.shape == (8, 8) and trace.saliency.min() >= 0 and trace.saliency.max() == pytest.approx(1.0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
