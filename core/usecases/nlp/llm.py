"""The NLP use case's LLM candidates: a large language model classifies each review, zero-shot or from k labelled
examples of the training split, in the data's language (core.llm)."""

from __future__ import annotations

from typing import Any

from core.config import get_settings
from core.llm.classifier import LLMClassifier
from core.llm.pricing import Prices


def build_llm_classifier(*, language: str = "en", transport: str = "local", model: str = "", base_url: str = "",
                         k: int = 0, template: str | None = None, prices_in: float = 0.0, prices_out: float = 0.0,
                         budget: float | None = None, concurrency: int = 4, timeout: float = 30.0,
                         max_tokens: int = 32, api_key_env: str = "OPENAI_API_KEY", test_sample: int | None = None,
                         random_state: int = 0, **unknown: Any) -> LLMClassifier:
    """An unfitted LLMClassifier for this run's settings; answers are cached under the data dir."""
    if unknown:
        raise ValueError(f"Unknown LLM settings {sorted(unknown)}; see core.usecases.nlp.llm.build_llm_classifier.")
    classifier = LLMClassifier(
        transport=transport, model=str(model), base_url=str(base_url), k=int(k), template=template or None,
        language=language, max_tokens=int(max_tokens), prices=Prices(float(prices_in), float(prices_out)),
        budget=None if budget in (None, "") else float(budget), concurrency=int(concurrency), timeout=float(timeout),
        api_key_env=str(api_key_env), cache_dir=str(get_settings().cache_dir),
        test_sample=None if test_sample in (None, "", 0) else int(test_sample), random_state=int(random_state))
    return classifier
