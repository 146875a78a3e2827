"""Tracked runs of an NLP use case as the studio logs them, an LLM's with the params, metrics and evaluation.json
fields of issue 22 (model_kind / starting_point "llm", hp_k, llm_cost_per_1000, test_invalid_rate, y_pred -1 with
confidence 0 where the answer was invalid, the "llm" section), written into a real MLflow store by the Tracker.

Shared by tests/core/test_{selection,business,strategy}_llm*.py and the page tests of Model selection and Strategy.
"""

from __future__ import annotations

from typing import Any

from core.tracking.records import TAG_FINGERPRINT
from core.tracking.run_files import EVALUATION_FILE

FINGERPRINT = "f" * 40
Y_TRUE = [0, 1] * 10  # 20 test rows, two classes

# Per-row answers on the 20 test rows: the baseline gets 14 right, the zero-shot LLM 16 (2 invalid: -1), the
# 8-shot LLM 18 (1 invalid); invalid answers carry confidence 0.
BASELINE_PRED = [0, 1] * 7 + [1, 0] * 3
ZERO_SHOT_PRED = [0, 1] * 8 + [-1, 0, -1, 0]
EIGHT_SHOT_PRED = [0, 1] * 9 + [-1, 0]


def accuracy(pred: list[int]) -> float:
    return sum(p == t for p, t in zip(pred, Y_TRUE)) / len(Y_TRUE)


def evaluation(pred: list[int], *, cost_per_1000: float | None = None, k: int = 0) -> dict[str, Any]:
    confidence = [0.0 if p < 0 else (0.99 if p == t else 0.6) for p, t in zip(pred, Y_TRUE)]
    stored: dict[str, Any] = {"y_true": list(Y_TRUE), "y_pred": list(pred), "confidence": confidence,
                              "dataset_fingerprint": FINGERPRINT,
                              "validation": {"y_true": list(Y_TRUE), "y_pred": list(pred), "confidence": confidence}}
    if cost_per_1000 is not None:
        invalid = sum(p < 0 for p in pred)
        stored["llm"] = {"model_name": "tiny", "transport": "endpoint", "k": k, "prompt": "Review: ...",
                         "prices": {"input_per_million": 0.15, "output_per_million": 0.6}, "items": len(pred),
                         "invalid_answers": invalid, "cost_per_1000": cost_per_1000, "spent": 0.01,
                         "cached_answers": 0, "sampled": False, "sample_size": None}
    return stored


def log_baseline(tracker: Any, *, use_case: str = "nlp", model: str = "tfidf_logreg") -> str:
    """A completed scikit-learn baseline run with the measurements a trained model logs."""
    run_id = tracker.start_run(use_case=use_case, dataset="imdb_sample", model=model,
                               params={"model_kind": "sklearn", "starting_point": "baseline", "seed": 0,
                                       "train_size": 1600, "test_size": len(Y_TRUE)},
                               tags={TAG_FINGERPRINT: FINGERPRINT, "studio.device": "CPU (2 cores)"})
    tracker.log_metrics(run_id, {"test_accuracy": accuracy(BASELINE_PRED), "test_macro_f1": 0.7,
                                 "train_seconds": 1.5, "parameters": 20002.0, "model_size_bytes": 250_000.0,
                                 "latency_p50_ms": 0.4, "samples_per_second": 9000.0})
    tracker.log_dict(run_id, evaluation(BASELINE_PRED), EVALUATION_FILE)
    tracker.finish(run_id, "completed")
    return run_id


def log_llm(tracker: Any, *, k: int, pred: list[int], cost_per_1000: float, use_case: str = "nlp",
            model: str = "llm_endpoint") -> str:
    """A completed LLM run as issue 22 logs it: no parameters, size or training time."""
    invalid = sum(p < 0 for p in pred)
    run_id = tracker.start_run(
        use_case=use_case, dataset="imdb_sample", model=model,
        params={"model_kind": "llm", "starting_point": "llm", "seed": 0, "train_size": 1600, "test_size": len(Y_TRUE),
                "hp_k": k, "hp_transport": "endpoint", "hp_model": "gpt-4o-mini", "hp_base_url": "http://127.0.0.1:9/v1",
                "hp_template": "Review: {text}", "hp_prices_in": 0.15, "hp_prices_out": 0.6, "hp_budget": "None",
                "hp_test_sample": "None"},
        tags={TAG_FINGERPRINT: FINGERPRINT, "studio.device": "CPU (2 cores)"})
    tracker.log_metrics(run_id, {"test_accuracy": accuracy(pred), "test_macro_f1": accuracy(pred) - 0.01,
                                 "test_invalid_rate": invalid / len(pred), "test_invalid_answers": float(invalid),
                                 "llm_cost_per_1000": cost_per_1000, "llm_spent": 0.01, "test_items": float(len(pred)),
                                 "llm_tokens_in_per_item": 120.0, "llm_tokens_out_per_item": 4.0,
                                 "llm_cached_answers": 0.0, "latency_p50_ms": 310.0, "latency_p95_ms": 720.0})
    tracker.log_dict(run_id, evaluation(pred, cost_per_1000=cost_per_1000, k=k), EVALUATION_FILE)
    tracker.finish(run_id, "completed")
    return run_id


def log_all(tracker: Any) -> dict[str, str]:
    """Baseline, LLM zero-shot (cost 2.5 per 1,000) and LLM 8-shot (cost 4.0 per 1,000), in that order."""
    return {"baseline": log_baseline(tracker),
            "zero": log_llm(tracker, k=0, pred=ZERO_SHOT_PRED, cost_per_1000=2.5),
            "eight": log_llm(tracker, k=8, pred=EIGHT_SHOT_PRED, cost_per_1000=4.0)}
