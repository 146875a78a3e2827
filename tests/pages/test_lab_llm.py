"""The NLP lab's LLM candidates through their real widgets (issue 22): the settings block of a local GGUF model and of
an OpenAI-compatible endpoint, the prompt preview that follows the template, refusals that leave no Train, the
candidate_params a Train click hands the job (never an API key), scoring progress, and why finance and
recommendation offer no LLM. No model is asked anything: the job function is a stub that records its spec."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from core.contract.registry import USE_CASES
from core.i18n import translate
from core.llm.prompts import default_template, pick_examples, render_prompt

LAB = "../pages/lab.py"
SECRET = "sk-test-Very-Secret-Value-0123456789"
pytestmark = pytest.mark.skipif(USE_CASES["nlp"].status != "available",
                                reason="the NLP use case is not registered yet (core/contract/registry.py)")


class Jobs:
    """Stands in for dashboard.training_form.make_training_job: records each spec; the job reports `progress` (if
    any), then waits until cancelled or released (the conftest cancels what a test leaves running)."""

    def __init__(self, progress=None, block: bool = False):
        self.specs: list = []
        self.progress = progress
        self.block = block
        self.release = threading.Event()

    def __call__(self, spec, tracker):
        self.specs.append(spec)

        def job(ctx):
            if self.progress is not None:
                ctx.report(self.progress)
            if self.block:
                while not (ctx.cancelled.is_set() or self.release.is_set()):
                    ctx.cancelled.wait(0.05)
            return None

        return job


@pytest.fixture
def jobs(monkeypatch):
    stub = Jobs()
    monkeypatch.setattr("dashboard.training_form.make_training_job", stub)
    yield stub
    stub.release.set()


def _open(app_test, model: str, dataset: str = "en_reviews"):
    at = app_test(timeout=180).run()
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = "nlp"
    at.session_state["nlp_dataset"] = dataset
    at.run()
    at.radio(key="nlp_model").set_value(model).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _dataset(dataset: str = "en_reviews"):
    from core.data.cache import load_dataset

    return load_dataset("nlp", dataset, seed=0)


def _keys(widgets) -> set[str]:
    return {widget.key for widget in widgets}


def _errors(at) -> list[str]:
    return [error.value for error in at.error]


def _gguf(tmp_path) -> str:
    path = tmp_path / "tiny-model.gguf"
    path.write_bytes(b"GGUF")
    return str(path)


@pytest.mark.slow
def test_local_model_form_checks_the_gguf_path_and_costs_nothing(app_test, tmp_path, jobs):
    at = _open(app_test, "llm_local")
    assert "nlp_epochs" not in _keys(at.number_input) and "nlp_class_weight" not in _keys(at.checkbox)
    assert {"nlp_llm_gguf", "nlp_llm_template"} <= _keys(at.text_input) | _keys(at.text_area)
    assert "nlp_llm_base_url" not in _keys(at.text_input)
    prices = [at.number_input(key="nlp_llm_local_price_in"), at.number_input(key="nlp_llm_local_price_out")]
    assert all(price.value == 0.0 and price.disabled for price in prices)
    assert translate("llm_form.local_cost", "en") in [c.value for c in at.caption]
    assert at.radio(key="nlp_llm_mode").value == "zero" and at.radio(key="nlp_llm_sample").value == "all"
    # no path: a message, and Train is off
    assert translate("llm_form.gguf_needed", "en") in _errors(at) and at.button(key="nlp_train").disabled
    at.text_input(key="nlp_llm_gguf").input(str(tmp_path / "weights.bin")).run()
    assert translate("llm_form.gguf_not_gguf", "en", path=str(tmp_path / "weights.bin")) in _errors(at)
    missing = str(tmp_path / "nowhere.gguf")
    at.text_input(key="nlp_llm_gguf").input(missing).run()
    assert translate("llm_form.gguf_missing", "en", path=missing) in _errors(at)
    assert at.button(key="nlp_train").disabled
    at.text_input(key="nlp_llm_gguf").input(_gguf(tmp_path)).run()
    assert not _errors(at) and not at.button(key="nlp_train").disabled
    test_items = len(_dataset().x_test)
    estimate = [i.value for i in at.info if "no money is spent" in i.value]
    assert estimate and f"{test_items:,} texts" in estimate[0], [i.value for i in at.info]


@pytest.mark.slow
def test_endpoint_form_shows_its_fields_and_whether_the_key_is_set_never_the_key(app_test, monkeypatch, jobs):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = _open(app_test, "llm_endpoint")
    assert at.text_input(key="nlp_llm_base_url").value == "http://127.0.0.1:8080/v1"
    assert at.text_input(key="nlp_llm_key_env").value == "OPENAI_API_KEY"
    assert at.number_input(key="nlp_llm_concurrency").value == 4
    assert at.number_input(key="nlp_llm_timeout").value == 30.0
    assert {"nlp_llm_price_in", "nlp_llm_price_out"} <= _keys(at.number_input)
    # no key for a server on this machine: a note, not a warning; for a public host: a warning
    assert translate("llm_form.key_missing_local", "en", name="OPENAI_API_KEY") in [c.value for c in at.caption]
    assert not at.warning
    at.text_input(key="nlp_llm_base_url").input("https://api.example.com/v1").run()
    assert translate("llm_form.key_missing", "en", name="OPENAI_API_KEY") in [w.value for w in at.warning]
    assert translate("llm_form.model_name_needed", "en") in _errors(at) and at.button(key="nlp_train").disabled
    at.text_input(key="nlp_llm_base_url").input("ftp://example.com").run()
    assert translate("llm_form.base_url_invalid", "en", value="ftp://example.com") in _errors(at)
    monkeypatch.setenv("STUDIO_TEST_LLM_KEY", SECRET)
    at.text_input(key="nlp_llm_base_url").input("https://llm.example.com/v1")
    at.text_input(key="nlp_llm_model_name").input("tiny-chat")
    at.text_input(key="nlp_llm_key_env").input("STUDIO_TEST_LLM_KEY").run()
    assert translate("llm_form.key_found", "en", name="STUDIO_TEST_LLM_KEY") in [c.value for c in at.caption]
    assert not _errors(at) and not at.button(key="nlp_train").disabled
    shown = [element.value for kind in ("caption", "info", "warning", "error", "markdown", "code", "text_input")
             for element in at.get(kind) if isinstance(getattr(element, "value", None), str)]
    assert not [text for text in shown if SECRET in text]
    # the worst case in money: items x (prompt bytes + 32) tokens in, 32 out, at the typed prices
    at.number_input(key="nlp_llm_price_in").set_value(1.0)
    at.number_input(key="nlp_llm_price_out").set_value(2.0).run()
    estimate = [i.value for i in at.info if i.value.startswith("At most ")]
    items = len(_dataset().x_test)
    assert estimate and f"{items:,} texts" in estimate[0] and "USD" in estimate[0]
    assert translate("llm_form.estimate_note", "en", overhead=32, max_tokens=32) in [c.value for c in at.caption]


@pytest.mark.slow
def test_the_preview_follows_the_template_and_k_shot_draws_from_the_training_split(app_test, tmp_path, jobs):
    at = _open(app_test, "llm_local")
    dataset = _dataset()
    labels, first = dataset.class_names, str(dataset.x_test[0])
    assert at.text_area(key="nlp_llm_template").value == default_template("en")
    assert at.code[0].value == render_prompt(default_template("en"), labels=labels, text=first)
    at.text_area(key="nlp_llm_template").input("Pick one of {labels} for: {text}").run()
    assert at.code[0].value == f"Pick one of {', '.join(labels)} for: {first}"
    at.radio(key="nlp_llm_mode").set_value("k").run()
    assert at.number_input(key="nlp_llm_k").value == 8
    at.number_input(key="nlp_llm_k").set_value(3)
    at.text_area(key="nlp_llm_template").input("{examples}Now: {text}").run()
    chosen = pick_examples(dataset.y_train, 3, random_state=0)
    examples = [(str(dataset.x_train[i]), labels[int(dataset.y_train[i])]) for i in chosen]
    assert at.code[0].value == render_prompt("{examples}Now: {text}", labels=labels, text=first, examples=examples)
    assert at.code[0].value.startswith("Examples:\nText: ") and at.code[0].value.count("Label: ") == 3
    at.button(key="nlp_llm_template_reset").click().run()
    assert at.text_area(key="nlp_llm_template").value == default_template("en")


@pytest.mark.slow
def test_a_template_without_text_is_refused_in_the_readers_language_and_leaves_no_train(app_test, tmp_path, jobs,
                                                                                       switch_language):
    at = _open(app_test, "llm_local")
    at.text_input(key="nlp_llm_gguf").input(_gguf(tmp_path)).run()
    assert not at.button(key="nlp_train").disabled
    at.text_area(key="nlp_llm_template").input("Classify: {labels}").run()
    assert translate("errors.llm.template_needs_text", "en", slot="{text}") in _errors(at)
    assert at.button(key="nlp_train").disabled and not at.code  # nothing to preview
    switch_language(at, "zh")
    assert translate("errors.llm.template_needs_text", "zh", slot="{text}") in _errors(at)
    assert at.button(key="nlp_train").disabled
    at.button(key="nlp_llm_template_reset").click().run()
    assert not _errors(at) and not at.button(key="nlp_train").disabled
    # a bad template typed and Train clicked at once (the click reaches the server with it): refused the same way
    at.text_area(key="nlp_llm_template").input("{labels}?")
    at.button(key="nlp_train").click().run()
    assert not jobs.specs and at.session_state["nlp_job_id"] is None
    assert translate("errors.llm.template_needs_text", "zh", slot="{text}") in _errors(at)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["llm_local", "llm_endpoint"])
def test_missing_packages_say_how_to_install_and_leave_no_train(app_test, monkeypatch, jobs, model):
    monkeypatch.setattr("dashboard.llm_form.packages_installed", lambda kind: False)
    at = _open(app_test, model)
    assert translate("errors.llm.not_installed", "en") in [i.value for i in at.info]
    assert at.button(key="nlp_train").disabled
    assert "nlp_llm_template" not in _keys(at.text_area)


@pytest.mark.slow
def test_train_hands_the_job_the_chosen_settings_and_never_the_key(app_test, monkeypatch, jobs):
    from dashboard.services import get_job_queue

    monkeypatch.setenv("STUDIO_TEST_LLM_KEY", SECRET)
    jobs.block = True
    at = _open(app_test, "llm_endpoint")
    at.text_input(key="nlp_llm_base_url").input("http://127.0.0.1:9/v1")
    at.text_input(key="nlp_llm_model_name").input("tiny-chat")
    at.text_input(key="nlp_llm_key_env").input("STUDIO_TEST_LLM_KEY")
    at.number_input(key="nlp_llm_concurrency").set_value(2)
    at.number_input(key="nlp_llm_timeout").set_value(12.0)
    at.number_input(key="nlp_llm_price_in").set_value(0.5)
    at.number_input(key="nlp_llm_price_out").set_value(1.5)
    at.radio(key="nlp_llm_mode").set_value("k")
    at.radio(key="nlp_llm_sample").set_value("some")
    at.checkbox(key="nlp_llm_budget_on").check().run()
    at.number_input(key="nlp_llm_k").set_value(3)
    at.number_input(key="nlp_llm_sample_size").set_value(50)
    at.number_input(key="nlp_llm_budget").set_value(2.0)
    at.text_area(key="nlp_llm_template").input("Labels {labels}. {examples}Text {text}").run()
    assert not _errors(at)
    at.button(key="nlp_train").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert len(jobs.specs) == 1
    spec = jobs.specs[0]
    assert (spec.use_case, spec.dataset, spec.candidate) == ("nlp", "en_reviews", "llm_endpoint")
    assert spec.candidate_params == {
        "model": "tiny-chat", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "STUDIO_TEST_LLM_KEY", "k": 3,
        "template": "Labels {labels}. {examples}Text {text}", "prices_in": 0.5, "prices_out": 1.5, "budget": 2.0,
        "concurrency": 2, "timeout": 12.0, "max_tokens": 32, "test_sample": 50}
    job = get_job_queue().get(at.session_state["nlp_job_id"])
    assert job.meta["model"] == "llm_endpoint" and "'tiny-chat'" in job.meta["params"]
    assert SECRET not in repr(spec) and SECRET not in repr(job.meta) and SECRET not in repr(job.title)
    # the same settings again while that job runs (a second click): refused by the queue, said on the page
    at.session_state["nlp_train_request"] = {
        "candidate": "llm_endpoint", "epochs": 1, "batch_size": 64, "learning_rate": 1e-3, "early_stopping": False,
        "patience": 2, "class_weight": None, "candidate_params": dict(spec.candidate_params)}
    at.run()
    assert len(jobs.specs) == 1 and len(get_job_queue().active()) == 1
    title = f"{translate('usecases.nlp.title', 'en')} · {translate('nlp.models.llm_endpoint.name', 'en')}"
    assert translate("errors.jobs.duplicate", "en", title=title) in _errors(at), _errors(at)


@pytest.mark.slow
def test_scoring_progress_counts_items_in_both_languages(app_test, monkeypatch, jobs, tmp_path, switch_language,
                                                         job_progress):
    from core.training.runner import Progress

    jobs.progress, jobs.block = Progress(phase="scoring", batch=212, batches=500), True
    at = _open(app_test, "llm_local")
    at.text_input(key="nlp_llm_gguf").input(_gguf(tmp_path)).run()
    at.button(key="nlp_train").click().run()
    job_progress(lambda job: job.meta.get("model") == "llm_local", timeout=30)
    at.run()
    bars = at.get("progress")
    assert bars and bars[0].proto.text == "Scoring item 212 of 500" and bars[0].proto.value == 42  # 212 / 500
    assert at.button(key="nlp_cancel").label == "Cancel the run"  # cancelled between items; nothing is trained
    switch_language(at, "zh")
    assert at.get("progress")[0].proto.text == "正在评分：第 212 条，共 500 条"


@pytest.mark.slow
@pytest.mark.parametrize("use_case_id, dataset, key", [("finance", "credit_data", "llm_form.none_finance"),
                                                       ("recommendation", "movielens", "llm_form.none_recommendation")])
def test_finance_and_recommendation_say_why_they_offer_no_llm(app_test, switch_language, use_case_id, dataset, key):
    at = app_test(timeout=180).run()
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = use_case_id
    at.session_state[f"{use_case_id}_dataset"] = dataset
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert translate(key, "en") in [c.value for c in at.caption]
    assert not [c for c in USE_CASES[use_case_id].candidates if c.kind == "llm"]
    switch_language(at, "zh")
    assert translate(key, "zh") in [c.value for c in at.caption]


@pytest.mark.slow
def test_a_local_run_through_the_page_scores_the_chosen_sample_with_the_chosen_prompt(app_test, tiny_gguf,
                                                                                      run_after_jobs):
    """The names the form writes are the names the engine reads: a real run of the tiny random-weight GGUF model."""
    from dashboard.services import get_job_queue, get_tracker

    at = _open(app_test, "llm_local")
    at.text_input(key="nlp_llm_gguf").input(str(tiny_gguf))
    at.radio(key="nlp_llm_mode").set_value("k")
    at.radio(key="nlp_llm_sample").set_value("some").run()
    at.number_input(key="nlp_llm_k").set_value(2)
    at.number_input(key="nlp_llm_sample_size").set_value(12).run()
    assert not _errors(at), _errors(at)
    at.button(key="nlp_train").click().run()
    run_after_jobs(at, timeout=240)
    assert not at.exception, [e.value for e in at.exception]
    job = get_job_queue().get(at.session_state["nlp_job_id"])
    assert job.state == "completed" and job.result.status == "completed", (job.state, job.error)
    run = get_tracker().get_run(job.result.run_id).data
    assert run.params["model"] == "llm_local" and run.params["hp_k"] == "2" and run.params["hp_test_sample"] == "12"
    assert run.params["hp_model"] == str(tiny_gguf)
    assert run.metrics["test_items"] == 12 and run.metrics["llm_spent"] == 0
    at.run()  # the Results tab shows the run's own LLM figures
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown["Invalid answers"] == "0 of 12" and shown["Cost per 1,000 decisions (USD)"] == "0"
    assert shown["Answers from the cache"] == "0"
    assert any(caption.value.startswith("Measured on 12 test examples: the accuracy lies between")
               for caption in at.caption)
    # Try it: an LLM is asked only when the person asks, and its answer is not explained word by word (occlusion
    # would cost a request per word) nor called "unknown words" (it has no vocabulary of its own)
    assert translate("llm_form.try_ask_help", "en") in [c.value for c in at.caption]
    assert translate("nlp.prediction", "en") not in shown
    at.button(key="nlp_try_ask").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert translate("nlp.prediction", "en") in {metric.label for metric in at.metric}
    assert translate("llm_form.try_not_explained", "en") in [c.value for c in at.caption]
    assert not [w for w in at.warning if w.value == translate("nlp.all_unknown", "en")]
    assert "nlp_try_contributions" not in {chart.key for chart in at.get("plotly_chart") if hasattr(chart, "key")}


# ---- vision: an endpoint whose model reads images ---------------------------------------------------------------

def _open_vision(app_test):
    at = app_test(timeout=180).run()
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = "vision"
    at.session_state["vision_dataset"] = "digits"
    at.run()
    at.radio(key="vision_model").set_value("llm_endpoint").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.slow
def test_the_vision_lab_asks_an_endpoint_about_images_with_their_own_prompt_preview_and_estimate(app_test,
                                                                                                switch_language,
                                                                                                jobs):
    from core.data.cache import load_dataset
    from core.llm.classifier import chat_messages, most_prompt_tokens, readable
    from core.llm.images import image_data_url

    at = _open_vision(app_test)
    digits = load_dataset("vision", "digits", seed=0)
    assert "vision_llm_gguf" not in _keys(at.text_input)  # a local GGUF model reads text only: endpoint only
    assert at.text_area(key="vision_llm_template").value == default_template("en", "image")
    assert at.number_input(key="vision_llm_image_tokens").value == 3000
    assert at.code[0].value == ("Classify the image into exactly one of these labels: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9.\n"
                                'Image: [image]\nAnswer with JSON only: {"label": "<one of the labels>"}')
    pictures = at.get("image")
    assert [image.caption for image in pictures[0].proto.imgs] == ["?"]  # the first test image, as sent
    at.text_input(key="vision_llm_model_name").input("gpt-4o-mini")
    at.radio(key="vision_llm_mode").set_value("k").run()
    at.number_input(key="vision_llm_k").set_value(3)
    at.number_input(key="vision_llm_image_tokens").set_value(100)
    at.number_input(key="vision_llm_price_in").set_value(1.0).run()
    assert not _errors(at), _errors(at)
    assert at.code[0].value.count("[image]") == 4 and at.code[0].value.count("Label: ") == 3
    shown = [image.caption for image in at.get("image")[0].proto.imgs]  # three labelled training images, then it
    assert shown == [digits.class_names[int(digits.y_train[i])] for i in pick_examples(digits.y_train, 3)] + ["?"]
    # the worst case: every prompt the same size, each image counted at the bound typed
    examples = [(image_data_url(digits.x_train[i]), digits.class_names[int(digits.y_train[i])])
                for i in pick_examples(digits.y_train, 3, random_state=0)]
    per_item = most_prompt_tokens(chat_messages(default_template("en", "image"), labels=digits.class_names, text="",
                                                examples=examples, inputs="image"), image_tokens=100)
    items = len(digits.x_test)
    estimate = [i.value for i in at.info if i.value.startswith("At most ")]
    assert estimate == [translate("llm_form.estimate_image", "en", cost=f"{items * per_item / 1e6:,.2f}",
                                  currency="USD", items=f"{items:,}", tokens_in=f"{items * per_item:,}",
                                  tokens_out=f"{items * 32:,}")]
    assert readable(chat_messages(default_template("en", "image"), labels=digits.class_names, text="x",
                                  examples=examples, inputs="image")[1]["content"]) == at.code[0].value
    at.button(key="vision_train").click().run()
    params = jobs.specs[-1].candidate_params
    assert params["k"] == 3 and params["image_tokens"] == 100 and params["language"] == "en"
    assert params["model"] == "gpt-4o-mini" and "api_key" not in params
    switch_language(at, "zh")  # the prompt follows the person's language; a typed one would be kept
    assert at.text_area(key="vision_llm_template").value == default_template("zh", "image")
    assert at.code[0].value.startswith("请把下面的图像归入以下标签中的一个")


@pytest.mark.slow
def test_a_vision_run_through_the_page_scores_images_on_an_endpoint_and_shows_its_figures(app_test, run_after_jobs):
    """A real run against a loopback endpoint that decodes each image (tests/llm_servers.ImageServer): it answers
    the right digit for every image whose top-left pixel is dark, so the accuracy on the page is known."""
    from llm_servers import ImageServer

    from core.data.cache import load_dataset
    from core.llm.images import data_url_pixels, image_data_url
    from dashboard.services import get_job_queue, get_tracker

    digits = load_dataset("vision", "digits", seed=0)
    truth = {np.ascontiguousarray(data_url_pixels(image_data_url(image))).tobytes(): digits.class_names[int(label)]
             for image, label in zip(digits.x_test, digits.y_test)}
    with ImageServer(lambda pixels: json.dumps({"label": truth.get(np.ascontiguousarray(pixels).tobytes(), "?")}),
                     tokens_per_image=85) as server:
        at = _open_vision(app_test)
        at.text_input(key="vision_llm_base_url").input(server.base_url)
        at.text_input(key="vision_llm_model_name").input("vision-model")
        at.radio(key="vision_llm_sample").set_value("some").run()
        at.number_input(key="vision_llm_sample_size").set_value(20)
        at.number_input(key="vision_llm_price_in").set_value(0.5).run()
        assert not _errors(at), _errors(at)
        at.button(key="vision_train").click().run()
        run_after_jobs(at, timeout=240)
        assert not at.exception, [e.value for e in at.exception]
        job = get_job_queue().get(at.session_state["vision_job_id"])
        assert job.state == "completed" and job.result.status == "completed", (job.state, job.error)
        run = get_tracker().get_run(job.result.run_id).data
        assert run.params["model"] == "llm_endpoint" and run.params["hp_inputs"] == "image"
        assert run.metrics["test_items"] == 20 and run.metrics["test_accuracy"] == 1.0  # every image read right
        assert len(server.images_seen) == 1 + 20  # the check's one picture, then one per sampled image
        at.run()
        shown = {metric.label: metric.value for metric in at.metric}
        assert shown["Invalid answers"] == "0 of 20"
        assert any(caption.value.startswith("Measured on 20 test examples") for caption in at.caption)
        # Try it: nothing is sent until the person asks; then one answer about the chosen test image
        assert translate("llm_form.try_ask_help", "en") in [c.value for c in at.caption]
        assert len(server.images_seen) == 21
        at.number_input(key="vision_try_index").set_value(5).run()
        at.button(key="vision_try_ask").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert len(server.images_seen) == 21 + 2  # the model is opened again (its check: one picture), then asked
        assert np.array_equal(server.images_seen[-1], data_url_pixels(image_data_url(digits.x_test[5])))
        answer = {metric.label: metric.value for metric in at.metric}["The model answered"]
        assert answer == digits.class_names[int(digits.y_test[5])]  # what the server answered for that image
        assert any(c.value.startswith("One request: ") for c in at.caption)
        at.run()  # the answer stays on the page; asking again about the same image would come from the cache
        assert len(server.images_seen) == 23 and translate("llm_form.try_ask_help", "en") not in [
            c.value for c in at.caption]
        assert {metric.label: metric.value for metric in at.metric}["Answered by the endpoint at"] == (
            f"127.0.0.1:{server.port}")  # the host alone: 'Endpoint at …' was cut off in the tile
        assert at.button(key="vision_train").label == "Score the test set"  # an LLM is asked, not trained


# ---- LLM embeddings + logistic regression ----------------------------------------------------------------------

@pytest.mark.slow
def test_the_embedding_candidates_ask_for_a_model_and_prices_but_no_prompt(app_test, tmp_path, jobs, monkeypatch):
    at = _open(app_test, "llm_embed_local")
    dataset = _dataset()
    assert "nlp_llm_template" not in _keys(at.text_area) and "nlp_llm_mode" not in _keys(at.radio)
    assert translate("llm_form.embedding_how", "en") in [c.value for c in at.caption]
    table = at.table[0].value
    assert table.loc[translate("nlp.models.llm_embed_local.name", "en"), "Starting point"] == (
        "pretrained: LLM embeddings")
    at.text_input(key="nlp_llm_gguf").input(_gguf(tmp_path)).run()
    assert not _errors(at) and not at.button(key="nlp_train").disabled
    estimate = [i.value for i in at.info if "no money is spent" in i.value]
    fitted = len(dataset.x_train) + len(dataset.x_val)  # validation texts are embedded while fitting too
    assert estimate and estimate[0].startswith(f"{fitted:,} training and validation texts and "
                                               f"{len(dataset.x_test):,} test texts embedded")
    at.button(key="nlp_train").click().run()
    params = jobs.specs[-1].candidate_params
    assert params["model"] == _gguf(tmp_path) and params["prices_in"] == 0.0
    assert not {"k", "template", "max_tokens", "prices_out", "concurrency"} & set(params)

    monkeypatch.setenv("STUDIO_TEST_LLM_KEY", SECRET)
    at.radio(key="nlp_model").set_value("llm_embed_endpoint").run()
    assert "nlp_llm_price_in" in _keys(at.number_input)
    assert not {"nlp_llm_price_out", "nlp_llm_concurrency"} & _keys(at.number_input)  # no answers to price
    at.text_input(key="nlp_llm_base_url").input("https://llm.example.com/v1")
    at.text_input(key="nlp_llm_model_name").input("text-embedding-3-small")
    at.text_input(key="nlp_llm_key_env").input("STUDIO_TEST_LLM_KEY")
    at.number_input(key="nlp_llm_price_in").set_value(0.02).run()
    assert not _errors(at), _errors(at)
    bound = sum(len(str(t).encode()) for t in [*dataset.x_train, *dataset.x_val, *dataset.x_test])
    estimate = [i.value for i in at.info if i.value.startswith("At most ")]
    assert estimate == [translate("llm_form.embedding_estimate", "en", cost=f"{bound * 0.02 / 1e6:,.2f}",
                                  currency="USD", train=f"{fitted:,}", items=f"{len(dataset.x_test):,}",
                                  tokens_in=f"{bound:,}")]
    at.button(key="nlp_train").click().run()
    params = jobs.specs[-1].candidate_params
    assert params["model"] == "text-embedding-3-small" and params["api_key_env"] == "STUDIO_TEST_LLM_KEY"
    assert SECRET not in str(params) and "concurrency" not in params


def test_an_llms_mistakes_show_no_confidence_and_an_invalid_answer_names_no_class(app_test):
    """Its answers are one-hot: '100 %' beside each mistake would be a confidence it never gave; y_pred -1 must
    not index the last class."""
    from dashboard.labs.generic import described_mistakes

    wrong = [{"index": 3, "true": 0, "predicted": 1, "confidence": 1.0},
             {"index": 7, "true": 1, "predicted": -1, "confidence": 0.0}]
    shown = described_mistakes(wrong, ["negative", "positive"], answered=True)
    assert [(m["predicted_name"], m["confidence_text"]) for m in shown] == [("positive", "–"),
                                                                           ("no label (an invalid answer)", "–")]
    trained = described_mistakes(wrong[:1], ["negative", "positive"])
    assert trained[0]["confidence_text"] == "100.0%"
