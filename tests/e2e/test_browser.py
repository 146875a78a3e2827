"""End to end in a real Chromium against `streamlit run` on a loopback port.

Opens every page, trains the digits CNN for 2 epochs through the UI, checks the curve and the
test accuracy appear, switches to Chinese. Screenshots land in test-artifacts/ for a person
to look at. One app server and one Chromium serve the session (e2e_support.py, conftest.py); each
test has a fresh browser context.
"""

from __future__ import annotations

import re

import pytest
# The helpers live in e2e_support.py (shared by every browser test); imported here too because other e2e
# files import them from this module. `server` and `page` are the session server and a fresh page per test.
from e2e_support import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LONG_JOB_DATASET, REPO_ROOT,  # noqa: F401
                         _combobox_value, _free_port, _no_exception, _open_tab, _require_browser, _shot, _start_server,
                         _stop_server, _wait_idle, browser_context, chromium_page, page, server,
                         start_vision_training, wait_for_epoch)

pytestmark = pytest.mark.e2e


def test_every_page_opens(page, server):
    for path, heading in (("", "AI Strategy Studio"), ("lab", "Use-case lab"), ("runs", "Runs"), ("selection", "Model selection"),
                          ("walkthrough", None), ("model-trace", None), ("strategy", "Strategy planner")):
        page.goto(f"{server}/{path}")
        page.wait_for_selector('[data-testid="stMain"]')
        _wait_idle(page)
        if heading:
            page.get_by_role("heading", name=heading).first.wait_for()
        _no_exception(page)
        assert page.get_by_text("Page not found").count() == 0
        _shot(page, f"page_{path or 'home'}_en")


def test_train_digits_cnn_two_epochs(page, server):
    page.goto(f"{server}/lab")
    _wait_idle(page)
    page.get_by_text("Training examples").first.wait_for()
    _open_tab(page, "Train")
    page.locator('[data-testid="stRadio"]').get_by_text("Convolutional network (CNN)", exact=True).click()
    _wait_idle(page)
    epochs = page.get_by_role("spinbutton", name="Epochs")
    assert epochs.is_enabled()
    epochs.fill("2")
    epochs.press("Enter")
    _wait_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Training finished", exact=False).wait_for(timeout=180_000)
    _wait_idle(page)
    _no_exception(page)
    _open_tab(page, "Results")
    page.get_by_text("Test accuracy", exact=True).first.wait_for()
    # the live/final curves are Plotly charts with the accuracy title
    assert page.locator(".js-plotly-plot").count() >= 2
    page.get_by_text("Accuracy per epoch").first.wait_for()
    metric = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text("Test accuracy", exact=True))
    accuracy_text = metric.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert re.fullmatch(r"\d{1,3}\.\d{2}%", accuracy_text.strip()), accuracy_text
    assert float(accuracy_text.strip().rstrip("%")) > 50.0  # two epochs of the digits CNN: about 80 %
    _shot(page, "lab_results_en")
    page.goto(f"{server}/runs")
    _wait_idle(page)
    page.get_by_text("Status: Completed", exact=False).first.wait_for()
    # the run is named for people: the model's and the dataset's names, not "cnn · digits" (issue 13.10)
    assert page.get_by_role("combobox", name="Run", exact=True).input_value().startswith(
        "Convolutional network (CNN) · Handwritten digits")
    _no_exception(page)
    _shot(page, "runs_en")


def test_switch_to_chinese(page, server):
    page.goto(f"{server}/")
    _wait_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("简体中文").click()
    _wait_idle(page)
    page.get_by_text("用例实验室").first.wait_for()
    page.get_by_role("heading", name="AI 策略工作室").first.wait_for()
    _wait_idle(page)
    assert "Use cases" not in page.inner_text('[data-testid="stMain"]')  # no English left in the body
    _no_exception(page)
    _shot(page, "home_zh")
    page.goto(f"{server}/lab")
    _wait_idle(page)
    # a reload starts a new session; the language choice is per session, so choose again
    page.locator('[data-testid="stSidebar"]').get_by_text("简体中文").click()
    _wait_idle(page)
    page.get_by_text("训练样本").first.wait_for()
    _wait_idle(page)
    # choices keep their value and show it in the new language (not the English label)
    assert _combobox_value(page, "用例", "视觉") == "视觉"
    _no_exception(page)
    _shot(page, "lab_zh")


def test_a_server_restart_mid_training_leaves_the_run_interrupted(page, tmp_path):
    """Kill the server while a training runs; after a restart the run says interrupted, not running."""
    process, url = _start_server(tmp_path)
    try:
        # a job of minutes (Fashion-MNIST): still training when the server is killed, on a fast machine too
        start_vision_training(page, url, "Multilayer perceptron (MLP)", epochs=200, dataset=LONG_JOB_DATASET)
        wait_for_epoch(page, url, 200, timeout_ms=120_000)
    finally:
        process.kill()  # a crash: no clean shutdown, the run is left "running" in MLflow
        process.wait(timeout=15)
    process, url = _start_server(tmp_path)
    try:
        page.goto(f"{url}/runs")
        _wait_idle(page)
        page.get_by_text("Status: Interrupted", exact=False).first.wait_for(timeout=60_000)
        _no_exception(page)
        _shot(page, "runs_after_restart_en")
    finally:
        _stop_server(process)


@pytest.mark.parametrize("use_case_id", ["nlp", "recommendation", "finance"])
def test_each_use_case_lab_opens_from_home_with_its_bundled_data(page, server, use_case_id):
    page.goto(f"{server}/")
    _wait_idle(page)
    page.locator(f".st-key-home_open_{use_case_id} button").click()
    page.get_by_role("tab", name=re.compile("Data")).first.wait_for()
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)  # the data overview draws its charts
    _wait_idle(page)
    _no_exception(page)
    _shot(page, f"lab_{use_case_id}_data_en")


def test_finance_scorecard_trains_and_shows_the_roc_curve(page, server):
    page.goto(f"{server}/")
    _wait_idle(page)
    page.locator(".st-key-home_open_finance button").click()
    _open_tab(page, "Train")
    page.locator(".st-key-finance_train button").click()
    page.get_by_text("Finished: test ROC-AUC", exact=False).wait_for(timeout=180_000)
    _wait_idle(page)
    _no_exception(page)
    _open_tab(page, "Results")
    page.get_by_text("ROC curve").first.wait_for()
    _no_exception(page)
    _shot(page, "lab_finance_results_en")
