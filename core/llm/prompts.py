"""Prompts for an LLM classifier: the template people see and edit, k labelled examples drawn from the
training split only, the answer constrained to the label set (a JSON schema), and strict parsing of what came
back (an answer outside the labels is invalid: counted as wrong, and counted)."""

from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np

from core.errors import DataError

LABELS_SLOT, EXAMPLES_SLOT, TEXT_SLOT = "{labels}", "{examples}", "{text}"
DEFAULT_TEMPLATES = {
    "en": ("Classify the text into exactly one of these labels: {labels}.\n"
           "{examples}"
           "Text: {text}\n"
           'Answer with JSON only: {"label": "<one of the labels>"}'),
    "zh": ("请把下面的文本归入以下标签中的一个：{labels}。\n"
           "{examples}"
           "文本：{text}\n"
           '只用 JSON 回答：{"label": "<标签之一>"}'),
}
# Images (an endpoint whose model reads them): {text} is where the image goes, in the template and each example.
IMAGE_TEMPLATES = {
    "en": ("Classify the image into exactly one of these labels: {labels}.\n"
           "{examples}"
           "Image: {text}\n"
           'Answer with JSON only: {"label": "<one of the labels>"}'),
    "zh": ("请把下面的图像归入以下标签中的一个：{labels}。\n"
           "{examples}"
           "图像：{text}\n"
           '只用 JSON 回答：{"label": "<标签之一>"}'),
}
EXAMPLE_LINES = {"en": "Text: {text}\nLabel: {label}\n", "zh": "文本：{text}\n标签：{label}\n"}
IMAGE_EXAMPLE_LINES = {"en": "Image: {text}\nLabel: {label}\n", "zh": "图像：{text}\n标签：{label}\n"}
EXAMPLES_HEADING = {"en": "Examples:\n", "zh": "示例：\n"}
INPUTS = ("text", "image")  # what a classifier is asked about


def default_template(language: str, inputs: str = "text") -> str:
    """The prompt template in the data's language (English for any language without its own), for texts or images."""
    templates = IMAGE_TEMPLATES if inputs == "image" else DEFAULT_TEMPLATES
    return templates.get(language, templates["en"])


def all_default_templates() -> set[str]:
    """Every built-in template (a kept template equal to one of another language is replaced on a language change)."""
    return {*DEFAULT_TEMPLATES.values(), *IMAGE_TEMPLATES.values()}


def check_template(template: str) -> str:
    """The template as given; DataError (in the reader's language) when it has no place for the text."""
    if TEXT_SLOT not in str(template):
        raise DataError("errors.llm.template_needs_text", slot=TEXT_SLOT)
    return str(template)


def pick_examples(y_train: Sequence[int], k: int, *, random_state: int = 0) -> list[int]:
    """Indices of k training rows, stratified (the classes take turns, each shuffled with the seed), in a seeded
    order; fewer when the split has fewer rows. Only ever called on the training split."""
    if int(k) < 0:
        raise ValueError(f"k must be 0 (zero-shot) or more, got {k!r}; use e.g. 8.")
    y = np.asarray(y_train).reshape(-1)
    rng = np.random.default_rng(random_state)
    queues = {int(label): list(rng.permutation(np.flatnonzero(y == label))) for label in np.unique(y)}
    chosen: list[int] = []
    while len(chosen) < k and any(queues.values()):
        for label in sorted(queues, key=lambda c: (-len(np.flatnonzero(y == c)), c)):  # larger classes first
            if queues[label] and len(chosen) < k:
                chosen.append(int(queues[label].pop(0)))
    return [chosen[i] for i in rng.permutation(len(chosen))]


def render_prompt(template: str, *, labels: Sequence[str], text: str,
                  examples: Sequence[tuple[str, str]] = (), language: str = "en", inputs: str = "text") -> str:
    """The user message: the template with the label list, the examples (if any) and the text put in (for images,
    `text` and each example's text are markers that core.llm.classifier.chat_messages turns into image parts)."""
    table = IMAGE_EXAMPLE_LINES if inputs == "image" else EXAMPLE_LINES
    lines = table.get(language, table["en"])
    shown = "".join(lines.replace(TEXT_SLOT, str(t)).replace("{label}", str(label)) for t, label in examples)
    if shown:
        shown = EXAMPLES_HEADING.get(language, EXAMPLES_HEADING["en"]) + shown
    return (check_template(template).replace(LABELS_SLOT, ", ".join(map(str, labels)))
            .replace(EXAMPLES_SLOT, shown).replace(TEXT_SLOT, str(text)))


def label_schema(labels: Sequence[str]) -> dict[str, Any]:
    """The JSON schema an answer must follow: {"label": one of the labels}."""
    return {"type": "object", "properties": {"label": {"type": "string", "enum": [str(l) for l in labels]}},
            "required": ["label"], "additionalProperties": False}


def parse_label(content: str, labels: Sequence[str]) -> int | None:
    """The index of the label an answer names, read strictly: JSON {"label": "<label>"} (or the bare label, for a
    backend that could not be constrained), exactly one of `labels` after trimming spaces; None otherwise."""
    names = [str(label) for label in labels]
    text = str(content or "").strip()
    try:
        answer = json.loads(text)
    except ValueError:
        answer = text
    if isinstance(answer, dict):
        answer = answer.get("label")
    if not isinstance(answer, str):
        return None
    answer = answer.strip()
    return names.index(answer) if answer in names else None
