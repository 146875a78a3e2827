"""Pretrained vs from scratch vs baseline per use case, from measured runs and learning-curve points."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from core.strategy.evidence import measured_from_runs
from core.strategy.starting_points import compare_starting_points, start_of, starting_point_rows

REPO_ROOT = Path(__file__).resolve().parents[2]


def runs_frame() -> pd.DataFrame:
    rows = [
        # use case, model, kind, status, metric value, parameters, size bytes, p50 ms, train s, train size
        ("nlp", "tfidf_logreg", "sklearn", "completed", 0.814, None, 6e6, 3.5, 16.1, 3600),
        ("nlp", "fasttext", "keras", "completed", 0.805, 1_280_130, 5.2e6, 7.1, 47.0, 3600),
        ("nlp", "cnn", "keras", "completed", 0.79, 900_000, 3.6e6, 9.0, 80.0, 3600),
        ("nlp", "wordllama", "keras", "completed", 0.794, 3_636_930, 14.6e6, 2.5, 98.7, 3600),
        ("nlp", "wordllama", "keras", "failed", 0.99, 3_636_930, 14.6e6, 2.5, 98.7, 3600),
        ("recommendation", "bias", "sklearn", "completed", 0.95, 10_000, 1e5, 0.1, 1.0, 71519),
        ("recommendation", "mf", "keras", "completed", 0.90, 500_000, 2e6, 1.0, 30.0, 71519),
        ("recommendation", "ncf", "keras", "completed", 0.93, 800_000, 3e6, 1.5, 60.0, 71519),
    ]
    frame = pd.DataFrame(rows, columns=["use_case", "model", "model_kind", "status", "metric", "parameters",
                                        "model_size_bytes", "latency_p50_ms", "train_seconds", "train_size"])
    frame["run_id"] = [f"run{index:05d}abcdef" for index in range(len(frame))]
    frame["test_accuracy"] = frame["metric"].where(frame["use_case"] == "nlp")
    frame["test_rmse"] = frame["metric"].where(frame["use_case"] == "recommendation")
    return frame.drop(columns="metric")


def curve_frame() -> pd.DataFrame:
    # the newest nlp curve (c2): wordllama within 1 point of its best from 900 examples, fasttext only at 3,600
    rows = [("c2", "nlp", "wordllama", 360, 0.70), ("c2", "nlp", "wordllama", 900, 0.787),
            ("c2", "nlp", "wordllama", 3600, 0.794), ("c2", "nlp", "fasttext", 900, 0.70),
            ("c2", "nlp", "fasttext", 3600, 0.805), ("c1", "nlp", "wordllama", 360, 0.2)]
    return pd.DataFrame(rows, columns=["curve_id", "use_case", "model", "train_size", "test_accuracy"])


METRICS = {"nlp": "test_accuracy", "recommendation": "test_rmse", "vision": "test_accuracy"}


def test_each_starting_point_keeps_its_best_completed_run():
    comparison = compare_starting_points(runs_frame(), METRICS, curve_frame())
    assert set(comparison) == {"nlp", "recommendation"}  # vision has no runs
    nlp = {point.start: point for point in comparison["nlp"]}
    assert [point.start for point in comparison["nlp"]] == ["pretrained", "scratch", "baseline"]
    assert nlp["pretrained"].model == "wordllama" and nlp["pretrained"].value == 0.794  # the failed 0.99 is ignored
    assert nlp["scratch"].model == "fasttext"  # 0.805 beats the CNN's 0.79
    assert nlp["baseline"].model == "tfidf_logreg" and nlp["baseline"].parameters is None
    assert nlp["pretrained"].size_mb == 14.6 and nlp["pretrained"].latency_p50_ms == 2.5
    assert nlp["pretrained"].train_size == 3600
    assert nlp["pretrained"].examples_needed == 900 and nlp["scratch"].examples_needed == 3600
    assert not nlp["pretrained"].still_improving and nlp["scratch"].still_improving  # best only at the largest size
    assert nlp["baseline"].examples_needed is None  # not on the curve
    rating = {point.start: point.model for point in comparison["recommendation"]}
    assert rating == {"scratch": "mf", "baseline": "bias"}  # RMSE: lower is better, mf 0.90 beats ncf 0.93


def test_rows_read_in_english_and_chinese():
    comparison = compare_starting_points(runs_frame(), {"nlp": "test_accuracy"}, curve_frame())
    rows = starting_point_rows(comparison, "en", {"nlp": "Customer reviews"})
    assert [row["Starting point"] for row in rows] == ["pretrained", "from scratch", "baseline"]
    assert rows[0]["Use case"] == "Customer reviews" and rows[0]["Quality (test split)"] == "accuracy 79.40%"
    assert rows[0]["Labelled examples needed"] == "900" and rows[2]["Parameters"] == "-"
    assert rows[1]["Labelled examples needed"] == "≥ 3,600 (still improving)" and rows[2]["Labelled examples needed"] == "-"
    assert rows[1]["Training time (s)"] == "47.0" and rows[1]["Parameters"] == "1,280,130"
    chinese = starting_point_rows(comparison, "zh")
    assert [row["起点"] for row in chinese] == ["预训练", "从零训练", "基线"]


def test_the_strategy_evidence_marks_where_the_best_run_started():
    measured = measured_from_runs(runs_frame(), {"nlp": "test_accuracy", "recommendation": "test_rmse"})
    assert measured["nlp"].model == "tfidf_logreg" and measured["nlp"].start == "baseline"
    assert measured["recommendation"].model == "mf" and measured["recommendation"].start == "scratch"
    assert start_of("vision", "mobilenet_v3_small") == "pretrained" and start_of("nope", "x") == ""


def test_the_comparison_never_imports_tensorflow_or_training():
    code = ("import sys, json\n"
            "import core.strategy.starting_points, core.selection.learning_curve, dashboard.pretrained_views\n"
            "core.strategy.starting_points.start_of('nlp', 'wordllama')\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras') "
            "or m.startswith('core.training'))))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
