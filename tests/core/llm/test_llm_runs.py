"""LLM candidates through the real training pipeline: a tiny GGUF model run by llama.cpp in-process, and the same
file behind llama-cpp-python's OpenAI-compatible server, on the bundled English reviews. The tiny model's answers
are chance by construction: these tests check what is measured and recorded, never its quality."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

pytest.importorskip("llama_cpp")

from core.config import get_settings  # noqa: E402
from core.data.cache import load_dataset  # noqa: E402
from core.errors import StudioError  # noqa: E402
from core.tracking.run_files import EVALUATION_FILE  # noqa: E402
from core.training.pipeline import TrainingSpec, run_training  # noqa: E402
from core.training.saved_runs import load_run_model, reevaluate_run  # noqa: E402

SECRET = "sk-test-0123456789-never-logged"
SAMPLE = 24


def _spec(candidate: str, **params) -> TrainingSpec:
    return TrainingSpec("nlp", "en_reviews", candidate, candidate_params={"test_sample": SAMPLE, **params})


def test_a_local_gguf_model_is_measured_and_recorded_like_any_candidate(tracker, tiny_gguf):
    reports = []
    outcome = run_training(_spec("llm_local", model=str(tiny_gguf), k=2), tracker=tracker, report=reports.append)
    assert outcome.status == "completed"
    metrics = outcome.metrics
    assert 0.0 <= metrics["test_accuracy"] <= 1.0 and metrics["test_items"] == SAMPLE
    assert metrics["test_invalid_rate"] == 0.0  # llama.cpp's grammar holds every answer to the labels
    assert metrics["llm_tokens_in_per_item"] > 100 and metrics["llm_tokens_out_per_item"] > 0
    assert metrics["llm_cost_per_1000"] == 0.0 and metrics["latency_p50_ms"] > 0
    assert "parameters" not in metrics  # not counted, not shown as 0
    assert metrics["model_size_bytes"] == tiny_gguf.stat().st_size  # the GGUF file, not the saved settings
    scoring = [p for p in reports if p.phase == "scoring"]
    assert [p.batch for p in scoring] == list(range(1, SAMPLE + 1)) and scoring[-1].batches == SAMPLE
    assert scoring[-1].eta_s == 0.0 and scoring[0].eta_s > 0  # the time left, at the pace so far
    assert all(a.elapsed_s <= b.elapsed_s for a, b in zip(scoring, scoring[1:]))

    record = tracker.record(outcome.run_id)
    assert record.params["model_kind"] == "llm" and record.params["starting_point"] == "llm"
    assert record.params["hp_k"] == "2" and record.params["hp_transport"] == "local"
    evaluation = tracker.load_dict(outcome.run_id, EVALUATION_FILE)
    data = load_dataset("nlp", "en_reviews")
    rows = evaluation["test_rows"]
    assert len(rows) == SAMPLE and len(evaluation["y_true"]) == SAMPLE
    assert evaluation["y_true"] == [int(v) for v in np.asarray(data.y_test)[rows]]  # the sampled rows' labels
    assert np.bincount(evaluation["y_true"], minlength=data.num_classes).min() > 0  # stratified: every class
    assert evaluation["llm"]["k"] == 2 and "Examples:" in evaluation["llm"]["prompt"]

    model = load_run_model(tracker, outcome.run_id)  # settings and examples back from model.llm.json
    assert {text for text, _ in model.examples_} <= {str(t) for t in data.x_train}  # k-shot from training only
    again = reevaluate_run(tracker, outcome.run_id)
    assert again["accuracy"] == pytest.approx(evaluation["accuracy"]) and again["llm"]["cached_answers"] == SAMPLE


def test_an_endpoint_run_never_records_its_key(tracker, llama_server, monkeypatch, caplog):
    monkeypatch.setenv("STUDIO_TEST_LLM_KEY", SECRET)
    outcome = run_training(_spec("llm_endpoint", base_url=llama_server.base_url, model=llama_server.model,
                                 api_key_env="STUDIO_TEST_LLM_KEY", prices_in=0.5, prices_out=1.5),
                           tracker=tracker)
    assert outcome.status == "completed" and outcome.metrics["llm_spent"] > 0
    tokens_in = outcome.metrics["llm_tokens_in_per_item"] * SAMPLE
    tokens_out = outcome.metrics["llm_tokens_out_per_item"] * SAMPLE
    assert outcome.metrics["llm_spent"] == pytest.approx((tokens_in * 0.5 + tokens_out * 1.5) / 1e6)
    record = tracker.record(outcome.run_id)
    stored = json.dumps([record.params, dict(tracker.get_run(outcome.run_id).data.tags),
                         tracker.load_dict(outcome.run_id, EVALUATION_FILE)])
    saved = tracker.model_path(outcome.run_id).read_text(encoding="utf-8")
    assert SECRET not in stored and SECRET not in saved and SECRET not in caplog.text
    assert record.params["hp_api_key_env"] == "STUDIO_TEST_LLM_KEY"  # the variable's name only


def test_a_refused_key_ends_the_run_failed_with_what_to_do(tracker, fault_server):
    fault_server.script([401])
    with pytest.raises(StudioError, match="The endpoint refused the API key"):
        run_training(_spec("llm_endpoint", base_url=fault_server.base_url, model="fault-model", k=0),
                     tracker=tracker)
    runs = tracker.list_runs(use_case="nlp")
    assert runs.iloc[0]["status"] == "failed"
    with pytest.raises(StudioError):
        tracker.load_dict(runs.iloc[0]["run_id"], EVALUATION_FILE)  # nothing half-written


def test_answers_outside_the_labels_count_as_wrong_and_are_counted(tracker, fault_server):
    fault_server.script([], content='{"label": "maybe"}')
    fault_server.content = '{"label": "maybe"}'
    outcome = run_training(_spec("llm_endpoint", base_url=fault_server.base_url, model="fault-model"),
                           tracker=tracker)
    assert outcome.metrics["test_invalid_rate"] == 1.0 and outcome.metrics["test_invalid_answers"] == SAMPLE
    assert outcome.metrics["test_accuracy"] == 0.0
    evaluation = tracker.load_dict(outcome.run_id, EVALUATION_FILE)
    assert set(evaluation["y_pred"]) == {-1} and evaluation["no_answer"] == SAMPLE
    assert sum(map(sum, evaluation["confusion_matrix"])) == 0


def test_cancel_while_scoring_ends_the_run_cancelled_within_one_item(tracker, tiny_gguf):
    cancel = threading.Event()
    seen = []

    def report(progress):
        if progress.phase == "scoring":
            seen.append(progress.batch)
            if progress.batch == 3:
                cancel.set()

    outcome = run_training(_spec("llm_local", model=str(tiny_gguf)), tracker=tracker, report=report,
                           cancel_event=cancel)
    assert outcome.status == "cancelled" and seen == [1, 2, 3]
    assert tracker.list_runs(use_case="nlp").iloc[0]["status"] == "cancelled"


def test_a_catalogue_model_on_this_machine_runs_offline_by_its_id(tracker, tiny_gguf, monkeypatch):
    import hashlib
    import shutil

    from core.llm.catalogue import catalogue_path, catalogue_status

    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()
    entry = "qwen2.5-0.5b-instruct-q4_k_m"
    assert catalogue_status(entry)[0] == "offline"  # not here, and no download allowed
    with pytest.raises(StudioError, match="needs a one-time download of about 491 MB; offline now"):
        run_training(_spec("llm_local", model=f"catalogue:{entry}"), tracker=tracker)
    target = catalogue_path(entry)  # put a verified file where a download would have put it
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(tiny_gguf, target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    target.with_name(target.name + ".sha256").write_text(f"{digest}  {target.name}\n")
    assert catalogue_status(entry)[0] == "cached"
    outcome = run_training(_spec("llm_local", model=f"catalogue:{entry}"), tracker=tracker)
    assert outcome.status == "completed"
    assert tracker.record(outcome.run_id).params["hp_model"] == f"catalogue:{entry}"
