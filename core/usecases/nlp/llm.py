"""The NLP use case's LLM candidates: a large language model classifies each review, zero-shot or from k labelled
examples of the training split, in the data's language; or its embeddings feed a logistic regression trained on
the training split (core.llm)."""

from __future__ import annotations

from typing import Any

from core.llm.classifier import LLMClassifier, classifier_from_settings
from core.llm.embedding import LLMEmbeddingClassifier, embedding_classifier_from_settings


def build_llm_classifier(*, language: str = "en", random_state: int = 0, **settings: Any) -> LLMClassifier:
    """An unfitted LLMClassifier asked about texts in the data's language, with this run's settings (random_state:
    the run's seed, which draws the examples and the test sample)."""
    return classifier_from_settings(language=language, inputs="text", random_state=random_state, **settings)


def build_llm_embedding_classifier(*, language: str = "en", random_state: int = 0,
                                   **settings: Any) -> LLMEmbeddingClassifier:
    """An unfitted LLM embeddings + logistic regression classifier with this run's settings."""
    return embedding_classifier_from_settings(language=language, random_state=random_state, **settings)
