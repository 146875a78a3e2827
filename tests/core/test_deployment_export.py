"""SavedModel and TFLite exports of a trained digits CNN match Keras, int8 shrinks the file, errors name the fix."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from core.deployment import (
    FORMATS,
    DeploymentError,
    deployment_report,
    export_savedmodel,
    export_tflite,
    interpreter_backend,
    savedmodel_predict_fn,
    tflite_predict_fn,
)
from core.i18n import translate


@pytest.fixture(scope="session")
def digits():
    from core.usecases.vision.data import load_digits_dataset

    return load_digits_dataset(seed=0)


@pytest.fixture(scope="session")
def trained_cnn(digits):
    from core.training.runner import TrainConfig, fit_keras
    from core.usecases.vision.models import build_cnn

    keras.utils.set_random_seed(0)
    model = build_cnn(digits.input_shape, digits.num_classes)
    fit_keras(model, digits.x_train, digits.y_train, digits.x_val, digits.y_val,
              TrainConfig(epochs=3, batch_size=64, seed=0))
    return model


@pytest.fixture(scope="session")
def report(trained_cnn, digits, tmp_path_factory):
    directory = tmp_path_factory.mktemp("deployment")
    return deployment_report(trained_cnn, digits.x_test, digits.y_test, directory=directory, latency_repeats=30)


@pytest.mark.slow
def test_report_has_one_row_per_format_with_measured_values(report, trained_cnn, digits):
    assert [row["format"] for row in report] == list(FORMATS)
    keras_row = report[0]
    expected = float(np.mean(trained_cnn(digits.x_test, training=False).numpy().argmax(axis=1) == digits.y_test))
    assert keras_row["accuracy"] == pytest.approx(expected)
    assert keras_row["accuracy"] > 0.8  # 3 epochs on digits: a real model, not chance (0.1)
    assert keras_row["accuracy_delta"] == 0.0 and keras_row["max_probability_difference"] == 0.0
    for row in report:
        assert 0 < row["latency_p50_ms"] <= row["latency_p95_ms"] < 1000
        assert row["size_bytes"] > 10_000
        assert row["accuracy_delta"] == pytest.approx(row["accuracy"] - keras_row["accuracy"])
        assert abs(row["accuracy_delta"]) <= 0.01, row  # every format within 1 percentage point of Keras


@pytest.mark.slow
def test_float_tflite_and_savedmodel_match_keras_int8_is_close(report):
    by_format = {row["format"]: row for row in report}
    assert by_format["savedmodel"]["max_probability_difference"] <= 1e-5
    assert by_format["tflite_float32"]["max_probability_difference"] <= 1e-4
    # int8 weights perturb probabilities visibly but not wildly
    assert 1e-5 < by_format["tflite_dynamic_int8"]["max_probability_difference"] < 0.1


@pytest.mark.slow
def test_int8_file_is_under_half_the_float_file(report):
    by_format = {row["format"]: row["size_bytes"] for row in report}
    assert by_format["tflite_dynamic_int8"] / by_format["tflite_float32"] < 0.5
    # the float file holds every float32 weight: at least 4 bytes per parameter
    assert by_format["tflite_float32"] >= 4 * 40_000


@pytest.mark.slow
def test_savedmodel_reloads_with_same_probabilities(trained_cnn, digits, tmp_path):
    path = export_savedmodel(trained_cnn, tmp_path)
    assert (path / "saved_model.pb").is_file()
    import tensorflow as tf

    reloaded = tf.saved_model.load(str(path))
    x = digits.x_test[:16]
    np.testing.assert_allclose(reloaded.serve(x).numpy(), trained_cnn(x, training=False).numpy(), atol=1e-5, rtol=0)
    np.testing.assert_allclose(savedmodel_predict_fn(path)(x), trained_cnn(x, training=False).numpy(),
                               atol=1e-5, rtol=0)


@pytest.mark.slow  # needs the deployment report: SavedModel and two TFLite conversions of a trained CNN
def test_tflite_predictor_single_sample_batches_and_chunks(report, trained_cnn, digits):
    path = next(row["path"] for row in report if row["format"] == "tflite_float32")
    predict = tflite_predict_fn(path)
    x = digits.x_test
    expected = trained_cnn(x, training=False).numpy()
    one = predict(x[0])  # a bare sample becomes a batch of one
    assert one.shape == (1, 10) and one.dtype == np.float32
    np.testing.assert_allclose(one[0], expected[0], atol=1e-4, rtol=0)
    assert len(x) > 256  # crosses the 256-sample chunk boundary
    np.testing.assert_allclose(predict(x), expected, atol=1e-4, rtol=0)
    np.testing.assert_allclose(predict(x[:3]), expected[:3], atol=1e-4, rtol=0)  # resize back down
    assert predict(x[:0]).shape == (0, 10)
    with pytest.raises(DeploymentError, match=r"expects samples shaped \(8, 8, 1\)"):
        predict(np.zeros((2, 28, 28, 1), dtype=np.float32))
    assert interpreter_backend() in ("ai_edge_litert", "tensorflow.lite")


def test_error_paths(trained_cnn, digits, tmp_path):
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(DeploymentError, match="needs a Keras model, but this is a LogisticRegression"):
        export_savedmodel(LogisticRegression(), tmp_path)
    with pytest.raises(DeploymentError, match="Unknown quantisation 'int4'. Use one of: float32, dynamic_int8"):
        export_tflite(trained_cnn, tmp_path, quantization="int4")
    with pytest.raises(DeploymentError, match="No exported model at"):
        tflite_predict_fn(tmp_path / "missing.tflite")
    with pytest.raises(DeploymentError, match="No exported model at"):
        savedmodel_predict_fn(tmp_path / "missing")
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a flatbuffer")
    with pytest.raises(DeploymentError, match="Cannot open the exported model broken.tflite"):
        tflite_predict_fn(broken)
    with pytest.raises(DeploymentError, match="3 samples but 2 labels"):
        deployment_report(trained_cnn, digits.x_test[:3], digits.y_test[:2], directory=tmp_path)
    with pytest.raises(DeploymentError, match=r"expects samples shaped \(8, 8, 1\) but got \(28, 28, 1\)"):
        deployment_report(trained_cnn, np.zeros((2, 28, 28, 1)), np.zeros(2), directory=tmp_path)
    with pytest.raises(DeploymentError, match="latency_repeats must be a whole number of at least 1, got 0"):
        deployment_report(trained_cnn, digits.x_test[:3], digits.y_test[:3], directory=tmp_path, latency_repeats=0)
    assert not list(tmp_path.glob("keras")), "a refused report must not write files"


def test_interpreter_missing_is_a_clear_error(monkeypatch, tmp_path):
    import sys

    import tensorflow as tf

    from core.deployment import export as module

    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)  # import fails
    monkeypatch.setattr(tf.lite, "Interpreter", None)
    with pytest.raises(DeploymentError, match="No TFLite interpreter is installed.*pip install ai-edge-litert"):
        module.interpreter_backend()
    path = tmp_path / "model.tflite"
    path.write_bytes(b"x")
    with pytest.raises(DeploymentError, match="No TFLite interpreter"):
        tflite_predict_fn(path)


def test_labels_exist_in_both_languages():
    for lang in ("en", "zh"):
        for name in FORMATS:
            assert translate(f"deployment.formats.{name}", lang) != f"deployment.formats.{name}"
        for column in ("format", "size_bytes", "latency_p50_ms", "latency_p95_ms", "accuracy", "accuracy_delta",
                       "max_probability_difference"):
            assert translate(f"deployment.columns.{column}", lang) != f"deployment.columns.{column}"
    assert "int8" in translate("deployment.formats.tflite_dynamic_int8", "zh")


@pytest.mark.slow
def test_a_model_with_augmentation_layers_exports_its_inference_behaviour(digits, tmp_path):
    """Augmentation and batch norm must be in inference mode in the SavedModel (Keras's default export was not)."""
    from core.training.runner import TrainConfig, fit_keras
    from core.usecases.vision.models import build_cnn_regularised

    model = build_cnn_regularised(digits.input_shape, digits.num_classes)
    fit_keras(model, digits.x_train, digits.y_train, digits.x_val, digits.y_val, TrainConfig(epochs=1))
    path = export_savedmodel(model, tmp_path)  # raises reload_mismatch if the export differs from Keras
    probabilities = savedmodel_predict_fn(path)(digits.x_test[:32])
    expected = np.asarray(model(digits.x_test[:32], training=False))
    assert np.max(np.abs(probabilities - expected)) <= 1e-5
