"""The comparison as a person reads it (dashboard.selection_views.display_table): a run that scored a sample of the
test split says so, and an endpoint LLM's device is the server it ran on."""

from __future__ import annotations

import math

import pandas as pd

from core.contract.registry import get_use_case
from dashboard.selection_views import display_table


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "model": ["tfidf_logreg", "llm_endpoint"], "start": ["baseline", "llm"], "shots": [math.nan, 8],
        "test_accuracy": [0.8, 0.9], "test_macro_f1": [0.79, 0.9], "llm_cost_per_1000": [math.nan, 4.0],
        "test_invalid_rate": [math.nan, 0.05], "test_items": [math.nan, 200.0], "test_size": [1000, 1000],
        "device": ["CPU (2 cores)", "CPU (2 cores)"], "sends_to": ["", "api.openai.com"],
        "train_seconds": [1.5, 0.8]})


def test_a_sampled_run_says_how_many_test_examples_it_scored():
    shown = display_table(_table(), get_use_case("nlp"))
    assert list(shown["Test examples scored"]) == ["1,000", "200 (a sample)"]
    assert list(shown["Device"]) == ["CPU (2 cores)", "Endpoint at api.openai.com"]
    assert list(shown["Cost per 1,000 decisions (USD)"]) == ["–", "4.00"]
    assert list(shown["Training time (s)"]) == ["1.5", "–"]  # an LLM asked for answers trains nothing
    full = _table().assign(test_items=[math.nan, 1000.0])
    assert "Test examples scored" not in display_table(full, get_use_case("nlp"))  # nothing sampled: no column
