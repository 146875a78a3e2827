"""dashboard/llm_form.py without a page: the candidate_params read from widget state (names as TrainingSpec takes
them, the key only by its variable's name), what is refused, and the worst case being an upper bound."""

from __future__ import annotations

import numpy as np
import pytest

from core.contract.registry import get_use_case
from core.data.dataset import Dataset
from core.i18n import translate
from core.llm.classifier import LLMClassifier, chat_messages, most_prompt_tokens
from core.llm.prompts import default_template, render_prompt
from dashboard import i18n, llm_form

SECRET = "sk-unit-Secret-0987654321"


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setattr(i18n, "current_language", lambda: "en")


def _candidate(kind: str):
    return get_use_case("nlp").candidate(f"llm_{kind}")


def _dataset() -> Dataset:
    texts = np.array(["good tea", "bad coffee", "great cake 好", "awful bread", "fine", "meh soup"], dtype=object)
    labels = np.array([1, 0, 1, 0, 1, 0])
    return Dataset(id="toy", title="toy", task="binary", x_train=texts, y_train=labels, x_val=texts[:2],
                   y_val=labels[:2], x_test=texts, y_test=labels, class_names=("bad", "good"), source_kind="uploaded",
                   provenance="test", licence="test", extra={"language": "en"})


def test_transports_of_the_two_candidates():
    assert llm_form.transport(_candidate("local")) == "local"
    assert llm_form.transport(_candidate("endpoint")) == "endpoint"


def test_endpoint_params_hold_every_setting_by_its_spec_name_and_the_key_only_by_name(monkeypatch):
    monkeypatch.setenv("UNIT_LLM_KEY", SECRET)
    state = {"nlp_llm_base_url": " https://llm.example.com/v1 ", "nlp_llm_model_name": "tiny",
             "nlp_llm_key_env": "UNIT_LLM_KEY", "nlp_llm_concurrency": 99, "nlp_llm_timeout": 12.0,
             "nlp_llm_mode": "k", "nlp_llm_k": 4, "nlp_llm_template": "{text}?", "nlp_llm_price_in": 0.25,
             "nlp_llm_price_out": 1.0, "nlp_llm_budget_on": True, "nlp_llm_budget": 3.0, "nlp_llm_sample": "some",
             "nlp_llm_sample_size": 40}
    params, problems = llm_form.llm_params(_candidate("endpoint"), "nlp", state)
    assert problems == []
    assert params == {"model": "tiny", "base_url": "https://llm.example.com/v1", "api_key_env": "UNIT_LLM_KEY",
                      "k": 4, "template": "{text}?", "prices_in": 0.25, "prices_out": 1.0, "budget": 3.0,
                      "concurrency": 16, "timeout": 12.0, "max_tokens": 32, "test_sample": 40}
    assert SECRET not in repr(params)
    assert llm_form.key_found("UNIT_LLM_KEY") is True and llm_form.key_found("UNIT_LLM_KEY_NOT_THERE") is False


def test_zero_shot_all_items_and_no_budget_are_the_defaults():
    state = {"nlp_llm_base_url": "http://127.0.0.1:8080/v1", "nlp_llm_model_name": "m", "nlp_llm_key_env": "K",
             "nlp_llm_template": "{text}", "nlp_llm_k": 5, "nlp_llm_budget": 9.0}
    params, problems = llm_form.llm_params(_candidate("endpoint"), "nlp", state)
    assert not problems and params["k"] == 0 and params["test_sample"] is None and params["budget"] is None


def test_each_bad_setting_is_named(tmp_path):
    state = {"nlp_llm_base_url": "localhost:8080", "nlp_llm_model_name": " ", "nlp_llm_key_env": "1BAD",
             "nlp_llm_template": "no slot", "nlp_llm_budget_on": True, "nlp_llm_budget": 0.0}
    _, problems = llm_form.llm_params(_candidate("endpoint"), "nlp", state)
    assert problems == [translate("errors.llm.template_needs_text", "en", slot="{text}"),
                        translate("llm_form.base_url_invalid", "en", value="localhost:8080"),
                        translate("llm_form.model_name_needed", "en"),
                        translate("llm_form.key_env_invalid", "en", value="1BAD"),
                        translate("llm_form.budget_positive", "en", currency="USD")]
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    for path, expected in (("", translate("llm_form.gguf_needed", "en")),
                           ("/x/model.bin", translate("llm_form.gguf_not_gguf", "en", path="/x/model.bin")),
                           (str(tmp_path / "no.gguf"), translate("llm_form.gguf_missing", "en",
                                                                 path=str(tmp_path / "no.gguf"))),
                           (str(model), None)):
        params, problems = llm_form.llm_params(_candidate("local"), "nlp",
                                               {"nlp_llm_gguf": path, "nlp_llm_template": "{text}"})
        assert problems == ([expected] if expected else [])
        assert params["model"] == path and params["prices_in"] == params["prices_out"] == 0.0
        assert "base_url" not in params and "api_key_env" not in params


def test_missing_packages_refuse_the_train_click(monkeypatch):
    monkeypatch.setattr(llm_form, "packages_installed", lambda kind: False)
    assert llm_form.train_request(_candidate("local"), "nlp") == ({}, translate("errors.llm.not_installed", "en"))


@pytest.mark.parametrize("sample", [None, 2, 100])
def test_the_worst_case_bounds_every_prompt_from_above(sample):
    dataset = _dataset()
    template = default_template("en")
    examples = llm_form.examples_for(dataset, 2, seed=0)
    assert len(examples) == 2 and {label for _, label in examples} == {"bad", "good"}  # stratified
    bound = llm_form.worst_case(template, dataset, examples=examples, language="en", sample=sample)
    prompts = sorted((len(render_prompt(template, labels=dataset.class_names, text=text, examples=examples)
                          .encode("utf-8")) for text in dataset.x_test), reverse=True)
    system = len(chat_messages(template, labels=dataset.class_names, text="")[0]["content"].encode("utf-8"))
    items = len(prompts) if sample is None else min(sample, len(prompts))
    assert bound["items"] == items and bound["tokens_out"] == items * 32
    # the longest texts, each byte of the system turn and the prompt a token, +32: the budget cap's own bound
    assert bound["tokens_in"] == sum(prompts[:items]) + (system + 32) * items
    assert bound["per_item_in"] == prompts[0] + system + 32
    model = LLMClassifier(k=2, template=template).fit(dataset.x_train, dataset.y_train, labels=dataset.class_names)
    assert model.examples_ == examples  # the preview shows the examples the run will draw
    longest = max(dataset.x_test, key=lambda text: len(str(text).encode("utf-8")))
    assert bound["per_item_in"] == most_prompt_tokens(model.messages(str(longest)))


@pytest.mark.parametrize("lang, own, other", [
    ("en", "Scoring item 212 of 500", "Another browser session is running {job}: Scoring item 212 of 500."),
    ("zh", "正在评分：第 212 条，共 500 条", "另一个浏览器会话正在运行 {job}：正在评分：第 212 条，共 500 条。")])
def test_scoring_progress_counts_items_not_epochs(monkeypatch, lang, own, other):
    from types import SimpleNamespace

    from core.training.runner import Progress
    from dashboard import access, job_progress

    monkeypatch.setattr(i18n, "current_language", lambda: lang)
    monkeypatch.setattr(access, "auth_configured", lambda: False)
    progress = Progress(phase="scoring", batch=212, batches=500)
    assert job_progress.scoring_text(progress) == own
    left = {"en": " · 1:05 left", "zh": " · 剩余 1:05"}[lang]  # the time left once the first answers set the pace
    assert job_progress.scoring_text(Progress(phase="scoring", batch=212, batches=500, eta_s=65.2)) == own + left
    assert job_progress.scoring_fraction(progress) == pytest.approx(0.424)
    assert job_progress.scoring_fraction(Progress(phase="scoring")) == 0.0
    job = SimpleNamespace(state="running", progress=progress, title="nlp / en_reviews / llm_local",
                          meta={"use_case": "nlp", "model": "llm_local"}, owner="someone", owner_name="someone")
    assert job_progress.other_job_text(job) == other.format(job=job_progress.job_label(job))
