"""The files every run stores beside its metrics, by name: written by the training pipeline, read by the pages,
model selection and the business case (which must not import core.training)."""

EVALUATION_FILE = "evaluation.json"  # test-set evaluation: scores, per-row predictions, latency
DATASET_FILE = "dataset.json"  # what the run trained on: source, provenance, sizes, fingerprint, loader arguments
MODEL_ARTIFACT = "model"  # folder of the saved model (.keras or .skops)
UPLOADS_ARTIFACT = "uploads"  # a shared server's copy of the run's uploaded file
