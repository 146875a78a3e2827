"""Serving function equals the model, traces once, and latency/throughput numbers are sane."""

from __future__ import annotations

import gc
import weakref

import keras
import numpy as np
import pytest

from core.evaluation import serving
from core.models.baselines import build_logistic_regression
from core.usecases.vision.models import build_cnn, build_cnn_regularised

X = np.random.default_rng(0).random((7, 8, 8, 1), dtype=np.float32)


@pytest.fixture(scope="module")
def cnn():
    keras.utils.set_random_seed(0)
    return build_cnn((8, 8, 1), 10)


@pytest.mark.parametrize("builder", [build_cnn, build_cnn_regularised])
def test_serving_function_equals_model_call(builder):
    keras.utils.set_random_seed(0)
    model = builder((8, 8, 1), 10)
    serve = serving.make_serving_function(model)
    np.testing.assert_allclose(serve(X).numpy(), model(X, training=False).numpy(), atol=1e-6, rtol=0)


def test_signature_is_float32_any_batch_and_traces_once(cnn):
    serve = serving.make_serving_function(cnn)
    (spec,) = serve.input_signature
    assert tuple(spec.shape) == (None, 8, 8, 1) and spec.dtype.name == "float32"
    for size in (1, 3, 7):
        assert serve(X[:size]).shape == (size, 10)
    assert serve.experimental_get_tracing_count() == 1


def test_serving_output_is_float32_under_mixed_precision():
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_cnn((8, 8, 1), 10)
        output = serving.make_serving_function(model)(X)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert output.dtype.name == "float32"
    np.testing.assert_allclose(output.numpy().sum(axis=1), 1.0, atol=1e-3)


def test_predict_proba_keras_batches_and_sklearn(cnn):
    expected = cnn(X, training=False).numpy()
    np.testing.assert_allclose(serving.predict_proba(cnn, X, batch_size=3), expected, atol=1e-6, rtol=0)
    assert serving.serving_function(cnn) is serving.serving_function(cnn)  # built once per model
    assert serving.predict_proba(cnn, X[:0]).shape == (0, 10)
    y = np.arange(len(X)) % 2
    logreg = build_logistic_regression(max_iter=100).fit(X, y)
    np.testing.assert_array_equal(serving.predict_proba(logreg, X), logreg.predict_proba(X))
    with pytest.raises(ValueError, match="keras.Model"):
        serving.make_serving_function(logreg)
    with pytest.raises(ValueError, match="no predict_proba"):
        serving.predict_proba(object(), X)


def test_cache_does_not_keep_models_alive():
    model = build_cnn((8, 8, 1), 3, filters=(4,), dense_units=4)
    serving.predict_proba(model, X)
    reference = weakref.ref(model)
    del model
    gc.collect()
    assert reference() is None


def test_measure_latency_real_model(cnn):
    result = serving.measure_latency(serving.make_serving_function(cnn), X[0], warmup=3, repeats=20)
    assert 0 < result["p50_ms"] <= result["p95_ms"]
    assert result["repeats"] == 20


def test_measure_latency_batches_one_sample_and_counts_calls():
    shapes = []

    def fake(batch):
        shapes.append(batch.shape)
        return np.zeros((len(batch), 2))

    serving.measure_latency(fake, np.zeros((8, 8, 1)), warmup=2, repeats=5)
    assert shapes == [(1, 8, 8, 1)] * 7
    shapes.clear()
    serving.measure_latency(fake, np.zeros((1, 8, 8, 1)), warmup=0, repeats=3)
    assert shapes == [(1, 8, 8, 1)] * 3
    with pytest.raises(ValueError, match="repeats"):
        serving.measure_latency(fake, np.zeros((8, 8, 1)), repeats=0)


def test_batch_throughput_counts_every_sample():
    seen = []

    def fake(batch):
        seen.append(len(batch))
        return np.zeros((len(batch), 2))

    rate = serving.batch_throughput(fake, np.zeros((10, 8, 8, 1)), batch_size=4, repeats=2)
    assert rate > 0
    assert seen == [4] + [4, 4, 2] * 2  # one warm-up batch, then two full passes
    with pytest.raises(ValueError, match="empty"):
        serving.batch_throughput(fake, np.zeros((0, 8, 8, 1)))
