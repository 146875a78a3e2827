"""The vision use case's LLM candidate: a large language model behind an OpenAI-compatible endpoint, whose model
reads images, names the class of each picture, zero-shot or from k labelled training images (core.llm). A local
GGUF model reads text only here, so only the endpoint is offered; a model that drops or refuses images is found
out before anything is scored (core.llm.clients.Endpoint.check_reads_images)."""

from __future__ import annotations

from typing import Any

from core.llm.classifier import LLMClassifier, classifier_from_settings


def build_llm_image_classifier(*, language: str = "en", inputs: str = "image", random_state: int = 0,
                               **settings: Any) -> LLMClassifier:
    """An unfitted LLMClassifier asked about images, its prompt in `language` (the person's, chosen on the form;
    random_state: the run's seed, which draws the examples and the test sample)."""
    return classifier_from_settings(language=language, inputs=inputs, random_state=random_state, **settings)
