"""Prompts, k-shot examples, answer parsing and prices, checked by hand-worked cases."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import DataError
from core.llm.pricing import Prices, per_thousand
from core.llm.prompts import (default_template, label_schema, parse_label, pick_examples, render_prompt)


def test_k_shot_examples_are_stratified_seeded_and_only_training_rows():
    y_train = np.array([0] * 50 + [1] * 30 + [2] * 20)
    chosen = pick_examples(y_train, 8, random_state=3)
    assert len(chosen) == 8 and len(set(chosen)) == 8
    assert all(0 <= i < len(y_train) for i in chosen)  # indices into the training split it was given
    counts = np.bincount(y_train[chosen], minlength=3)
    assert counts.tolist() == [3, 3, 2]  # the classes take turns, larger classes first
    assert pick_examples(y_train, 8, random_state=3) == chosen  # seeded
    assert pick_examples(y_train, 8, random_state=4) != chosen
    assert pick_examples(np.array([0, 1]), 8) in ([0, 1], [1, 0])  # fewer rows than k: all of them
    assert pick_examples(y_train, 0) == []
    with pytest.raises(ValueError, match="k must be 0 .zero-shot. or more"):
        pick_examples(y_train, -1)


def test_the_prompt_holds_the_labels_the_examples_and_the_text_in_the_datas_language():
    prompt = render_prompt(default_template("en"), labels=["positive", "negative"], text="Loved it",
                           examples=[("Great", "positive"), ("Dull", "negative")])
    assert "exactly one of these labels: positive, negative." in prompt
    assert prompt.index("Examples:\nText: Great\nLabel: positive\nText: Dull\nLabel: negative\n") < \
        prompt.index("Text: Loved it")
    chinese = render_prompt(default_template("zh"), labels=["正面", "负面"], text="很好看", language="zh")
    assert "正面, 负面" in chinese and "文本：很好看" in chinese and "示例" not in chinese  # zero-shot: no examples
    assert default_template("fr") == default_template("en")
    with pytest.raises(DataError, match=r"no place for the text: put \{text\}"):
        render_prompt("Classify: {labels}", labels=["a", "b"], text="x")


def test_answers_are_read_strictly_against_the_label_set():
    labels = ["positive", "negative", "neutral"]
    assert parse_label('{"label": "negative"}', labels) == 1
    assert parse_label(' {"label" :"neutral"} ', labels) == 2
    assert parse_label("positive", labels) == 0  # a bare label, from a backend that could not be constrained
    assert parse_label('{"label": "Positive"}', labels) is None  # not one of the labels as written
    assert parse_label('{"label": "very positive"}', labels) is None
    assert parse_label('{"answer": "positive"}', labels) is None
    assert parse_label("", labels) is None and parse_label("I think positive", labels) is None
    schema = label_schema(labels)
    assert schema["properties"]["label"]["enum"] == labels and schema["required"] == ["label"]
    json.dumps(schema)  # sent as JSON


def test_cost_per_thousand_decisions_by_hand():
    prices = Prices(input_per_million=0.15, output_per_million=0.60)
    # 500 items of 400 tokens in and 8 out: 200,000 x 0.15 / 1e6 + 4,000 x 0.60 / 1e6 = 0.03 + 0.0024
    total = sum(prices.cost(400, 8) for _ in range(500))
    assert total == pytest.approx(0.0324)
    assert per_thousand(total, 500) == pytest.approx(0.0648)
    assert per_thousand(0.0, 0) == 0.0
    assert Prices().free and Prices().cost(10_000, 10_000) == 0.0
    with pytest.raises(ValueError, match="input_per_million must be a price of 0 or more"):
        Prices(input_per_million=-1.0)
