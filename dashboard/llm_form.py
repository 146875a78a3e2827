"""An LLM candidate's settings on the training form: which model (a local GGUF file or an OpenAI-compatible endpoint),
zero- or k-shot, the prompt template with a live preview, prices, a budget, a test sample and the worst-case cost.

`render_llm_settings` draws the block and returns the run's `candidate_params` (names as core.training.pipeline's
TrainingSpec.candidate_params takes them), or None after saying what is missing. `llm_params` reads the same values
from session state alone, for Train's callback, which runs before the page draws anything. The API key is never a
parameter, a widget value or a line on the page: only the NAME of the environment variable that holds it.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import urlparse

import numpy as np
import streamlit as st

from core.contract.usecase import ASKED_KINDS
from core.errors import StudioError
from core.llm.catalogue import (CATALOGUE_PREFIX, catalogue_entries, catalogue_entry, catalogue_label,
                                catalogue_status, catalogue_status_message)
from core.llm.classifier import (CHAT_OVERHEAD_TOKENS, DEFAULT_IMAGE_TOKENS, chat_messages, draw_examples,
                                 most_prompt_tokens, readable)
from core.llm.prompts import TEXT_SLOT, all_default_templates, check_template, default_template
from core.selection.guidance import leaves_premises
from core.tracking.records import endpoint_host
from dashboard.i18n import current_language, error_text, t
from dashboard.widgets import kept_value, translated_choice

if TYPE_CHECKING:
    from core.contract.usecase import Candidate
    from core.data.dataset import Dataset
    from dashboard.labs.contract import LabData

LOCAL, ENDPOINT = "local", "endpoint"
LLM_KINDS = ASKED_KINDS  # prompted for an answer; embedding texts for a trained head
EMBED = "llm_embed"
PACKAGES = {LOCAL: "llama_cpp", ENDPOINT: "openai"}  # what each transport imports
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1"
DEFAULT_K, MAX_K = 8, 32
DEFAULT_CONCURRENCY, MAX_CONCURRENCY = 4, 16
DEFAULT_TIMEOUT = 30.0
DEFAULT_SAMPLE = 200
MAX_TOKENS = 32  # an answer is {"label": "..."}: the cap on output tokens per item
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_CURRENCY = "USD"  # core.strategy.model.CostAssumptions' default, until the Strategy page sets one


def transport(candidate: Candidate) -> str:
    """"local" (a GGUF file run in this process) or "endpoint" (an OpenAI-compatible server)."""
    return str(candidate.hparams.get("transport") or (ENDPOINT if "endpoint" in candidate.id else LOCAL))


def reads(candidate: Candidate) -> str:
    """What the candidate is asked about: "text" or "image" (an endpoint whose model reads images)."""
    return str(candidate.hparams.get("inputs") or "text")


def prompt_language(candidate: Candidate, dataset: Dataset) -> str:
    """The prompt's language: the texts' own; for images, the person's."""
    return current_language() if reads(candidate) == "image" else str(dataset.extra.get("language", "en"))


def packages_installed(kind: str) -> bool:
    """Whether the package a transport needs imports (llama_cpp for local, openai for an endpoint)."""
    try:
        importlib.import_module(PACKAGES[kind])
    except Exception:  # noqa: BLE001 - missing, or a broken native library: either way it cannot run
        return False
    return True


def key_found(name: str) -> bool:
    """Whether the environment (or a root-level key of .streamlit/secrets.toml, which Streamlit exports to the
    environment) holds a non-empty value under `name`. Only the answer leaves this function, never the value."""
    if not name or not ENV_NAME.match(name):
        return False
    if os.environ.get(name):
        return True
    try:
        return bool(st.secrets.load_if_toml_exists() and name in st.secrets and str(st.secrets[name]))
    except Exception:  # noqa: BLE001 - an unreadable secrets file reads as "not set"
        return False


def currency() -> str:
    """The money unit prices are typed in: the Strategy page's currency (shared session state), else USD."""
    return str(st.session_state.get("stg_w_currency") or DEFAULT_CURRENCY)


def _key(prefix: str, name: str) -> str:
    return f"{prefix}_llm_{name}"


def _own_template(language: str, inputs: str) -> Callable[[Any], bool]:
    """A kept template is kept unless it is another built-in one (the data or the person changed language)."""
    others = all_default_templates() - {default_template(language, inputs)}
    return lambda value: isinstance(value, str) and value not in others


def _number(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return float(default)
    return number if np.isfinite(number) else float(default)


# ---- reading the settings (the page and Train's callback) ----------------------------------------------------

def llm_params(candidate: Candidate, prefix: str, state: Mapping[str, Any] | None = None,
               ) -> tuple[dict[str, Any], list[str]]:
    """The run's candidate_params from the widgets' values in `state` (session state), and what is wrong with them
    (translated messages; empty when the run can start). Never reads or returns the API key itself."""
    state = st.session_state if state is None else state
    kind = transport(candidate)
    problems: list[str] = []

    def get(name: str, default: Any) -> Any:
        return state.get(_key(prefix, name), default)

    sample = None
    if get("sample", "all") == "some":
        sample = max(int(_number(get("sample_size", DEFAULT_SAMPLE), DEFAULT_SAMPLE)), 1)
    embeds = candidate.kind == EMBED
    params: dict[str, Any] = {"test_sample": sample}
    if not embeds:  # a prompted model: its examples and prompt
        k = int(_number(get("k", DEFAULT_K), DEFAULT_K)) if get("mode", "zero") == "k" else 0
        template = str(get("template", "") or "")
        try:
            check_template(template)
        except StudioError as error:
            problems.append(error_text(error))
        params.update(k=k, template=template, max_tokens=MAX_TOKENS)
    if reads(candidate) == "image":  # the prompt in the person's language; the bound the cap counts per image
        params.update(language=current_language(),
                      image_tokens=int(min(max(_number(get("image_tokens", DEFAULT_IMAGE_TOKENS),
                                                       DEFAULT_IMAGE_TOKENS), 1), 100_000)))
    if kind == LOCAL:
        source = str(get("source", OWN_FILE) or OWN_FILE)
        free = {"prices_in": 0.0, "budget": None} if embeds else {"prices_in": 0.0, "prices_out": 0.0, "budget": None}
        if source != OWN_FILE:  # a catalogue model: downloaded once, verified, by the job
            params.update(model=CATALOGUE_PREFIX + source, **free)
            if catalogue_status(source)[0] == "offline":
                problems.append(catalogue_status_message(source, current_language()))
            return params, problems
        path = str(get("gguf", "") or "").strip()
        params.update(model=path, **free)
        problems += _gguf_problems(path)
        return params, problems
    base_url = str(get("base_url", "") or "").strip()
    model = str(get("model_name", "") or "").strip()
    key_env = str(get("key_env", "") or "").strip()
    budget = _number(get("budget", 0.0), 0.0) if get("budget_on", False) else None
    params.update(model=model, base_url=base_url, api_key_env=key_env,
                  prices_in=max(_number(get("price_in", 0.0), 0.0), 0.0), budget=budget,
                  timeout=max(_number(get("timeout", DEFAULT_TIMEOUT), DEFAULT_TIMEOUT), 1.0))
    if not embeds:  # answers: priced per output token too, asked several at once
        params.update(prices_out=max(_number(get("price_out", 0.0), 0.0), 0.0),
                      concurrency=int(min(max(_number(get("concurrency", DEFAULT_CONCURRENCY), DEFAULT_CONCURRENCY),
                                              1), MAX_CONCURRENCY)))
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(t("llm_form.base_url_invalid", value=base_url or "–"))
    if not model:
        problems.append(t("llm_form.model_name_needed"))
    if not ENV_NAME.match(key_env):
        problems.append(t("llm_form.key_env_invalid", value=key_env or "–"))
    if budget is not None and budget <= 0:
        problems.append(t("llm_form.budget_positive", currency=currency()))
    return params, problems


def train_request(candidate: Candidate, prefix: str) -> tuple[dict[str, Any], str | None]:
    """For Train's callback: the candidate_params the click asks for, or the first reason it cannot start."""
    if not packages_installed(transport(candidate)):
        return {}, t("errors.llm.not_installed")
    params, problems = llm_params(candidate, prefix)
    return params, (problems[0] if problems else None)


def _gguf_problems(path: str) -> list[str]:
    if not path:
        return [t("llm_form.gguf_needed")]
    if not path.lower().endswith(".gguf"):
        return [t("llm_form.gguf_not_gguf", path=path)]
    if not Path(path).expanduser().is_file():
        return [t("llm_form.gguf_missing", path=path)]
    return []


# ---- the worst case ------------------------------------------------------------------------------------------

def examples_for(dataset: Dataset, k: int, seed: int, *, inputs: str = "text") -> list[tuple[str, str]]:
    """The k labelled training items a k-shot prompt shows: the run's own draw (stratified, seeded, training only);
    images as the PNG data URLs the run sends."""
    item = str
    if inputs == "image":
        from core.llm.images import image_data_url as item
    return draw_examples(dataset.x_train, dataset.y_train, dataset.class_names, k, random_state=int(seed),
                         item=item)[1]


def worst_case(template: str, dataset: Dataset, *, examples: list[tuple[str, str]], language: str,
               sample: int | None, max_tokens: int = MAX_TOKENS, inputs: str = "text",
               image_tokens: int = DEFAULT_IMAGE_TOKENS) -> dict[str, int]:
    """An upper bound on what scoring costs in tokens, by the rule the run's budget cap uses
    (core.llm.classifier.most_prompt_tokens: one token per UTF-8 byte of the messages plus the chat template's share,
    each image at image_tokens), the longest test texts taken for a sample, and every answer at its max_tokens.

    {"items", "tokens_in", "tokens_out", "per_item_in"} (per_item_in: the largest single prompt)."""
    count = len(dataset.x_test)
    items = count if sample is None else min(int(sample), count)
    labels = [str(c) for c in dataset.class_names]
    if inputs == "image":  # every prompt is the same size: the template, the example images and one image
        per_image = most_prompt_tokens(chat_messages(template, labels=labels, text="", examples=examples,
                                                     language=language, inputs="image"), image_tokens=image_tokens)
        per_item = np.full(items, per_image, dtype=np.int64)
    else:
        texts = [str(text) for text in dataset.x_test]
        frame = most_prompt_tokens(chat_messages(template, labels=labels, text="", examples=examples,
                                                 language=language))  # all but the text at {text}
        slots = template.count(TEXT_SLOT)
        lengths = np.sort(np.fromiter((len(text.encode("utf-8")) for text in texts), dtype=np.int64, count=count))
        per_item = frame + slots * lengths[::-1][:items]
    return {"items": int(items), "tokens_in": int(per_item.sum()), "tokens_out": int(items * max_tokens),
            "per_item_in": int(per_item.max()) if items else 0}


# ---- the block on the page -----------------------------------------------------------------------------------

def render_llm_settings(candidate: Candidate, data: LabData, *, prefix: str) -> dict[str, Any] | None:
    """The LLM settings of the training form; the run's candidate_params, or None (with a message) when the
    packages are missing or a setting is missing or wrong, in which case there is no Train."""
    kind = transport(candidate)
    if not packages_installed(kind):
        st.info(t("errors.llm.not_installed"), icon=":material/download:")
        return None
    dataset = data.dataset
    inputs = reads(candidate)
    language = prompt_language(candidate, dataset)
    money = currency()
    st.markdown(f"**{t('llm_form.heading')}**")
    embeds = candidate.kind == EMBED
    if kind == LOCAL:
        _local_model_fields(prefix, language)
    else:
        _endpoint_fields(prefix, concurrent=not embeds)
    if embeds:  # no prompt: the texts are embedded and a head is trained on the training split's vectors
        return _embedding_settings(candidate, dataset, prefix=prefix, kind=kind, money=money)
    _mode_fields(prefix)
    template_key = _key(prefix, "template")
    keep_template = kept_value(template_key, default_template(language, inputs),
                               valid=_own_template(language, inputs))

    def reset() -> None:
        st.session_state[f"_kept_{template_key}"] = default_template(language, inputs)

    st.text_area(t("llm_form.template"), key=template_key, on_change=keep_template, height=150,
                 help=t("llm_form.template_help_image" if inputs == "image" else "llm_form.template_help"))
    st.button(t("llm_form.template_reset"), key=_key(prefix, "template_reset"), on_click=reset)
    _cost_fields(prefix, kind, dataset, money, inputs=inputs)
    params, problems = llm_params(candidate, prefix)
    examples = examples_for(dataset, params["k"], data.seed, inputs=inputs)
    if TEXT_SLOT in params["template"] and len(dataset.x_test):
        _render_preview(params["template"], dataset, examples, language=language, inputs=inputs)
        bound = worst_case(params["template"], dataset, examples=examples, language=language,
                           sample=params["test_sample"], inputs=inputs,
                           image_tokens=params.get("image_tokens", DEFAULT_IMAGE_TOKENS))
        _render_estimate(bound, params, money, free=kind == LOCAL, inputs=inputs)
    for problem in problems:
        st.error(problem, icon=":material/error:")
    return None if problems else params


def _embedding_settings(candidate: Candidate, dataset: Dataset, *, prefix: str, kind: str,
                        money: str) -> dict[str, Any] | None:
    """Prices (input tokens only: an embedding has no answer), budget, test sample, and the worst case: every
    training text and the scored test texts embedded at one token per UTF-8 byte."""
    st.caption(t("llm_form.embedding_how"))
    _cost_fields(prefix, kind, dataset, money, answers=False)
    params, problems = llm_params(candidate, prefix)
    bound = embedding_worst_case(dataset, sample=params["test_sample"])
    values = {"train": f"{bound['train']:,}", "items": f"{bound['items']:,}", "tokens_in": f"{bound['tokens_in']:,}"}
    if kind == LOCAL:
        st.info(t("llm_form.embedding_estimate_local", **values), icon=":material/calculate:")
    else:
        cost = bound["tokens_in"] * params["prices_in"] / 1e6
        st.info(t("llm_form.embedding_estimate", cost=f"{cost:,.2f}", currency=money, **values),
                icon=":material/calculate:")
        budget = params.get("budget")
        if budget is not None and budget > 0 and cost > budget:
            st.warning(t("llm_form.over_budget", cost=f"{cost:,.2f}", budget=f"{budget:,.2f}", currency=money),
                       icon=":material/savings:")
    st.caption(t("llm_form.embedding_estimate_note"))
    for problem in problems:
        st.error(problem, icon=":material/error:")
    return None if problems else params


def embedding_worst_case(dataset: Dataset, *, sample: int | None) -> dict[str, int]:
    """An upper bound on the tokens an embedding run sends: every training and validation text and the longest test
    texts (as many as are scored), one token per UTF-8 byte (the rule the budget cap uses).
    {"train" (training and validation texts), "items", "tokens_in"}."""
    fitted = [*dataset.x_train, *dataset.x_val]
    train = sum(len(str(text).encode("utf-8")) for text in fitted)
    lengths = np.sort([len(str(text).encode("utf-8")) for text in dataset.x_test])[::-1]
    items = len(lengths) if sample is None else min(int(sample), len(lengths))
    return {"train": len(fitted), "items": int(items), "tokens_in": int(train + lengths[:items].sum())}


def _render_preview(template: str, dataset: Dataset, examples: list[tuple[str, str]], *, language: str,
                    inputs: str) -> None:
    """The prompt the first test item is asked with, exactly as sent (images: [image] where each goes, and the
    pictures themselves, as the model receives them, under it)."""
    first = dataset.x_test[0]
    if inputs != "image":
        user = chat_messages(template, labels=dataset.class_names, text=str(first), examples=examples,
                             language=language)[1]["content"]
        st.caption(t("llm_form.preview"))
        st.code(user, language=None, wrap_lines=True)
        return
    from core.llm.images import data_url_pixels, image_data_url

    urls = [url for url, _ in examples] + [image_data_url(first)]
    user = chat_messages(template, labels=dataset.class_names, text=urls[-1], examples=examples,
                         language=language, inputs="image")[1]["content"]
    st.caption(t("llm_form.preview_image"))
    st.code(readable(user, marker=t("llm_form.image_marker")), language=None, wrap_lines=True)
    captions = [label for _, label in examples] + ["?"]
    st.image([_framed(data_url_pixels(url)) for url in urls], caption=captions, width=96, clamp=True)


def _framed(pixels: np.ndarray, border: int = 6) -> np.ndarray:
    """The picture with a white margin, so a row of dark images reads as separate pictures (display only)."""
    pad = ((border, border), (border, border)) + (((0, 0),) if pixels.ndim == 3 else ())
    return np.pad(pixels, pad, constant_values=255)


OWN_FILE = "own_file"


def _local_model_fields(prefix: str, language: str) -> None:
    """A catalogue model (downloaded once when training, hash-verified) or the path of one's own GGUF file."""
    options = [OWN_FILE, *(entry.id for entry in catalogue_entries())]
    source = translated_choice(st.selectbox, t("llm_catalogue.choose"), options, key=_key(prefix, "source"),
                               format_func=lambda option: t("llm_catalogue.own_file") if option == OWN_FILE
                               else catalogue_label(option, current_language()))
    if source == OWN_FILE:
        keep = kept_value(_key(prefix, "gguf"), "")
        st.text_input(t("llm_form.gguf"), key=_key(prefix, "gguf"), on_change=keep, help=t("llm_form.gguf_help"),
                      placeholder="/models/qwen2.5-0.5b-instruct-q4_k_m.gguf")
        return
    status = catalogue_status(source)[0]
    if status != "offline":
        st.caption(catalogue_status_message(source, current_language()))
    if language not in catalogue_entry(source).languages:
        st.warning(t("llm_catalogue.english_only"), icon=":material/translate:")


def _endpoint_fields(prefix: str, *, concurrent: bool = True) -> None:
    left, middle, right = st.columns(3)
    keep = kept_value(_key(prefix, "base_url"), DEFAULT_BASE_URL)
    base_url = left.text_input(t("llm_form.base_url"), key=_key(prefix, "base_url"), on_change=keep,
                               help=t("llm_form.base_url_help"))
    keep = kept_value(_key(prefix, "model_name"), "")
    middle.text_input(t("llm_form.model_name"), key=_key(prefix, "model_name"), on_change=keep,
                      help=t("llm_form.model_name_help"), placeholder="gpt-4o-mini")
    keep = kept_value(_key(prefix, "key_env"), DEFAULT_KEY_ENV)
    name = right.text_input(t("llm_form.key_env"), key=_key(prefix, "key_env"), on_change=keep,
                            help=t("llm_form.key_env_help")).strip()
    if ENV_NAME.match(name):
        if key_found(name):
            st.caption(t("llm_form.key_found", name=name))
        elif not leaves_premises(endpoint_host(base_url or "")):  # this machine or a private network
            st.caption(t("llm_form.key_missing_local", name=name))
        else:
            st.warning(t("llm_form.key_missing", name=name), icon=":material/key_off:")
    left, right = st.columns(2)
    if concurrent:  # answers are asked several at once; embeddings go in batches, one request at a time
        keep = kept_value(_key(prefix, "concurrency"), DEFAULT_CONCURRENCY,
                          valid=lambda value: isinstance(value, int) and 1 <= value <= MAX_CONCURRENCY)
        left.number_input(t("llm_form.concurrency"), min_value=1, max_value=MAX_CONCURRENCY, step=1,
                          key=_key(prefix, "concurrency"), on_change=keep, help=t("llm_form.concurrency_help"))
    keep = kept_value(_key(prefix, "timeout"), DEFAULT_TIMEOUT,
                     valid=lambda value: isinstance(value, float) and 1.0 <= value <= 600.0)
    right.number_input(t("llm_form.timeout"), min_value=1.0, max_value=600.0, step=5.0, format="%.0f",
                       key=_key(prefix, "timeout"), on_change=keep)


def _mode_fields(prefix: str) -> None:
    left, right = st.columns(2)
    keep = kept_value(_key(prefix, "mode"), "zero", valid=("zero", "k").__contains__)
    with left:
        mode = translated_choice(st.radio, t("llm_form.mode"), ["zero", "k"], key=_key(prefix, "mode"),
                                 horizontal=True, format_func=lambda value: t(f"llm_form.mode_{value}"),
                                 on_change=keep, help=t("llm_form.mode_help"))
    keep = kept_value(_key(prefix, "k"), DEFAULT_K, valid=lambda value: isinstance(value, int) and 1 <= value <= MAX_K)
    if mode == "k":
        right.number_input(t("llm_form.k"), min_value=1, max_value=MAX_K, step=1, key=_key(prefix, "k"),
                           on_change=keep)


def _cost_fields(prefix: str, kind: str, dataset: Dataset, money: str, *, inputs: str = "text",
                 answers: bool = True) -> None:
    """Prices per million tokens (input, and output where the model answers), the budget, and the test sample."""
    left, middle, right = st.columns(3)
    prices = ((left, "price_in"), (middle, "price_out")) if answers else ((left, "price_in"),)
    if kind == LOCAL:  # nothing to type: a local model's cost is the machine's time
        for column, name in prices:
            column.number_input(t(f"llm_form.{name}", currency=money), value=0.0, disabled=True,
                                key=_key(prefix, f"local_{name}"))
        st.caption(t("llm_form.local_cost"))
    else:
        for column, name in prices:
            keep = kept_value(_key(prefix, name), 0.0, valid=lambda value: isinstance(value, float) and value >= 0)
            column.number_input(t(f"llm_form.{name}", currency=money), min_value=0.0, step=0.05, format="%.3f",
                                key=_key(prefix, name), on_change=keep)
        with right:
            keep = kept_value(_key(prefix, "budget_on"), False)
            if st.checkbox(t("llm_form.budget_on"), key=_key(prefix, "budget_on"), on_change=keep):
                keep = kept_value(_key(prefix, "budget"), 10.0, valid=lambda value: isinstance(value, float))
                st.number_input(t("llm_form.budget", currency=money), min_value=0.0, step=1.0, format="%.2f",
                                key=_key(prefix, "budget"), on_change=keep, help=t("llm_form.budget_help"))
    if inputs == "image":
        keep = kept_value(_key(prefix, "image_tokens"), DEFAULT_IMAGE_TOKENS,
                          valid=lambda value: isinstance(value, int) and 1 <= value <= 100_000)
        left.number_input(t("llm_form.image_tokens"), min_value=1, max_value=100_000, step=100,
                          key=_key(prefix, "image_tokens"), on_change=keep, help=t("llm_form.image_tokens_help"))
    count = len(dataset.x_test)
    left, right = st.columns(2)
    keep = kept_value(_key(prefix, "sample"), "all", valid=("all", "some").__contains__)
    with left:
        sample = translated_choice(st.radio, t("llm_form.sample_image" if inputs == "image" else "llm_form.sample"),
                                   ["all", "some"], key=_key(prefix, "sample"),
                                   horizontal=True, on_change=keep, help=t("llm_form.sample_help"),
                                   format_func=lambda value: t(f"llm_form.sample_{value}_image" if value == "all"
                                                               and inputs == "image" else f"llm_form.sample_{value}",
                                                               count=f"{count:,}"))
    keep = kept_value(_key(prefix, "sample_size"), min(DEFAULT_SAMPLE, max(count, 1)),
                     valid=lambda value: isinstance(value, int) and value >= 1)
    if sample == "some":
        right.number_input(t("llm_form.sample_size"), min_value=1, step=50, key=_key(prefix, "sample_size"),
                           on_change=keep)


def _render_estimate(bound: dict[str, int], params: dict[str, Any], money: str, *, free: bool,
                     inputs: str = "text") -> None:
    """The worst case of scoring, in tokens and (for an endpoint) money, said to be an upper bound."""
    values = {"items": f"{bound['items']:,}", "tokens_in": f"{bound['tokens_in']:,}",
              "tokens_out": f"{bound['tokens_out']:,}"}
    if free:
        st.info(t("llm_form.estimate_local", **values), icon=":material/calculate:")
        st.caption(t("llm_form.estimate_note", max_tokens=MAX_TOKENS, overhead=CHAT_OVERHEAD_TOKENS))
        return
    cost = (bound["tokens_in"] * params["prices_in"] + bound["tokens_out"] * params["prices_out"]) / 1e6
    if inputs == "image":
        st.info(t("llm_form.estimate_image", cost=f"{cost:,.2f}", currency=money, **values),
                icon=":material/calculate:")
        st.caption(t("llm_form.estimate_note_image", max_tokens=MAX_TOKENS, overhead=CHAT_OVERHEAD_TOKENS,
                     image_tokens=f"{params.get('image_tokens', DEFAULT_IMAGE_TOKENS):,}"))
    else:
        st.info(t("llm_form.estimate", cost=f"{cost:,.2f}", currency=money, **values), icon=":material/calculate:")
        st.caption(t("llm_form.estimate_note", max_tokens=MAX_TOKENS, overhead=CHAT_OVERHEAD_TOKENS))
    budget = params.get("budget")
    if budget is not None and budget > 0 and cost > budget:
        st.warning(t("llm_form.over_budget", cost=f"{cost:,.2f}", budget=f"{budget:,.2f}", currency=money),
                   icon=":material/savings:")
