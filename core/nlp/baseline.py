"""TF-IDF + logistic regression on raw strings: the simple baseline every Keras model is measured against."""

from __future__ import annotations

from typing import Any


def build_tfidf_logreg(*, language: str = "en", random_state: int = 0, C: float = 4.0,
                       max_features: int = 200_000, analyzer: str | None = None,
                       ngram_range: tuple[int, int] | None = None, tokenizer: Any = None) -> Any:
    """Pipeline(TfidfVectorizer, LogisticRegression): English words 1-2-grams; Chinese characters 1-3-grams."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    chinese = language == "zh"
    analyzer = analyzer or ("char" if chinese else "word")
    ngram_range = tuple(ngram_range or ((1, 3) if chinese else (1, 2)))
    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, max_features=max_features,
                                 sublinear_tf=True, min_df=1, tokenizer=tokenizer,
                                 token_pattern=r"(?u)\b\w+\b" if analyzer == "word" and tokenizer is None else None)
    classifier = LogisticRegression(C=C, max_iter=2000, random_state=random_state)
    return Pipeline([("tfidf", vectorizer), ("logistic_regression", classifier)])
