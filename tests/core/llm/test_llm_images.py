"""An LLM that reads images as a vision candidate (issue 22): images go to an OpenAI-compatible endpoint as PNG data
URLs, zero-shot or with k labelled training images, a model that drops or refuses images is found out before
anything is scored, and the run is measured and recorded like any vision candidate.

No vision model can be downloaded here: the "model" is tests/llm_servers.ImageServer, which decodes every image it
receives and answers by a rule the test sets, so what is scored can be checked row by row. The text-only case is
llama.cpp's real server with the tiny GGUF model, which silently drops image parts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.data.cache import load_dataset
from core.errors import StudioError
from core.llm.classifier import (DEFAULT_IMAGE_TOKENS, LLMClassifier, chat_messages, most_prompt_tokens, readable)
from core.llm.clients import Endpoint, LLMError
from core.llm.images import as_uint8, data_url_pixels, enlarged, image_data_url
from core.llm.pricing import Prices
from core.tracking.run_files import EVALUATION_FILE
from core.training.pipeline import TrainingSpec, run_training
from core.training.saved_runs import load_run_model

pytest.importorskip("openai")

SAMPLE = 30


@pytest.fixture(scope="module")
def digits():
    return load_dataset("vision", "digits")


def _key(pixels: np.ndarray) -> bytes:
    return np.ascontiguousarray(pixels).tobytes()


def _answers_by_image(dataset, rows_right: set[int], *, invalid_rows: set[int] = frozenset()):
    """An ImageServer rule: the true label of test rows in rows_right, a wrong label for the others, a word that is
    no label for invalid_rows. It recognises a test image by the pixels it decoded."""
    table = {}
    for row, (image, label) in enumerate(zip(dataset.x_test, dataset.y_test)):
        pixels = data_url_pixels(image_data_url(image))
        if row in invalid_rows:
            table[_key(pixels)] = json.dumps({"label": "seven-ish"})
        else:
            named = int(label) if row in rows_right else (int(label) + 1) % dataset.num_classes
            table[_key(pixels)] = json.dumps({"label": dataset.class_names[named]})
    return lambda pixels: table.get(_key(pixels), json.dumps({"label": "not a test image"}))


# ---- images as the model receives them -----------------------------------------------------------------------

def test_an_image_reaches_the_model_as_its_own_pixels_enlarged_by_a_whole_factor():
    image = np.array([[0.0, 1.0], [0.5, 0.25]], dtype=np.float32)
    pixels = data_url_pixels(image_data_url(image, min_side=4))
    assert pixels.shape == (4, 4)
    assert pixels.tolist() == [[0, 0, 255, 255], [0, 0, 255, 255], [128, 128, 64, 64], [128, 128, 64, 64]]
    colour = np.zeros((3, 5, 3), dtype=np.float32)
    colour[..., 1] = 1.0
    assert data_url_pixels(image_data_url(colour, min_side=6)).shape == (6, 10, 3)  # factor 2: 3 -> 6
    assert enlarged(np.zeros((64, 100), dtype=np.uint8)).shape == (64, 100)  # big enough: untouched
    assert as_uint8(np.full((2, 2, 1), 2.0)).tolist() == [[255, 255], [255, 255]]  # clipped, channel dropped
    with pytest.raises(ValueError, match="pass one image, not a batch"):
        as_uint8(np.zeros((4, 8, 8, 1)))


def test_image_messages_put_each_image_where_the_template_says_and_count_a_bound_per_image():
    examples = [("data:image/png;base64,AAA", "3"), ("data:image/png;base64,BBB", "5")]
    messages = chat_messages("Labels: {labels}\n{examples}Image: {text}\nJSON please", labels=["3", "5"],
                             text="data:image/png;base64,CCC", examples=examples, inputs="image")
    parts = messages[1]["content"]
    assert [part["type"] for part in parts] == ["text", "image_url", "text", "image_url", "text", "image_url",
                                                "text"]
    assert [part["image_url"]["url"][-3:] for part in parts if part["type"] == "image_url"] == ["AAA", "BBB", "CCC"]
    assert readable(parts) == ("Labels: 3, 5\nExamples:\nImage: [image]\nLabel: 3\nImage: [image]\nLabel: 5\n"
                               "Image: [image]\nJSON please")
    text_bytes = sum(len(part["text"].encode()) for part in parts if part["type"] == "text")
    system_bytes = len(messages[0]["content"].encode())
    assert most_prompt_tokens(messages, image_tokens=100) == system_bytes + text_bytes + 3 * 100 + 32
    assert most_prompt_tokens(messages) == system_bytes + text_bytes + 3 * DEFAULT_IMAGE_TOKENS + 32


def test_a_local_model_is_refused_for_images_with_what_to_use_instead(digits):
    model = LLMClassifier(transport="local", model="/nowhere.gguf", inputs="image")
    with pytest.raises(LLMError, match="reads text only.*Use an endpoint whose model reads images"):
        model.fit(digits.x_train, digits.y_train, labels=digits.class_names)
    with pytest.raises(LLMError, match="image_tokens must be a whole number from 1 to 100,000"):
        LLMClassifier(transport="endpoint", inputs="image", image_tokens=0).fit(
            digits.x_train, digits.y_train, labels=digits.class_names)


# ---- is the image read at all? ---------------------------------------------------------------------------------

def test_a_text_only_model_behind_llama_cpp_is_found_out_before_scoring(llama_server):
    endpoint = Endpoint(llama_server.base_url, llama_server.model)
    with pytest.raises(LLMError, match=r"does not read images \(the image added no prompt tokens.*Choose a model"):
        endpoint.check_reads_images()


def test_an_endpoint_that_refuses_images_says_so_and_a_wrong_key_stays_a_key_problem(fault_server):
    fault_server.script([400])
    with pytest.raises(LLMError, match="does not read images .*nothing was scored"):
        Endpoint(fault_server.base_url, "text-model", retries=0).check_reads_images()
    fault_server.script([401])
    with pytest.raises(LLMError, match="refused the API key"):
        Endpoint(fault_server.base_url, "text-model", retries=0).check_reads_images()


def test_an_endpoint_that_reads_images_passes_the_check_and_its_two_requests_are_paid_for(digits):
    from llm_servers import ImageServer

    with ImageServer(lambda pixels: "OK", tokens_per_image=85) as server:
        tokens_in, tokens_out = Endpoint(server.base_url, "vision").check_reads_images()
        assert tokens_in > 2 * 85 / 2 and tokens_out == 12  # the image's 85 counted once; 6 answer tokens each
        assert len(server.images_seen) == 1 and server.images_seen[0].shape == (64, 64)  # the 8x8 board, x8
        model = LLMClassifier(transport="endpoint", base_url=server.base_url, model="vision", inputs="image",
                              prices=Prices(1_000_000.0, 0.0))  # 1 per token in: the check's cost is its tokens
        model.fit(digits.x_train, digits.y_train, labels=digits.class_names)
        model.open()
        scores = model.score([])
        assert scores.spent == pytest.approx(tokens_in)


# ---- a vision run end to end -----------------------------------------------------------------------------------

def test_a_vision_run_scores_a_sample_of_test_images_and_records_it_like_any_candidate(tracker, digits):
    from llm_servers import ImageServer

    right = set(range(0, len(digits.y_test), 3))  # every third test image answered right
    invalid = {1, 4}
    with ImageServer(_answers_by_image(digits, right, invalid_rows=invalid), tokens_per_image=85) as server:
        spec = TrainingSpec("vision", "digits", "llm_endpoint", candidate_params={
            "base_url": server.base_url, "model": "vision-model", "k": 4, "test_sample": SAMPLE,
            "prices_in": 0.15, "prices_out": 0.6, "image_tokens": 100, "language": "en"})
        outcome = run_training(spec, tracker=tracker)
        assert outcome.status == "completed", outcome
        evaluation = tracker.load_dict(outcome.run_id, EVALUATION_FILE)
        rows = evaluation["test_rows"]
        assert len(rows) == SAMPLE and evaluation["y_true"] == [int(digits.y_test[row]) for row in rows]
        expected = [(-1 if row in invalid else int(digits.y_test[row]) if row in right
                     else (int(digits.y_test[row]) + 1) % 10) for row in rows]
        assert evaluation["y_pred"] == expected  # each answer landed on its own row
        metrics = outcome.metrics
        assert metrics["test_accuracy"] == pytest.approx(sum(p == t for p, t in zip(expected, evaluation["y_true"]))
                                                         / SAMPLE)
        assert metrics["test_invalid_answers"] == sum(row in invalid for row in rows)
        assert metrics["llm_tokens_in_per_item"] > 5 * 85  # four example images and the one asked about
        assert metrics["llm_cost_per_1000"] > 0 and "validation" not in evaluation  # validation is not paid for
        # the check (2 requests) and one request per sampled image; four example images + one in each request
        asked = [r for r in server.requests if r.path.endswith("/chat/completions")]
        assert len(asked) == SAMPLE + 2 and len(server.images_seen) == 1 + SAMPLE * 5
        for mistake in evaluation["misclassified"]:  # indexes are test rows, as the page's pictures need
            assert mistake["index"] in rows and mistake["true"] == int(digits.y_test[mistake["index"]])
        assert evaluation["llm"]["inputs"] == "image" and evaluation["llm"]["prompt"].count("[image]") == 5

        train_images = {_key(data_url_pixels(image_data_url(image))) for image in digits.x_train}
        examples = [image for request in asked[2:3] for image in server.images_seen[1:5]]
        assert all(_key(image) in train_images for image in examples)  # k-shot images from the training split
        model = load_run_model(tracker, outcome.run_id)
        assert model.inputs == "image" and len(model.examples_) == 4
        assert {_key(data_url_pixels(url)) for url, _ in model.examples_} <= train_images


def test_a_vision_run_on_a_model_that_drops_images_fails_with_the_reason_and_scores_nothing(tracker):
    from llm_servers import ImageServer

    with ImageServer(lambda pixels: "{}", reads_images=False) as server:
        spec = TrainingSpec("vision", "digits", "llm_endpoint", candidate_params={
            "base_url": server.base_url, "model": "text-only", "test_sample": 10})
        with pytest.raises(StudioError, match="does not read images"):
            run_training(spec, tracker=tracker)
        assert len([r for r in server.requests if r.path.endswith("/chat/completions")]) == 2  # the check only
    runs = tracker.list_runs()
    assert list(runs["status"]) == ["failed"]


def test_an_endpoint_run_is_recorded_as_answered_there_with_no_size_or_memory_of_its_own(tracker, digits):
    from llm_servers import ImageServer

    from core.tracking.records import TAG_DEVICE

    with ImageServer(_answers_by_image(digits, set(range(len(digits.y_test))))) as server:
        spec = TrainingSpec("vision", "digits", "llm_endpoint", candidate_params={
            "base_url": server.base_url, "model": "vision-model", "test_sample": 10})
        outcome = run_training(spec, tracker=tracker)
    assert outcome.device == f"endpoint 127.0.0.1:{server.port}"
    assert tracker.get_run(outcome.run_id).data.tags[TAG_DEVICE] == outcome.device
    assert "model_size_bytes" not in outcome.metrics and "peak_rss_mb" not in outcome.metrics
    assert outcome.metrics["test_accuracy"] == 1.0
