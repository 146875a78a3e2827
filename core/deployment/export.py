"""Deployment readiness: export a Keras model to SavedModel and TFLite (float32, dynamic-range int8) and compare.

Each format is measured the same way (file size on disk, single-sample p50/p95 latency via
core.evaluation.serving.measure_latency, test accuracy, largest probability gap to Keras), so a
candidate's deployment cost and quality loss sit side by side. TensorFlow is imported lazily.

TFLite interpreter: TF 2.21 still ships tf.lite.Interpreter but marks it deprecated in favour of
the ai-edge-litert package; ai_edge_litert.interpreter.Interpreter is used when installed, else
tf.lite.Interpreter (its deprecation warning silenced), else DeploymentError.
"""

from __future__ import annotations

import os
import shutil
import threading
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

from core.evaluation.serving import measure_latency, predict_proba, serving_function
from core.i18n import StudioError
from core.models.io import is_keras_model, model_size_bytes, save_model

FORMATS = ("keras", "savedmodel", "tflite_float32", "tflite_dynamic_int8")
QUANTIZATIONS = ("float32", "dynamic_int8")
SAVEDMODEL_DIRNAME = "savedmodel"
KERAS_DIRNAME = "keras"
RELOAD_TOLERANCE = 1e-5
_CHUNK = 256  # largest batch handed to the TFLite interpreter at once


class DeploymentError(StudioError):
    """A model cannot be exported, converted or run in a deployment format."""


def _short(error: BaseException, limit: int = 160) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _require_keras(model: Any) -> None:
    if not is_keras_model(model):
        raise DeploymentError("errors.deployment.not_keras", kind=type(model).__name__)


def _probe_input(model: Any, n: int = 4) -> np.ndarray:
    """A fixed pseudo-random float32 batch shaped like the model's input, for equality checks."""
    shape = tuple(int(size) for size in model.inputs[0].shape[1:])
    return np.random.default_rng(0).random((n, *shape), dtype=np.float32)


def _keras_probabilities(model: Any, x: np.ndarray) -> np.ndarray:
    return np.asarray(predict_proba(model, x), dtype=np.float32)


# --- SavedModel -----------------------------------------------------------------------------

def export_savedmodel(model: Any, directory: str | os.PathLike) -> Path:
    """Write model as a serving SavedModel at directory/savedmodel, reload it and check it matches Keras."""
    _require_keras(model)
    path = Path(directory) / SAVEDMODEL_DIRNAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            shutil.rmtree(path)  # only the folder this function owns; a stale export must not mix in
        _export_inference_archive(model, path)
    except Exception as error:  # noqa: BLE001 - TF/Keras raise many types; all mean "no export"
        raise DeploymentError("errors.deployment.export_failed", detail=_short(error)) from error
    probe = _probe_input(model)
    reloaded = savedmodel_predict_fn(path)(probe)
    difference = float(np.max(np.abs(reloaded - _keras_probabilities(model, probe))))
    if not difference <= RELOAD_TOLERANCE:
        raise DeploymentError("errors.deployment.reload_mismatch", difference=f"{difference:.2e}",
                              tolerance=f"{RELOAD_TOLERANCE:.0e}")
    return path


def _export_inference_archive(model: Any, path: Path) -> None:
    """A SavedModel whose 'serve' endpoint calls the model with training=False.

    Keras's default `model.export` traced the regularised CNN with its augmentation layers
    active (probabilities off by 0.35 after reload); an explicit inference endpoint is exact.
    """
    import keras
    import tensorflow as tf

    archive = keras.export.ExportArchive()
    archive.track(model)
    signature = tf.TensorSpec((None, *model.input_shape[1:]), tf.float32, name="inputs")
    archive.add_endpoint(name="serve", fn=lambda inputs: model(inputs, training=False), input_signature=[signature])
    archive.write_out(str(path), verbose=False)


def _load_savedmodel(path: str | os.PathLike) -> Callable:
    """The 'serve' endpoint of a SavedModel folder written by export_savedmodel."""
    import tensorflow as tf

    path = Path(path)
    if not (path / "saved_model.pb").is_file():
        raise DeploymentError("errors.deployment.not_found", path=str(path))
    try:
        loaded = tf.saved_model.load(str(path))
    except Exception as error:  # noqa: BLE001
        raise DeploymentError("errors.deployment.load_failed", name=path.name, detail=_short(error)) from error
    serve = getattr(loaded, "serve", None) or loaded.signatures.get("serving_default")
    if serve is None:
        raise DeploymentError("errors.deployment.load_failed", name=path.name, detail="no 'serve' endpoint")
    serve._studio_owner = loaded  # keep the restored object (and its variables) alive with the function
    return serve


def savedmodel_predict_fn(path: str | os.PathLike) -> Callable[[np.ndarray], np.ndarray]:
    """callable(x float32 (n, ...)) -> probabilities (n, k) from a reloaded SavedModel."""
    serve = _load_savedmodel(path)

    def predict(x) -> np.ndarray:
        result = serve(np.asarray(x, dtype=np.float32))
        if isinstance(result, dict):  # serving_default returns {"output_0": ...}
            result = next(iter(result.values()))
        return np.asarray(result.numpy() if hasattr(result, "numpy") else result, dtype=np.float32)

    predict.serve = serve  # the raw traced endpoint, for latency without the NumPy wrapper
    return predict


# --- TFLite ---------------------------------------------------------------------------------

def export_tflite(model: Any, directory: str | os.PathLike, *, quantization: str = "float32",
                  saved_model_dir: str | os.PathLike | None = None) -> Path:
    """Convert model to directory/model_<quantization>.tflite; dynamic_int8 stores weights as int8.

    saved_model_dir: reuse a SavedModel from export_savedmodel instead of exporting a fresh one.
    """
    if quantization not in QUANTIZATIONS:
        raise DeploymentError("errors.deployment.bad_quantization", value=str(quantization),
                              choices=", ".join(QUANTIZATIONS))
    _require_keras(model)
    import tempfile

    import tensorflow as tf

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"model_{quantization}.tflite"
    with tempfile.TemporaryDirectory(prefix="studio-tflite-") as scratch:
        source = Path(saved_model_dir) if saved_model_dir is not None else export_savedmodel(model, scratch)
        try:
            converter = tf.lite.TFLiteConverter.from_saved_model(str(source))
            if quantization == "dynamic_int8":
                converter.optimizations = [tf.lite.Optimize.DEFAULT]  # no representative data: dynamic range
            flatbuffer = converter.convert()
        except Exception as error:  # noqa: BLE001 - the converter raises many types
            raise DeploymentError("errors.deployment.convert_failed", quantization=quantization,
                                  detail=_short(error)) from error
    path.write_bytes(flatbuffer)
    return path


def interpreter_backend() -> str:
    """Which TFLite interpreter this machine runs: "ai_edge_litert" or "tensorflow.lite"."""
    return _interpreter_class()[1]


def _interpreter_class() -> tuple[type, str]:
    try:
        from ai_edge_litert.interpreter import Interpreter  # the maintained LiteRT runtime

        return Interpreter, "ai_edge_litert"
    except ImportError:
        pass
    try:
        import tensorflow as tf

        interpreter = getattr(getattr(tf, "lite", None), "Interpreter", None)
    except ImportError:
        interpreter = None
    if interpreter is None:
        raise DeploymentError("errors.deployment.interpreter_missing")
    return interpreter, "tensorflow.lite"


class TFLitePredictor:
    """callable(x float32 (n, ...) or one sample) -> probabilities (n, k) from a .tflite file; thread-safe."""

    def __init__(self, path: str | os.PathLike):
        path = Path(path)
        if not path.is_file():
            raise DeploymentError("errors.deployment.not_found", path=str(path))
        interpreter_class, self.backend = _interpreter_class()
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
                self._interpreter = interpreter_class(model_path=str(path))
            self._interpreter.allocate_tensors()
        except Exception as error:  # noqa: BLE001 - a bad flatbuffer raises ValueError/RuntimeError
            raise DeploymentError("errors.deployment.load_failed", name=path.name, detail=_short(error)) from error
        (inputs,), (outputs,) = self._interpreter.get_input_details(), self._interpreter.get_output_details()
        self._input_index, self._output_index = inputs["index"], outputs["index"]
        self.sample_shape = tuple(int(size) for size in inputs["shape"][1:])
        self.num_classes = int(outputs["shape"][-1])
        self._batch = int(inputs["shape"][0])
        self._lock = threading.Lock()

    def _run(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) != self._batch:  # resizing costs an allocation: only when the batch size changes
            self._interpreter.resize_tensor_input(self._input_index, [len(batch), *self.sample_shape])
            self._interpreter.allocate_tensors()
            self._batch = len(batch)
        self._interpreter.set_tensor(self._input_index, batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output_index)  # a copy, safe after the next invoke

    def __call__(self, x) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.shape == self.sample_shape:
            x = x[np.newaxis]
        if x.shape[1:] != self.sample_shape:
            raise DeploymentError("errors.deployment.input_shape", expected=str(self.sample_shape),
                                  got=str(tuple(x.shape[1:])))
        if len(x) == 0:
            return np.zeros((0, self.num_classes), dtype=np.float32)
        with self._lock:
            if len(x) <= _CHUNK:
                return np.asarray(self._run(x), dtype=np.float32)
            parts = [self._run(x[begin:begin + _CHUNK]) for begin in range(0, len(x), _CHUNK)]
        return np.concatenate(parts, axis=0).astype(np.float32, copy=False)


def tflite_predict_fn(path: str | os.PathLike) -> Callable[[np.ndarray], np.ndarray]:
    """callable(x float32 (n, ...)) -> probabilities (n, k) running a .tflite file in the TFLite interpreter."""
    return TFLitePredictor(path)


# --- Side-by-side report --------------------------------------------------------------------

def _check_test_data(model: Any, x_test: Any, y_test: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x_test, dtype=np.float32)
    y = np.asarray(y_test).reshape(-1)
    if len(x) == 0 or len(x) != len(y):
        raise DeploymentError("errors.deployment.bad_test_data", n_x=len(x), n_y=len(y))
    expected = tuple(int(size) for size in model.inputs[0].shape[1:])
    if tuple(x.shape[1:]) != expected:
        raise DeploymentError("errors.deployment.input_shape", expected=str(expected), got=str(tuple(x.shape[1:])))
    return x, y.astype(np.int64)


def deployment_report(model: Any, x_test: Any, y_test: Any, *, directory: str | os.PathLike,
                      latency_repeats: int = 200) -> list[dict[str, Any]]:
    """One row per format (keras, savedmodel, tflite_float32, tflite_dynamic_int8): size, latency, quality vs Keras.

    Row keys: format, path, size_bytes, latency_p50_ms, latency_p95_ms (one sample at a time),
    accuracy (on x_test/y_test), accuracy_delta (vs keras), max_probability_difference (vs keras).
    The keras row is the .keras file as the app saves it, optimizer state (Adam moments) included.
    """
    _require_keras(model)
    if isinstance(latency_repeats, bool) or not isinstance(latency_repeats, (int, np.integer)) or latency_repeats < 1:
        raise DeploymentError("errors.deployment.bad_repeats", value=latency_repeats)
    x, y = _check_test_data(model, x_test, y_test)

    directory = Path(directory)
    keras_path = save_model(model, directory / KERAS_DIRNAME)
    saved_path = export_savedmodel(model, directory)
    float_path = export_tflite(model, directory, quantization="float32", saved_model_dir=saved_path)
    int8_path = export_tflite(model, directory, quantization="dynamic_int8", saved_model_dir=saved_path)

    saved_predict = savedmodel_predict_fn(saved_path)
    candidates = [
        ("keras", keras_path, serving_function(model), lambda batch: _keras_probabilities(model, batch)),
        ("savedmodel", saved_path, saved_predict.serve, saved_predict),
        ("tflite_float32", float_path, None, tflite_predict_fn(float_path)),
        ("tflite_dynamic_int8", int8_path, None, tflite_predict_fn(int8_path)),
    ]
    warmup = min(20, int(latency_repeats))
    rows: list[dict[str, Any]] = []
    reference: np.ndarray | None = None
    for name, path, latency_fn, predict in candidates:
        probabilities = np.asarray(predict(x), dtype=np.float32)
        if reference is None:
            reference = probabilities
        accuracy = float(np.mean(np.argmax(probabilities, axis=1) == y))
        latency = measure_latency(latency_fn or predict, x[:1], warmup=warmup, repeats=int(latency_repeats))
        rows.append({
            "format": name,
            "path": str(path),
            "size_bytes": int(model_size_bytes(path)),
            "latency_p50_ms": latency["p50_ms"],
            "latency_p95_ms": latency["p95_ms"],
            "accuracy": accuracy,
            "accuracy_delta": accuracy - float(rows[0]["accuracy"]) if rows else 0.0,
            "max_probability_difference": float(np.max(np.abs(probabilities - reference))),
        })
    return rows
