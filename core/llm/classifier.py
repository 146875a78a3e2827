"""An LLM as a text classifier with scikit-learn's shape: `fit` draws the k-shot examples from the training split
(nothing else is learned), `score` asks the model about each text (live progress, cancel, a budget cap, a response
cache, concurrent endpoint calls) and `predict_proba` gives one-hot rows, all zeros for an invalid answer.

Parameters are stored as given and checked in `fit`; what fit learns ends in `_`. The API key is never a
parameter: the endpoint's key is read from the environment variable `api_key_env` when the model is opened (the
page may pass one from .streamlit/secrets.toml to `open`), so it is never in get_params, a run's params or the
saved model.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from core.errors import Cancelled
from core.llm.cache import ResponseCache, request_key
from core.llm.clients import Answer, LLMError, open_client
from core.llm.images import image_data_url
from core.llm.pricing import Prices, per_thousand
from core.llm.prompts import (INPUTS, check_template, default_template, label_schema, parse_label, pick_examples,
                              render_prompt)

TRANSPORTS = ("local", "endpoint")
SYSTEM_PROMPTS = {"en": "You are a careful classifier. Answer with one of the given labels only.",
                  "zh": "你是一个严谨的分类器。只能用给定的标签之一回答。"}
CHAT_OVERHEAD_TOKENS = 32  # role markers and the like a chat template adds around the messages
# What one image may cost in prompt tokens, at most, unless the run says otherwise: OpenAI's gpt-4o counts 85 for
# an image at low detail, gpt-4o-mini 2,833; Qwen2-VL about one token per 28x28 pixels. The cap and the estimate
# count this bound, and a run that sees a model count more raises its bound to what it saw (never under-counts twice).
DEFAULT_IMAGE_TOKENS = 3000
IMAGE_MARK = "\x00image{}\x00"  # where an image goes in the rendered prompt, before it is split into parts
_IMAGE_MARKS = re.compile("\x00image(\\d+)\x00")


@dataclass
class Scores:
    """What asking the model about each text gave: the label index per item (None: invalid answer), and per item
    the tokens in and out, the seconds and whether the answer came from the cache; plus the money spent."""

    labels: list[int | None] = field(default_factory=list)
    tokens_in: list[int] = field(default_factory=list)
    tokens_out: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    cached: list[bool] = field(default_factory=list)
    spent: float = 0.0

    @property
    def invalid(self) -> int:
        return sum(label is None for label in self.labels)

    def summary(self, prices: Prices) -> dict[str, float]:
        """Per-item means and totals, as a run logs them (invalid answers only where there were answers: an
        embedding model gives vectors, which cannot name a wrong label)."""
        n = len(self.tokens_in)
        fresh = [not hit for hit in self.cached]
        live = [s for s, f in zip(self.seconds, fresh) if f]
        answers = {"invalid_answers": float(self.invalid), "invalid_rate": self.invalid / n if n else 0.0
                   } if self.labels else {}
        return {
            "items": float(n), **answers,
            "tokens_in_per_item": float(np.mean(self.tokens_in)) if n else 0.0,
            "tokens_out_per_item": float(np.mean(self.tokens_out)) if n else 0.0,
            "cached_answers": float(sum(self.cached)), "spent": float(self.spent),
            "cost_per_1000": per_thousand(sum(prices.cost(i, o) for i, o in zip(self.tokens_in, self.tokens_out)), n),
            "item_p50_ms": float(np.percentile(live, 50) * 1000) if live else 0.0,
            "item_p95_ms": float(np.percentile(live, 95) * 1000) if live else 0.0,
        }


class LLMClassifier:
    """Zero-shot (k=0) or k-shot classification by a local GGUF model or an OpenAI-compatible endpoint."""

    def __init__(self, *, transport: str = "local", model: str = "", base_url: str = "", k: int = 0,
                 template: str | None = None, language: str = "en", inputs: str = "text",
                 image_tokens: int = DEFAULT_IMAGE_TOKENS, max_tokens: int = 32,
                 prices: Prices = Prices(), budget: float | None = None, concurrency: int = 4,
                 timeout: float = 30.0, retries: int = 3, api_key_env: str = "OPENAI_API_KEY",
                 cache_dir: str | None = None, test_sample: int | None = None, random_state: int = 0):
        self.transport = transport
        self.model = model
        self.base_url = base_url
        self.k = k
        self.template = template
        self.language = language
        self.inputs = inputs  # "text" or "image" (an endpoint whose model reads images)
        self.image_tokens = image_tokens  # the most prompt tokens one image may cost (the budget cap's bound)
        self.max_tokens = max_tokens
        self.prices = prices
        self.budget = budget
        self.concurrency = concurrency
        self.timeout = timeout
        self.retries = retries
        self.api_key_env = api_key_env
        self.cache_dir = cache_dir
        self.test_sample = test_sample  # score a stratified, seeded sample of this many test rows (None: all)
        self.random_state = random_state

    FITTED = ("template_", "classes_", "example_indices_", "examples_", "schema_")

    def to_spec(self) -> dict[str, Any]:
        """What a run saves as its model: the settings and the drawn examples as JSON (never a key, never the
        client); `from_spec` gives the same classifier back, which opens its model again when asked."""
        params = {**self.get_params(), "prices": dataclasses.asdict(self.prices)}
        return {"kind": "llm_classifier", "params": params,
                "fitted": {name: getattr(self, name) for name in self.FITTED if hasattr(self, name)}}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "LLMClassifier":
        params = dict(spec["params"])
        params["prices"] = Prices(**params.get("prices") or {})
        model = cls(**params)
        for name, value in (spec.get("fitted") or {}).items():
            if name in cls.FITTED:
                setattr(model, name, [tuple(pair) for pair in value] if name == "examples_" else value)
        return model

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "transport", "model", "base_url", "k", "template", "language", "inputs", "image_tokens", "max_tokens",
            "prices", "budget",
            "concurrency", "timeout", "retries", "api_key_env", "cache_dir", "test_sample", "random_state")}

    # ---- fit: the examples --------------------------------------------------------------------------------------

    def fit(self, texts: Sequence[Any], y: Sequence[int], *, labels: Sequence[str]) -> "LLMClassifier":
        """Check the settings and draw the k examples (stratified, seeded) from these training items only (texts, or
        images kept as PNG data URLs)."""
        if self.transport not in TRANSPORTS:
            raise LLMError("errors.llm.bad_setting", name="transport", rule=" or ".join(TRANSPORTS),
                           value=repr(self.transport))
        if self.inputs not in INPUTS:
            raise LLMError("errors.llm.bad_setting", name="inputs", rule=" or ".join(INPUTS), value=repr(self.inputs))
        if self.inputs == "image" and self.transport == "local":
            raise LLMError("errors.llm.no_images_local")
        if (not isinstance(self.image_tokens, int) or isinstance(self.image_tokens, bool)
                or not 1 <= self.image_tokens <= 100_000):
            raise LLMError("errors.llm.bad_setting", name="image_tokens", rule="a whole number from 1 to 100,000",
                           value=self.image_tokens)
        if not isinstance(self.k, int) or isinstance(self.k, bool) or not 0 <= self.k <= 64:
            raise LLMError("errors.llm.bad_setting", name="k", rule="a whole number from 0 to 64", value=self.k)
        if self.budget is not None and not self.budget >= 0:
            raise LLMError("errors.llm.bad_setting", name="budget", rule="0 or more", value=self.budget)
        self.template_ = check_template(self.template or default_template(self.language, self.inputs))
        self.classes_ = [str(label) for label in labels]
        if len(self.classes_) < 2:
            raise LLMError("errors.llm.bad_setting", name="labels", rule="at least two classes", value=self.classes_)
        self.example_indices_, self.examples_ = draw_examples(texts, y, self.classes_, self.k,
                                                             random_state=self.random_state, item=self.item)
        self.schema_ = label_schema(self.classes_)
        return self

    # ---- the model --------------------------------------------------------------------------------------------

    def open(self, *, api_key: str | None = None) -> Any:
        """Open the model once (the GGUF file loaded, or the endpoint's client made) and keep it."""
        client = getattr(self, "client_", None)
        if client is None:
            client = open_client(self.transport, self.model, base_url=self.base_url, api_key_env=self.api_key_env,
                                 api_key=api_key, seed=self.random_state, timeout=self.timeout, retries=self.retries,
                                 concurrency=self.concurrency)
            if self.inputs == "image":  # a model that drops or refuses images must not "classify" pictures
                self.unbilled_ = self.prices.cost(*client.check_reads_images())
            self.client_ = client
        return client

    def item(self, value: Any) -> str:
        """One item as the prompt carries it: the text, or the image as a PNG data URL."""
        return image_data_url(value) if self.inputs == "image" else str(value)

    def messages(self, item: Any) -> list[dict[str, Any]]:
        """The exact chat messages one item is classified with (system, then the rendered template; for an image,
        the user turn is text and image parts)."""
        return chat_messages(self.template_, labels=self.classes_, text=self.item(item), examples=self.examples_,
                             language=self.language, inputs=self.inputs)

    def prompt_bound(self, messages: list[dict[str, Any]]) -> int:
        """The most prompt tokens these messages can cost (the budget cap's rule, each image at image_tokens)."""
        return most_prompt_tokens(messages, image_tokens=self.image_tokens)

    def most_cost(self, item: Any) -> float:
        """An upper bound of what one item can cost: its most prompt tokens and an answer at max_tokens."""
        return self.prices.cost(self.prompt_bound(self.messages(item)), self.max_tokens)

    def prompt_text(self, item: Any) -> str:
        """The user turn for one item as a person reads it (an image shown as [image])."""
        return readable(self.messages(item)[1]["content"])

    # ---- scoring ----------------------------------------------------------------------------------------------

    def score(self, texts: Sequence[str], *, on_item: Callable[[int, int, Scores], None] | None = None,
              cancel_event: threading.Event | None = None, api_key: str | None = None) -> Scores:
        """Ask the model about each text, in order. Stops (LLMError budget_exceeded) before sending a text whose
        worst-case cost would take the money spent past the budget, and before the next text once cancel_event is
        set (answers in flight are kept); `on_item(done, total, scores)` after each answer."""
        client = self.open(api_key=api_key)
        cache = ResponseCache(Path(self.cache_dir) / "llm-answers.sqlite") if self.cache_dir else None
        total = len(texts)
        answers: list[Answer | None] = [None] * total
        scores = Scores()
        scores.spent = float(getattr(self, "unbilled_", 0.0))  # the image check's two small requests, paid once
        self.unbilled_ = 0.0
        committed = [0.0]  # worst-case cost of the requests in flight
        under_counted = [0]  # the most prompt tokens a model spent beyond an item's bound (images: its own count)

        def ask(messages: list[dict[str, str]], key: str | None) -> Answer:
            answer = client.chat(messages, schema=self.schema_, max_tokens=self.max_tokens)
            if cache is not None and key is not None:
                cache.put(key, answer)
            return answer

        answered = 0  # how many items from the first on have their answer (progress counts in order)

        def answer_arrived(position: int, answer: Answer) -> None:
            nonlocal answered
            answers[position] = answer
            while answered < total and answers[answered] is not None:
                answered += 1
            if on_item is not None:
                on_item(answered, total, scores)

        workers = max(1, min(int(getattr(client, "concurrency", 1)), int(self.concurrency)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm") as pool:
            pending: dict[Future, tuple[int, float]] = {}
            next_index, stop_sending = 0, False
            while True:
                while not stop_sending and next_index < total and len(pending) < workers:
                    if cancel_event is not None and cancel_event.is_set():
                        stop_sending = True
                        break
                    messages = self.messages(texts[next_index])
                    key = request_key(client.model_id, messages, self.schema_) if cache is not None else None
                    hit = cache.get(key) if cache is not None else None
                    if hit is not None:  # paid for before: free now
                        next_index += 1
                        answer_arrived(next_index - 1, hit)
                        continue
                    bound = self.prompt_bound(messages) + under_counted[0]
                    worst = self.prices.cost(bound, self.max_tokens)
                    if self.budget is not None and scores.spent + committed[0] + worst > self.budget + 1e-12:
                        if not pending:
                            raise LLMError("errors.llm.budget_exceeded", budget=money(self.budget),
                                           items=answered, total=total, spent=money(scores.spent))
                        break  # wait for the answers in flight, then decide again
                    committed[0] += worst
                    pending[pool.submit(ask, messages, key)] = (next_index, worst, bound)
                    next_index += 1
                if not pending:
                    if stop_sending or next_index >= total:
                        break
                    continue
                finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in finished:
                    position, worst, bound = pending.pop(future)
                    answer = future.result()  # an LLMError ends the scoring with its reason
                    committed[0] -= worst
                    under_counted[0] = max(under_counted[0], answer.tokens_in - bound)
                    scores.spent += self.prices.cost(answer.tokens_in, answer.tokens_out)
                    answer_arrived(position, answer)
        for answer in answers[:answered]:
            scores.labels.append(parse_label(answer.content, self.classes_))
            scores.tokens_in.append(answer.tokens_in)
            scores.tokens_out.append(answer.tokens_out)
            scores.seconds.append(answer.seconds)
            scores.cached.append(answer.cached)
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """One-hot rows of the labels the model answered; a row of zeros where its answer named no label.

        A fitter may set `on_item` and `cancel_event` on the model so that scoring inside an evaluation reports
        progress and stops when the person cancels (Cancelled: the run ends "cancelled")."""
        cancel_event = getattr(self, "cancel_event", None)
        scores = self.score(texts, on_item=getattr(self, "on_item", None), cancel_event=cancel_event)
        self.last_scores_ = scores
        if len(scores.labels) < len(texts):
            raise Cancelled()
        return one_hot(scores.labels, len(self.classes_))


def classifier_from_settings(*, language: str = "en", inputs: str = "text", transport: str = "local",
                             model: str = "", base_url: str = "", k: int = 0, template: str | None = None,
                             prices_in: float = 0.0, prices_out: float = 0.0, budget: float | None = None,
                             concurrency: int = 4, timeout: float = 30.0, max_tokens: int = 32,
                             image_tokens: int = DEFAULT_IMAGE_TOKENS, api_key_env: str = "OPENAI_API_KEY",
                             test_sample: int | None = None, random_state: int = 0,
                             **unknown: Any) -> LLMClassifier:
    """An unfitted LLMClassifier from a run's settings as the form gives them (prices as two numbers, empty values
    for "none"); answers are cached under the data dir."""
    from core.config import get_settings

    if unknown:
        raise ValueError(f"Unknown LLM settings {sorted(unknown)}; see core.llm.classifier.classifier_from_settings.")
    return LLMClassifier(
        transport=transport, model=str(model), base_url=str(base_url), k=int(k), template=template or None,
        language=language, inputs=inputs, image_tokens=int(image_tokens), max_tokens=int(max_tokens),
        prices=Prices(float(prices_in), float(prices_out)), budget=None if budget in (None, "") else float(budget),
        concurrency=int(concurrency), timeout=float(timeout), api_key_env=str(api_key_env),
        cache_dir=str(get_settings().cache_dir), test_sample=None if test_sample in (None, "", 0) else int(test_sample),
        random_state=int(random_state))


def money(amount: float) -> str:
    """An amount as people read it: two decimals from 1 on, four significant digits below (0.0005)."""
    return f"{amount:,.2f}" if abs(amount) >= 1 or amount == 0 else f"{amount:.4g}"


def one_hot(labels: Sequence[int | None], classes: int) -> np.ndarray:
    rows = np.zeros((len(labels), classes), dtype=np.float64)
    for row, label in enumerate(labels):
        if label is not None:
            rows[row, label] = 1.0
    return rows


def chat_messages(template: str, *, labels: Sequence[str], text: str, examples: Sequence[tuple[str, str]] = (),
                  language: str = "en", inputs: str = "text") -> list[dict[str, Any]]:
    """The chat messages an item is classified with: the system turn, then the template with labels, examples and
    the item put in. For images (`text` and each example's text a data URL) the user turn is a list of content
    parts: the template's text, cut where each image goes, and an image_url part there (OpenAI's format)."""
    system = {"role": "system", "content": SYSTEM_PROMPTS.get(language, SYSTEM_PROMPTS["en"])}
    if inputs != "image":
        return [system, {"role": "user", "content": render_prompt(template, labels=labels, text=text,
                                                                  examples=examples, language=language)}]
    urls = [url for url, _ in examples] + [text]
    marked = [(IMAGE_MARK.format(i), label) for i, (_, label) in enumerate(examples)]
    rendered = render_prompt(template, labels=labels, text=IMAGE_MARK.format(len(examples)), examples=marked,
                             language=language, inputs="image")
    parts: list[dict[str, Any]] = []
    for number, piece in enumerate(_IMAGE_MARKS.split(rendered)):
        if number % 2:  # a mark's number
            parts.append({"type": "image_url", "image_url": {"url": urls[int(piece)], "detail": "low"}})
        elif piece:
            parts.append({"type": "text", "text": piece})
    return [system, {"role": "user", "content": parts}]


def readable(content: str | Sequence[dict[str, Any]], *, marker: str = "[image]") -> str:
    """A message's content as a person reads it: the text, with `marker` where an image part is."""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if part.get("type") == "text" else marker for part in content)


def most_prompt_tokens(messages: Sequence[dict[str, Any]], *, image_tokens: int = DEFAULT_IMAGE_TOKENS) -> int:
    """An upper bound of the prompt tokens of these messages: a byte-level tokenizer spends at most one token per
    byte, each image at most `image_tokens`, plus what the chat template adds around them (what the budget cap and
    the form's estimate count)."""
    total = CHAT_OVERHEAD_TOKENS
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            total += len(content.encode("utf-8"))
            continue
        for part in content:
            total += (len(str(part.get("text", "")).encode("utf-8")) if part.get("type") == "text"
                      else int(image_tokens))
    return total


def draw_examples(texts: Sequence[Any], y: Sequence[int], labels: Sequence[str], k: int, *,
                  random_state: int = 0, item: Callable[[Any], str] = str) -> tuple[list[int], list[tuple[str, str]]]:
    """The k labelled examples a k-shot prompt shows: (their row indices, (item, label) pairs), drawn stratified and
    seeded from the rows given (the training split only); `item` makes each as the prompt carries it (str, or an
    image's data URL)."""
    y = np.asarray(y).reshape(-1)
    chosen = pick_examples(y, k, random_state=random_state) if k else []
    return chosen, [(item(texts[i]), str(labels[int(y[i])])) for i in chosen]


def sample_test_rows(y_test: Sequence[int], size: int | None, *, random_state: int = 0) -> np.ndarray | None:
    """A stratified, seeded sample of `size` test rows (sorted), or None for all of them."""
    y = np.asarray(y_test)
    if not size or size >= len(y):
        return None
    from sklearn.model_selection import train_test_split

    rows, _ = train_test_split(np.arange(len(y)), train_size=int(size), stratify=y, random_state=random_state)
    return np.sort(rows)
