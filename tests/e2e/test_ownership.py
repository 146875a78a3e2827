"""End to end in Chromium (issue 21): a job belongs to the browser that submitted it, and the typed epochs train.

Two browser contexts on one server are two people's browsers: the second must not take the first's
running job for its own, sees it as someone else's without a Cancel button and may queue its own; a
reload finds the browser's own job again by the URL's ?job=<id>. Epochs typed and Train pressed at
once train exactly that many epochs (the run records them), and 300 over the maximum of 200 is
refused naming the range. Uses the helpers of test_browser.py.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest

from e2e_support import LONG_JOB_DATASET, choose_dataset, type_epochs
from test_browser import (_no_exception, _open_tab, _require_browser, _start_server,
                          _stop_server, _wait_idle)

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"  # docs/screenshots/issue-21 has the curated ones
MLP = "Multilayer perceptron (MLP)"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """(url, data dir) of a `streamlit run` of the app on its own empty data dir."""
    _require_browser()
    data_dir = tmp_path_factory.mktemp("ownership-data")
    process, url = _start_server(data_dir)
    yield url, data_dir
    _stop_server(process)


@contextlib.contextmanager
def two_browsers():
    """Two pages in separate browser contexts (separate cookies and sessions) of the session's one Chromium."""
    from e2e_support import chromium_page

    with chromium_page() as first, chromium_page() as second:
        yield [first, second]


def _runs(data_dir: Path):
    from core.config import load_settings
    from core.tracking.store import Tracker

    settings = load_settings({"STUDIO_DATA_DIR": str(data_dir)})
    return Tracker(settings.tracking_uri, settings.artifact_dir, settings.experiment_name)


def _until_value(page, box, expected: str, timeout_s: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while box.input_value() != expected:
        assert time.monotonic() < deadline, f"the box shows {box.input_value()!r}, not {expected!r}"
        page.wait_for_timeout(200)


def _choose_mlp(page):
    """The MLP on the Train tab; returns the Epochs box once it shows the MLP's own 20 (that rerun has landed:
    typing earlier is overwritten by it)."""
    page.locator('[data-testid="stRadio"]').get_by_text(MLP, exact=True).click()
    _wait_idle(page)
    box = page.get_by_role("spinbutton", name="Epochs")
    _until_value(page, box, "20")
    return box


def start_training(page, url: str, *, epochs: int, dataset: str | None = None) -> None:
    """The vision lab's MLP for `epochs` (on `dataset`, default the lab's own), Train clicked until this browser's
    own job shows."""
    page.goto(f"{url}/lab")
    _wait_idle(page)
    if dataset is not None:
        choose_dataset(page, dataset)
    _open_tab(page, "Train")
    _choose_mlp(page)
    type_epochs(page, epochs)
    train = page.get_by_role("button", name="Train", exact=True)
    train.click()
    page.get_by_text(f"Your job: Vision · {MLP}").first.wait_for(timeout=120_000)


def _cancel(page) -> None:
    page.get_by_role("button", name="Cancel training").click()
    page.get_by_text("Training was cancelled").first.wait_for(timeout=120_000)


def test_a_second_browser_does_not_adopt_the_first_browsers_job_and_a_reload_finds_it_by_url(studio):
    url, _ = studio
    with two_browsers() as (first, second):
        start_training(first, url, epochs=200, dataset=LONG_JOB_DATASET)  # minutes: it runs until cancelled
        first.get_by_text(re.compile(r"Epoch \d+ of 200")).first.wait_for(timeout=120_000)
        assert "job=" in first.url  # the page's URL names its own job
        second.goto(f"{url}/lab")
        _wait_idle(second)
        _open_tab(second, "Train")
        second.get_by_text(re.compile(r"Another browser session is training Vision · Multilayer perceptron \(MLP\), "
                                      r"epoch \d+ of 200")).first.wait_for(timeout=60_000)
        assert second.get_by_text("Your job:").count() == 0
        assert second.get_by_role("button", name="Cancel training").count() == 0
        assert second.get_by_role("button", name="Train", exact=True).is_enabled()
        _no_exception(second)
        SHOTS.mkdir(parents=True, exist_ok=True)
        second.screenshot(path=str(SHOTS / "item2-after-second-browser.png"), full_page=False)
        # the first browser reloads: a new session that finds its own job by the URL
        first.reload()
        _wait_idle(first)
        _open_tab(first, "Train")
        first.get_by_text(re.compile(r"Epoch \d+ of 200")).first.wait_for(timeout=60_000)
        first.get_by_text("Your job: Vision · Multilayer perceptron (MLP)").first.wait_for()
        _cancel(first)
        _no_exception(first)


def test_typed_epochs_pressed_at_once_train_exactly_that_many_and_300_is_refused_naming_the_range(studio):
    url, data_dir = studio
    with two_browsers() as (other, page):
        start_training(other, url, epochs=200, dataset=LONG_JOB_DATASET)  # a concurrent load: another browser trains
        other.get_by_text(re.compile(r"Epoch \d+ of 200")).first.wait_for(timeout=120_000)
        page.goto(f"{url}/lab")
        _wait_idle(page)
        _open_tab(page, "Train")
        box = _choose_mlp(page)
        box.fill("300")
        box.press("Tab")
        page.get_by_text("Epochs must be a whole number from 1 to 200; you typed 300").first.wait_for()
        assert box.input_value() == "300"  # kept as typed, not silently set back to 20
        page.get_by_role("button", name="Train", exact=True).click()  # refused on the click, nothing queued
        _wait_idle(page)
        assert page.get_by_text("Your job:").count() == 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "item3-epochs-out-of-range.png"), full_page=False)
        box.fill("3")
        page.get_by_role("button", name="Train", exact=True).click()  # at once: no Enter, no wait
        page.get_by_text("Your job: Vision · Multilayer perceptron (MLP)").first.wait_for(timeout=60_000)
        _cancel(other)  # one worker: the typed job starts once the other browser's job ends
        page.get_by_text("Training finished").first.wait_for(timeout=300_000)
        _no_exception(page)
    tracker = _runs(data_dir)
    runs = tracker.list_runs(use_case="vision")
    completed = runs[runs["status"] == "completed"]
    assert len(completed) == 1, runs[["status", "epochs_run"]]
    run = tracker.get_run(completed["run_id"].iloc[0])
    assert run.data.params["epochs"] == "3" and int(completed["epochs_run"].iloc[0]) == 3
