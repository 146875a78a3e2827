"""TF-IDF + logistic regression on raw strings: the simple baseline every Keras model is measured against."""

from __future__ import annotations

import json
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer


class CompactTfidfVectorizer(TfidfVectorizer):
    """TfidfVectorizer whose saved state keeps the vocabulary as one JSON string.

    skops writes every entry of a dict as its own node: a 138k-term vocabulary took 20 s and
    88 MB to save (numpy-int values: ~30 min), so saving the text baseline stalled the job.
    One string is one node (about 1 s and a few MB). Only the saved form changes.
    """

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # on Python 3.11+ that is the live __dict__ itself
        if isinstance(state.get("vocabulary_"), dict):
            state["vocabulary_"] = json.dumps({term: int(index) for term, index in state["vocabulary_"].items()},
                                              ensure_ascii=False)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("vocabulary_"), str):
            state = {**state, "vocabulary_": json.loads(state["vocabulary_"])}
        super().__setstate__(state)


def build_tfidf_logreg(*, language: str = "en", random_state: int = 0, C: float = 4.0,
                       max_features: int = 200_000, analyzer: str | None = None,
                       ngram_range: tuple[int, int] | None = None, tokenizer: Any = None) -> Any:
    """Pipeline(TfidfVectorizer, LogisticRegression): English words 1-2-grams; Chinese characters 1-3-grams."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    chinese = language == "zh"
    analyzer = analyzer or ("char" if chinese else "word")
    ngram_range = tuple(ngram_range or ((1, 3) if chinese else (1, 2)))
    vectorizer = CompactTfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, max_features=max_features,
                                 sublinear_tf=True, min_df=1, tokenizer=tokenizer,
                                 token_pattern=r"(?u)\b\w+\b" if analyzer == "word" and tokenizer is None else None)
    classifier = LogisticRegression(C=C, max_iter=2000, random_state=random_state)
    return Pipeline([("tfidf", vectorizer), ("logistic_regression", classifier)])
