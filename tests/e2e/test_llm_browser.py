"""An LLM candidate end to end in Chromium: the tiny random-weight GGUF model (written for the test; its answers are
chance) run by llama.cpp inside the app on the bundled English reviews, then found as its own starting point on
Model selection and in the Strategy planner's starting-points table."""

from __future__ import annotations

import re

import pytest
from e2e_support import _no_exception, _open_tab, _shot, _wait_idle, page, server, what_the_page_shows  # noqa: F401

pytestmark = pytest.mark.e2e
pytest.importorskip("llama_cpp")

LOCAL_LLM = "LLM on this machine (GGUF, llama.cpp)"
SAMPLE = 12


def test_a_local_llm_scores_reviews_and_stands_beside_the_trained_models(page, server, tiny_gguf):
    page.goto(f"{server}/")
    _wait_idle(page)
    page.locator(".st-key-home_open_nlp button").click()
    _open_tab(page, "Train")
    page.locator('[data-testid="stRadio"]').get_by_text(LOCAL_LLM, exact=True).click()
    _wait_idle(page)
    path = page.get_by_role("textbox", name="GGUF model file")
    path.fill(str(tiny_gguf))
    path.press("Enter")
    _wait_idle(page)
    page.locator(".st-key-nlp_llm_sample").get_by_text("A sample", exact=True).click()
    _wait_idle(page)
    size = page.get_by_role("spinbutton", name="Sample size")
    size.fill(str(SAMPLE))
    size.press("Enter")
    _wait_idle(page)
    page.get_by_text(f"{SAMPLE} texts, at most").first.wait_for()  # the worst-case estimate follows the sample
    assert page.get_by_text("The prompt for the first test text:").count() == 1
    page.get_by_role("button", name="Score the test set", exact=True).click()  # an LLM is asked, not trained
    try:
        page.get_by_text(re.compile(r"Scored: test accuracy .* Nothing was trained")).first.wait_for(timeout=240_000)
    except Exception:
        raise AssertionError("the LLM run did not finish\n" + what_the_page_shows(page, server)) from None
    _wait_idle(page)
    _no_exception(page)
    _shot(page, "lab_nlp_llm_finished_en")

    page.goto(f"{server}/selection")
    _wait_idle(page)
    box = page.get_by_role("combobox", name="Use case", exact=True)
    box.click()
    page.get_by_role("option", name="NLP").click()
    _wait_idle(page)
    page.get_by_text("LLM, zero-shot").first.wait_for(state="attached", timeout=60_000)  # a grid cell
    _no_exception(page)
    _shot(page, "selection_nlp_llm_en")

    page.goto(f"{server}/strategy")
    _wait_idle(page)
    page.get_by_text("LLM, zero-shot").first.wait_for(state="attached", timeout=60_000)  # a grid cell
    _no_exception(page)
    page.get_by_text("Pretrained vs from scratch vs baseline vs LLM").first.scroll_into_view_if_needed()
    _wait_idle(page)
    _shot(page, "strategy_llm_start_en")
