"""The LLM classifier on a real llama.cpp model (a tiny random-weight GGUF written for the test): k-shot examples
from the training split, answers held to the label set, the response cache, the budget cap and cancel."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("llama_cpp")

from core.llm.classifier import LLMClassifier, Scores, money, one_hot  # noqa: E402
from core.llm.clients import LLMError, LocalModel  # noqa: E402
from core.llm.pricing import Prices  # noqa: E402
from core.llm.tiny_model import write_tiny_model  # noqa: E402

LABELS = ["positive", "negative", "mixed"]
TRAIN = [f"training review {i}" for i in range(30)]
Y_TRAIN = np.array([0] * 15 + [1] * 10 + [2] * 5)
TEST = ["a lovely film", "dull and long", "good cast, weak plot", "superb", "awful", "fine"]


@pytest.fixture(scope="module")
def tiny_model_path(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("llm") / "tiny.gguf")


def classifier(path, **params) -> LLMClassifier:
    return LLMClassifier(transport="local", model=str(path), **params).fit(TRAIN, Y_TRAIN, labels=LABELS)


def test_fit_draws_the_examples_from_the_training_texts_only(tiny_model_path):
    model = classifier(tiny_model_path, k=6, random_state=1)
    assert len(model.examples_) == 6
    assert all(text in TRAIN for text, _ in model.examples_)
    assert [label for _, label in model.examples_].count("mixed") == 2  # stratified: 2 of each class
    prompt = model.messages("a lovely film")[1]["content"]
    assert prompt.count("training review") == 6 and prompt.rstrip().endswith('{"label": "<one of the labels>"}')
    assert classifier(tiny_model_path, k=0).examples_ == []
    with pytest.raises(LLMError, match="k must be a whole number from 0 to 64"):
        classifier(tiny_model_path, k=100)
    with pytest.raises(LLMError, match="transport must be local or endpoint"):
        LLMClassifier(transport="carrier-pigeon").fit(TRAIN, Y_TRAIN, labels=LABELS)


def test_a_local_model_answers_within_the_label_set_and_reports_tokens(tiny_model_path):
    model = classifier(tiny_model_path, k=2)
    seen = []
    scores = model.score(TEST, on_item=lambda done, total, _: seen.append((done, total)))
    assert seen == [(i, len(TEST)) for i in range(1, len(TEST) + 1)]  # live progress, item by item
    assert len(scores.labels) == len(TEST) and scores.invalid == 0  # the grammar holds it to the labels
    assert set(scores.labels) <= {0, 1, 2}
    assert min(scores.tokens_in) > 50 and min(scores.tokens_out) > 0
    assert scores.spent == 0.0  # a local model costs machine time, not money
    proba = model.predict_proba(TEST[:2])
    assert proba.shape == (2, 3) and proba.sum(axis=1).tolist() == [1.0, 1.0]


def test_the_cache_makes_a_rerun_free_and_says_so(tiny_model_path, tmp_path):
    prices = Prices(input_per_million=2.0, output_per_million=8.0)
    first = classifier(tiny_model_path, cache_dir=str(tmp_path), prices=prices).score(TEST)
    again = classifier(tiny_model_path, cache_dir=str(tmp_path), prices=prices).score(TEST)
    assert first.spent > 0 and not any(first.cached)
    assert again.labels == first.labels and all(again.cached) and again.spent == 0.0
    summary = again.summary(prices)
    assert summary["cached_answers"] == len(TEST) and summary["spent"] == 0.0
    # what the answers would cost uncached is still the cost per 1,000 decisions
    expected = 1000 * sum(prices.cost(i, o) for i, o in zip(first.tokens_in, first.tokens_out)) / len(TEST)
    assert summary["cost_per_1000"] == pytest.approx(expected)


def test_the_budget_stops_scoring_before_it_is_exceeded(tiny_model_path):
    prices = Prices(input_per_million=1000.0, output_per_million=1000.0)
    model = classifier(tiny_model_path, prices=prices)
    worst = model.most_cost(TEST[0])
    budget = 2.5 * worst  # room for two items at their worst case
    spent = []
    model.budget = budget
    with pytest.raises(LLMError, match=r"stopped before spending more than its budget of .*: 2 of 6 items") as raised:
        model.score(TEST, on_item=lambda done, total, scores: spent.append(scores.spent))
    assert len(spent) == 2 and max(spent) <= budget
    assert raised.value.key == "errors.llm.budget_exceeded"
    assert "预算" in raised.value.message("zh")


def test_cancel_stops_within_one_item(tiny_model_path):
    cancel = threading.Event()

    def on_item(done, total, scores):
        if done == 2:
            cancel.set()

    scores = classifier(tiny_model_path).score(TEST, on_item=on_item, cancel_event=cancel)
    assert len(scores.labels) == 2


def test_invalid_answers_are_counted_and_score_as_no_class():
    scores = Scores(labels=[0, None, 2, None], tokens_in=[1] * 4, tokens_out=[1] * 4, seconds=[0.1] * 4,
                    cached=[False] * 4)
    assert scores.invalid == 2 and scores.summary(Prices())["invalid_rate"] == 0.5
    assert one_hot(scores.labels, 3).tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0]]
    assert money(0.0005) == "0.0005" and money(1234.5) == "1,234.50" and money(0) == "0.00"


def test_a_missing_or_broken_model_file_says_what_to_give(tmp_path):
    with pytest.raises(LLMError, match="No model file at .*nothing.gguf: give the path of a .gguf file"):
        LocalModel(tmp_path / "nothing.gguf")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(LLMError, match="could not be loaded as a GGUF model"):
        LocalModel(broken)
