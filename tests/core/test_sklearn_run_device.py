"""A scikit-learn run records the CPU it fitted on without importing TensorFlow (a cold import took tens of seconds
of a 5,000-image logistic regression under load, issue 25 item 9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import TrainingError

REPO_ROOT = Path(__file__).resolve().parents[2]

RUN = """
import json, os, sys
from core.tracking.store import tracker_from_settings
from core.training.pipeline import TrainingSpec, run_training
tracker = tracker_from_settings()
outcome = run_training(TrainingSpec("vision", "digits", "logreg"), tracker=tracker)
record = tracker.record(outcome.run_id)
print(json.dumps({"status": outcome.status, "device": record.device, "kind": record.device_kind,
                  "accuracy": outcome.metrics["test_accuracy"],
                  "heavy": sorted(m for m in ("tensorflow", "keras") if m in sys.modules)}))
"""


def test_a_logistic_regression_run_records_the_cpu_and_never_imports_tensorflow(tmp_path):
    env = {**os.environ, "STUDIO_DATA_DIR": str(tmp_path / "data"), "STUDIO_OFFLINE": "1",
           "STUDIO_DEVICE": "auto", "PYTHONPATH": str(REPO_ROOT)}
    completed = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, cwd=REPO_ROOT, env=env,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["status"] == "completed" and result["accuracy"] > 0.9
    assert result["kind"] == "CPU" and result["device"] == f"CPU ({os.cpu_count()} cores)"
    assert result["heavy"] == []


def test_the_cpu_device_still_names_a_misspelt_policy():
    from core.training.device import cpu_device

    assert cpu_device("gpu").kind == "CPU"  # an estimator fits on the CPU whatever the policy asks
    with pytest.raises(TrainingError) as caught:
        cpu_device("tpu")
    assert caught.value.key == "errors.training.bad_device_policy"
