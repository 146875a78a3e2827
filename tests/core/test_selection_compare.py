"""Comparison table from list_runs-shaped frames: latest per model, one split only, CSV."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from core.selection.compare import (
    SelectionError, check_same_split, comparison_table, fingerprints_from_tracker, quality_columns, to_csv,
)


def runs_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows as Tracker.list_runs returns them (metrics and params as columns)."""
    base = {"use_case": "vision", "dataset": "digits", "status": "completed", "device": "CPU", "seed": 0,
            "test_size": 360, "train_size": 1150, "num_classes": 10}
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame["started"] = pd.to_datetime(frame["started"])
    return frame


RUNS = [
    {"run_id": "r1", "model": "logreg", "model_kind": "sklearn", "started": "2026-01-01 10:00",
     "test_accuracy": 0.97, "test_macro_f1": 0.969, "train_seconds": 0.4, "parameters": 650,
     "model_size_bytes": 9_000, "latency_p50_ms": 0.08, "latency_p95_ms": 0.1, "peak_rss_mb": 300.0},
    {"run_id": "r2", "model": "cnn", "model_kind": "keras", "started": "2026-01-01 11:00",
     "test_accuracy": 0.95, "test_macro_f1": 0.95, "train_seconds": 20.0, "parameters": 60_000,
     "model_size_bytes": 800_000, "latency_p50_ms": 0.9, "latency_p95_ms": 1.4, "batch_throughput": 9000.0},
    {"run_id": "r3", "model": "cnn", "model_kind": "keras", "started": "2026-01-01 12:00",
     "test_accuracy": 0.972, "test_macro_f1": 0.971, "train_seconds": 22.0, "parameters": 60_000,
     "model_size_bytes": 800_000, "latency_p50_ms": 0.8, "latency_p95_ms": 1.2, "batch_throughput": 9500.0},
    {"run_id": "r4", "model": "mlp", "model_kind": "keras", "started": "2026-01-01 13:00", "status": "failed",
     "test_accuracy": 0.5},
]


def test_latest_completed_run_per_model_with_all_columns():
    table = comparison_table(runs_frame(RUNS), use_case="vision")
    assert list(table["model"]) == ["cnn", "logreg"]  # newest first; failed mlp left out
    cnn = table.iloc[0]
    assert cnn["run_id"] == "r3" and cnn["test_accuracy"] == 0.972 and cnn["kind"] == "keras"
    assert cnn["size_mb"] == pytest.approx(0.8)
    assert table.iloc[1]["kind"] == "sklearn" and pd.isna(table.iloc[1]["batch_throughput"])
    assert list(table["start"]) == ["scratch", "baseline"]
    assert cnn["num_classes"] == 10 and cnn["train_size"] == 1150
    assert pd.isna(cnn["peak_rss_mb"]) and table.iloc[1]["peak_rss_mb"] == 300.0
    for column in ("test_accuracy", "test_macro_f1", "train_seconds", "parameters", "size_mb", "latency_p50_ms",
                   "latency_p95_ms", "batch_throughput", "peak_rss_mb", "device", "run_id", "dataset_fingerprint"):
        assert column in table.columns


def test_all_runs_option_keeps_every_completed_run():
    table = comparison_table(runs_frame(RUNS), use_case="vision", latest_only=False)
    assert list(table["run_id"]) == ["r3", "r2", "r1"]


def test_quality_columns_primary_first():
    assert quality_columns("vision") == ["test_accuracy", "test_macro_f1"]


def test_no_runs_is_refused():
    with pytest.raises(SelectionError, match="press Benchmark all"):
        comparison_table(pd.DataFrame(), use_case="vision")
    only_failed = runs_frame([RUNS[3]])
    with pytest.raises(SelectionError, match="no completed runs"):
        comparison_table(only_failed, use_case="vision")


def test_different_seeds_are_refused_and_named():
    rows = [dict(RUNS[0]), {**RUNS[2], "seed": 1}]
    with pytest.raises(SelectionError, match=r"different test splits \(.*seed 1.*\).*one dataset and seed"):
        comparison_table(runs_frame(rows), use_case="vision")


def test_fingerprints_decide_the_split_and_can_select_one():
    frame = runs_frame(RUNS)
    prints = {"r1": "aaa", "r2": "aaa", "r3": "bbb"}
    with pytest.raises(SelectionError, match="digits, seed 0"):
        comparison_table(frame, use_case="vision", fingerprints=prints)
    table = comparison_table(frame, use_case="vision", fingerprints=prints, dataset_fingerprint="aaa")
    assert sorted(table["run_id"]) == ["r1", "r2"]


def test_check_same_split():
    assert check_same_split({"cnn": "x", "logreg": "x"}) == "x"
    with pytest.raises(SelectionError, match="cnn: .*logreg"):
        check_same_split({"cnn": "x", "logreg": "y"})


def test_fingerprints_from_tracker_reads_tags():
    from core.tracking.records import RunRecord

    class Tracker:
        def record(self, run_id):
            return RunRecord(run_id, fingerprint=f"fp-{run_id}" if run_id != "old" else "")

    assert fingerprints_from_tracker(Tracker(), ["a", "old"]) == {"a": "fp-a"}


def test_csv_round_trip():
    table = comparison_table(runs_frame(RUNS), use_case="vision")
    back = pd.read_csv(io.StringIO(to_csv(table)))
    assert list(back.columns) == list(table.columns)
    assert back["test_accuracy"].tolist() == [0.972, 0.97]


def test_starting_point_marks_pretrained_scratch_and_baseline_candidates():
    from core.selection.compare import starting_point

    assert starting_point("vision", "mobilenet_v3_small", "keras") == "pretrained"
    assert starting_point("vision", "efficientnet_v2_b0") == "pretrained"
    assert starting_point("nlp", "wordllama") == "pretrained"
    assert starting_point("vision", "cnn", "keras") == "scratch"
    assert starting_point("vision", "logreg", "sklearn") == "baseline"
    assert starting_point("vision", "imported", "keras") == "scratch"


def test_the_starting_point_a_run_recorded_comes_first_and_retired_models_are_read_from_their_kind():
    from core.selection.compare import starting_point

    assert starting_point("vision", "cnn", "keras", "pretrained") == "pretrained"  # what the run logged
    assert starting_point("vision", "retired_forest", "sklearn") == "baseline"
    assert starting_point("vision", "retired_net", "keras") == "scratch"
