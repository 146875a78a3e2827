"""Deployment readiness: SavedModel and TFLite (float32, dynamic int8) exports compared side by side; TensorFlow loaded lazily."""

from core.deployment.export import (
    FORMATS,
    QUANTIZATIONS,
    DeploymentError,
    deployment_report,
    export_savedmodel,
    export_tflite,
    interpreter_backend,
    savedmodel_predict_fn,
    tflite_predict_fn,
)

__all__ = [
    "FORMATS", "QUANTIZATIONS", "DeploymentError", "deployment_report", "export_savedmodel", "export_tflite",
    "interpreter_backend", "savedmodel_predict_fn", "tflite_predict_fn",
]
