"""LLM embeddings + logistic regression (issue 22's second LLM candidate): the tiny random-weight GGUF model's
vectors from llama.cpp in-process, and the same file behind llama-cpp-python's real /v1/embeddings, through the
training pipeline. The tiny model's vectors carry no meaning, so its accuracy is never checked as quality: what is
checked is where the vectors come from, what the head learned from, what it costs and what is recorded."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("llama_cpp")

from core.data.cache import load_dataset  # noqa: E402
from core.errors import Cancelled  # noqa: E402
from core.llm.clients import LLMError, LocalModel  # noqa: E402
from core.llm.embedding import LLMEmbeddingClassifier  # noqa: E402
from core.llm.pricing import Prices  # noqa: E402
from core.tracking.run_files import EVALUATION_FILE  # noqa: E402
from core.training.pipeline import TrainingSpec, run_training  # noqa: E402
from core.training.saved_runs import load_run_model, reevaluate_run  # noqa: E402

SAMPLE = 10
PER_CLASS = 60  # real reviews, no text twice: each is embedded (and billed) once
SECRET = "sk-test-embedding-key-never-logged"


@pytest.fixture()
def small_upload(tracker, reviews):
    """A CSV of 120 distinct bundled English reviews, stored as an upload: an embedding run reads every training
    text, and the full bundled set (3,600) takes the tiny model a minute."""
    import pandas as pd

    from core.data.uploads import store_upload

    _, _, data = reviews
    frame = pd.DataFrame({"text": [str(t) for t in data.x_train], "label": np.asarray(data.y_train)})
    frame = frame.drop_duplicates("text").groupby("label", group_keys=False).head(PER_CLASS)
    frame["label"] = frame["label"].map(dict(enumerate(data.class_names)))
    path = store_upload(frame.to_csv(index=False).encode(), suffix=".csv")
    return {"path": str(path), "text_column": "text", "label_column": "label"}


@pytest.fixture(scope="module")
def reviews():
    data = load_dataset("nlp", "en_reviews")
    rows = np.r_[np.flatnonzero(np.asarray(data.y_train) == 0)[:30], np.flatnonzero(np.asarray(data.y_train) == 1)[:30]]
    return [str(t) for t in np.asarray(data.x_train)[rows]], np.asarray(data.y_train)[rows], data


def test_the_head_is_trained_on_the_models_own_vectors_of_the_training_texts(tiny_gguf, reviews, tmp_path):
    texts, y, data = reviews
    model = LLMEmbeddingClassifier(model=str(tiny_gguf), cache_dir=str(tmp_path), random_state=0)
    model.fit(texts, y, labels=data.class_names)
    vectors = LocalModel(tiny_gguf).embed(texts)  # an independent client on the same file
    assert model.dimensions_ == vectors.shape[1] == 64
    scaler, regression = model.head_.steps[0][1], model.head_.steps[1][1]
    np.testing.assert_allclose(scaler.mean_, vectors.mean(axis=0), rtol=1e-4, atol=1e-5)
    test = [str(t) for t in data.x_test[:10]]
    expected = regression.predict_proba((LocalModel(tiny_gguf).embed(test) - scaler.mean_) / scaler.scale_)
    np.testing.assert_allclose(model.predict_proba(test), expected, rtol=1e-4, atol=1e-6)
    scores = model.last_scores_
    assert len(scores.tokens_in) == 10 and not any(scores.cached) and min(scores.tokens_in) > 0
    assert "invalid_answers" not in scores.summary(model.prices)  # vectors cannot name a wrong label
    model.predict_proba(test)  # asked again: every vector from the cache, free
    assert all(model.last_scores_.cached) and model.last_scores_.tokens_in == scores.tokens_in
    again = LLMEmbeddingClassifier.from_spec(model.to_spec())
    np.testing.assert_allclose(again.predict_proba(test), expected, rtol=1e-4, atol=1e-6)


def test_cancel_and_budget_stop_between_batches(tiny_gguf, reviews, tmp_path, llama_server, monkeypatch):
    texts, y, data = reviews
    cancel = threading.Event()
    model = LLMEmbeddingClassifier(model=str(tiny_gguf), random_state=0)
    model.cancel_event = cancel
    seen = []

    def on_item(done, total, scores):
        seen.append(done)
        cancel.set()

    model.on_item = on_item
    with pytest.raises(Cancelled):
        model.fit(texts, y, labels=data.class_names)
    assert seen == [16]  # one batch, then stopped
    priced = LLMEmbeddingClassifier(transport="endpoint", base_url=llama_server.base_url, model=llama_server.model,
                                    prices=Prices(1_000_000.0, 0.0), budget=200.0)  # 1 per token in; 200 at most
    with pytest.raises(LLMError, match=r"stopped before spending more than its budget of 200.00: 0 of 60 items"):
        priced.fit(texts * 1, y, labels=data.class_names)
    with pytest.raises(LLMError, match="C must be a number above 0"):
        LLMEmbeddingClassifier(model=str(tiny_gguf), C=0).fit(texts, y)


def test_a_local_embedding_run_is_measured_and_recorded_like_a_pretrained_candidate(tracker, tiny_gguf,
                                                                                       small_upload):
    reports = []
    spec = TrainingSpec("nlp", "upload_csv", "llm_embed_local", dataset_kwargs=small_upload,
                        candidate_params={"model": str(tiny_gguf), "test_sample": SAMPLE})
    outcome = run_training(spec, tracker=tracker, report=reports.append)
    assert outcome.status == "completed", outcome
    record = tracker.record(outcome.run_id)
    assert record.params["model_kind"] == "llm_embed" and record.params["starting_point"] == "pretrained"
    data = load_dataset("nlp", "upload_csv", **small_upload)
    embedding = [p for p in reports if p.phase == "embedding"]
    assert embedding[-1].batch == embedding[-1].batches == len(data.x_train) + len(data.x_val)  # and validation
    scoring = [p for p in reports if p.phase == "scoring"]
    assert [p.batch for p in scoring if p.batches == SAMPLE][-1] == SAMPLE  # then validation, from the cache
    metrics = outcome.metrics
    assert metrics["test_items"] == SAMPLE and metrics["llm_cost_per_1000"] == 0.0 and metrics["latency_p50_ms"] > 0
    assert "test_invalid_answers" not in metrics
    evaluation = tracker.load_dict(outcome.run_id, EVALUATION_FILE)
    assert evaluation["llm"]["embedding_dimensions"] == 64 and evaluation["llm"]["train_texts"] == len(data.x_train)
    assert len(evaluation["test_rows"]) == SAMPLE and evaluation["llm"]["validation_texts"] == len(data.x_val)
    assert len(evaluation["validation"]["y_true"]) == len(data.x_val)  # its head's probabilities: a cut-off to choose
    model = load_run_model(tracker, outcome.run_id)
    assert isinstance(model, LLMEmbeddingClassifier) and model.dimensions_ == 64
    assert model.train_summary_["train_texts"] == len(data.x_train)
    again = reevaluate_run(tracker, outcome.run_id)
    assert again["accuracy"] == pytest.approx(evaluation["accuracy"]) and again["llm"]["cached_answers"] == SAMPLE


def test_an_endpoint_embedding_run_prices_its_tokens_and_never_records_the_key(tracker, llama_server, monkeypatch,
                                                                                caplog, small_upload):
    monkeypatch.setenv("STUDIO_TEST_EMBED_KEY", SECRET)
    spec = TrainingSpec("nlp", "upload_csv", "llm_embed_endpoint", dataset_kwargs=small_upload, candidate_params={
        "base_url": llama_server.base_url, "model": llama_server.model, "api_key_env": "STUDIO_TEST_EMBED_KEY",
        "prices_in": 0.5, "test_sample": SAMPLE})
    outcome = run_training(spec, tracker=tracker)
    assert outcome.status == "completed", outcome
    evaluation = tracker.load_dict(outcome.run_id, EVALUATION_FILE)
    llm = evaluation["llm"]
    tokens = llm["tokens_in_per_item"] * SAMPLE
    assert llm["cost_per_1000"] == pytest.approx(1000 * tokens * 0.5 / 1e6 / SAMPLE)
    assert llm["train_cached"] == 0  # no text twice: every one billed once (validation's from the cache after)
    assert llm["spent"] == pytest.approx((tokens + llm["train_tokens"]) * 0.5 / 1e6)  # training texts paid too
    assert llm["train_tokens"] > 0 and outcome.metrics["llm_spent"] == pytest.approx(llm["spent"])
    record = tracker.get_run(outcome.run_id).data
    assert SECRET not in str(record.params) + str(record.tags) and SECRET not in caplog.text
    assert record.params["hp_api_key_env"] == "STUDIO_TEST_EMBED_KEY"


def test_cancel_while_embedding_the_training_texts_ends_the_run_cancelled(tracker, tiny_gguf, small_upload):
    cancel = threading.Event()
    seen = []

    def report(progress):
        if progress.phase == "embedding":
            seen.append(progress.batch)
            cancel.set()

    spec = TrainingSpec("nlp", "upload_csv", "llm_embed_local", dataset_kwargs=small_upload,
                        candidate_params={"model": str(tiny_gguf)})
    outcome = run_training(spec, tracker=tracker, report=report, cancel_event=cancel)
    assert outcome.status == "cancelled" and seen == [16]  # within one batch of the click
    assert tracker.record(outcome.run_id).status == "cancelled"
