"""Which stored runs a business case reads: the evidence run, the baseline on the same data, compact arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.business.evidence import collect, compact, evaluation_loader, evidence_run_id, find_baseline
from core.errors import TrackingError


class Tracker:
    def __init__(self, stored):
        self.stored = stored

    def load_dict(self, run_id, filename):
        assert filename == "evaluation.json"
        if run_id not in self.stored:
            raise TrackingError("errors.tracking.artifact_missing", run_id=run_id, path=filename)
        return self.stored[run_id]


RUNS = pd.DataFrame([
    {"run_id": "pop-other", "use_case": "recommendation", "model": "popularity", "status": "completed",
     "test_hit_rate_at_10": 0.05},
    {"run_id": "pop-same", "use_case": "recommendation", "model": "popularity", "status": "completed",
     "test_hit_rate_at_10": 0.07},
    {"run_id": "mf", "use_case": "recommendation", "model": "mf", "status": "completed", "test_hit_rate_at_10": 0.12},
    {"run_id": "bias", "use_case": "recommendation", "model": "bias", "status": "completed", "test_hit_rate_at_10": 0.03},
    {"run_id": "sc-failed", "use_case": "finance", "model": "scorecard", "status": "failed"},
])
STORED = {"pop-other": {"ranks": [1, 2], "dataset_fingerprint": "B"},
          "pop-same": {"ranks": [3, 40], "dataset_fingerprint": "A", "rmse": 1.0},
          "mf": {"ranks": [1, 5], "dataset_fingerprint": "A", "validation": {"y_true": [1], "scores": [0.2]}},
          "bias": {"ranks": [9, 9], "dataset_fingerprint": "A"}}


def test_the_baseline_is_the_newest_completed_one_on_the_same_data():
    load = evaluation_loader(Tracker(STORED))
    run_id, baseline = find_baseline(RUNS, "recommendation", {"dataset_fingerprint": "A"}, load)
    assert run_id == "pop-same" and list(baseline["ranks"]) == [3, 40] and "rmse" not in baseline
    assert find_baseline(RUNS, "finance", {"dataset_fingerprint": "A"}, load) == ("", None)  # the scorecard failed
    assert find_baseline(RUNS, "vision", {}, load) == ("", None)  # no baseline model for images


def test_recommendation_is_valued_on_its_best_hit_rate_run_and_missing_files_are_none():
    assert evidence_run_id(RUNS, "recommendation", "bias") == "mf"  # bias has the best RMSE, mf the best HitRate
    assert evidence_run_id(RUNS, "finance", "gbm") == "gbm"

    class Best:
        run_id = "bias"

    found = collect(RUNS, {"recommendation": Best(), "custom_1": Best()}, evaluation_loader(Tracker(STORED)))
    assert list(found) == ["recommendation"]
    assert found["recommendation"].run_id == "mf" and found["recommendation"].baseline_run_id == "pop-same"
    assert evaluation_loader(Tracker({}))("gone") is None


def test_compact_keeps_rows_as_arrays_and_the_validation_split():
    kept = compact({"y_true": [0, 1], "confidence": [0.9, 0.6], "accuracy": 0.5, "dataset_fingerprint": "f",
                    "validation": {"y_true": [1], "y_pred": [1], "confidence": [0.7]}})
    assert set(kept) == {"y_true", "confidence", "dataset_fingerprint", "validation"}
    assert isinstance(kept["confidence"], np.ndarray) and list(kept["validation"]["y_pred"]) == [1]
