"""Shared machinery of the browser tests: `streamlit run` servers on loopback ports, one Chromium, page helpers.

One app server (over its own empty data dir) and one headless Chromium serve the whole test session;
each test gets a fresh browser context (`page`), so no cookies, session or language choice leaks between
tests. Tests that need a server of their own (a restart, sign-in configured, team mode) start one with
`_start_server`. The session's server and browser start on first use and stop at the end of the session
(tests/e2e/conftest.py). Not a test module: test_browser.py re-exports these helpers for files that
import them from there (chromium_page, start_vision_training, the `server` and `page` fixtures, ...).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
VIEWPORT = {"width": 1440, "height": 1000}
SERVER_START_S = 120  # a loaded 2-core machine took over 40 s to answer the first health check
SERVER_LOGS: dict[str, Path] = {}  # each test server's URL -> its log, quoted when a wait on its page fails


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    message = "Debian chromium is not installed (bash scripts/setup.sh --dev installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(data_dir: Path, *, port: int | None = None, env: dict[str, str] | None = None,
                  args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """`streamlit run` of the app on a free loopback port over `data_dir`; returns (process, url).

    port, env (added to the environment) and args (more `streamlit run` options) let a test start it
    with sign-in configured.
    """
    port = port or _free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "STUDIO_DATA_DIR": str(data_dir), "STUDIO_OFFLINE": "1", **(env or {})}
    log = open(data_dir / f"server-{port}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "dashboard" / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", *args],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    SERVER_LOGS[url] = data_dir / f"server-{port}.log"
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    pytest.fail("streamlit did not start: " + (data_dir / f"server-{port}.log").read_text()[-2000:])


def what_the_page_shows(page, url: str) -> str:
    """The page's text and the end of its server's log: what a failed wait quotes, so a CI failure says why."""
    try:
        body = page.inner_text("body", timeout=5_000)[:3000]
    except Exception as error:  # noqa: BLE001 - a diagnosis must not hide the failure it explains
        body = f"(page text unreadable: {error})"
    log = SERVER_LOGS.get(url.rstrip("/"))
    tail = log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else "(no server log)"
    return f"--- page text ---\n{body}\n--- server log (end) ---\n{tail}"


def _stop_server(process: subprocess.Popen, grace_s: float = 5.0) -> None:
    """Stop a test's app server: SIGTERM, then SIGKILL after `grace_s` (a job still training in one of its
    threads keeps the process up until it ends; nothing of a test server is kept)."""
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


class _Session:
    """What the browser tests of one pytest session share: the app server and Chromium, started lazily."""

    def __init__(self) -> None:
        self.folder: Path | None = None  # set by tests/e2e/conftest.py (a pytest tmp folder)
        self.seed_data_dir: Callable[[Path], object] | None = None  # copies the empty MLflow schema in
        self._server: tuple[subprocess.Popen, str] | None = None
        self._playwright = None
        self._browser = None

    def server_url(self) -> str:
        if self._server is None:
            _require_browser()
            data_dir = (self.folder or Path(REPO_ROOT / "test-artifacts")) / "e2e-data"
            data_dir.mkdir(parents=True, exist_ok=True)
            if self.seed_data_dir is not None:
                self.seed_data_dir(data_dir)
            self._server = _start_server(data_dir)
        return self._server[1]

    def browser(self):
        """The session's headless Chromium (one Playwright driver per process: the sync API allows no second)."""
        if self._browser is None:
            _require_browser()
            from playwright.sync_api import sync_playwright

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                             headless=True)
        return self._browser

    def close(self) -> None:
        if self._server is not None:
            _stop_server(self._server[0])
            self._server = None
        if self._browser is not None:
            with contextlib.suppress(Exception):
                self._browser.close()
            self._browser = None
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                self._playwright.stop()
            self._playwright = None


SESSION = _Session()


@contextlib.contextmanager
def browser_context(*, timeout_ms: int = 60_000):
    """A fresh context (no cookies, no storage) of the session's Chromium, 1440x1000, English locale."""
    context = SESSION.browser().new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(timeout_ms)
    try:
        yield context
    finally:
        with contextlib.suppress(Exception):
            context.close()


@contextlib.contextmanager
def chromium_page(*, timeout_ms: int = 60_000):
    """A page in a fresh context of headless Debian Chromium, 1440x1000, English locale, 60 s default timeout."""
    with browser_context(timeout_ms=timeout_ms) as context:
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        yield page


@pytest.fixture(scope="session")
def server() -> str:
    """The URL of the session's `streamlit run` of the app (its own empty data dir, shared by the tests that
    use this fixture: runs one test trains are visible to the next)."""
    return SESSION.server_url()


@pytest.fixture
def page():
    """A page in a fresh browser context of the session's Chromium (closed after the test)."""
    with chromium_page() as page:
        yield page


# Neither the app's loading placeholder (before the first script run has sent anything) nor an element's.
NO_PLACEHOLDER = "() => !document.querySelector('[data-testid=\"stSkeleton\"], [data-testid=\"stAppSkeleton\"]')"
# Every Plotly chart on the page has drawn its SVG (Plotly draws after Streamlit's element arrives).
CHARTS_DRAWN = ("() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
                ".every((chart) => chart.querySelector('.main-svg'))")


def _wait_drawn(page, timeout_ms: int = 60_000) -> None:
    """Wait until no element is a placeholder any more and every chart has drawn (no fixed sleep: these
    were 0.5 s after every script run and 1.5 s before every picture, about a minute of the suite)."""
    page.wait_for_function(NO_PLACEHOLDER, timeout=timeout_ms)
    page.wait_for_function(CHARTS_DRAWN, timeout=timeout_ms)
    page.wait_for_timeout(100)


def _wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished the current script run and drawn every element (each wait `timeout_ms`,
    the script run at least 120 s)."""
    page.wait_for_timeout(300)  # a click's rerun puts up the status widget within this
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=max(timeout_ms, 120_000))
    _wait_drawn(page, timeout_ms)


def _open_tab(page, name: str) -> None:
    """Click a tab until it is the selected one (a click during a rerun can be lost)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    tab = page.get_by_role("tab", name=re.compile(name))
    for _ in range(10):
        tab.click()
        try:
            tab.and_(page.locator('[aria-selected="true"]')).wait_for(timeout=1_000)
        except PlaywrightTimeoutError:
            continue
        _wait_idle(page)
        return
    raise AssertionError(f"tab {name!r} did not open")


def _combobox_value(page, label: str, expected: str) -> str:
    """The text a selectbox shows, once it equals `expected` (or after 30 s)."""
    box = page.get_by_role("combobox", name=label, exact=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and box.input_value() != expected:
        page.wait_for_timeout(300)
    return box.input_value()


# A job that runs until the test stops it, on any machine: a 200-epoch MLP on the 54,000 Fashion-MNIST training
# images takes minutes an epoch's few seconds at a time; on the 1,437 bundled digits a fast worker ran all
# 200 epochs in seconds, before a reload could find it running (and epochs 2 to 9 between two polls).
LONG_JOB_DATASET = "Fashion-MNIST (installed)"


def choose_dataset(page, dataset: str) -> None:
    """On the lab's Data tab, choose the source whose title starts with `dataset`."""
    _open_tab(page, "Data")
    box = page.get_by_role("combobox", name="Dataset", exact=True)
    box.click()
    page.get_by_role("option", name=re.compile("^" + re.escape(dataset))).click()
    _wait_idle(page)
    assert box.input_value().startswith(dataset), box.input_value()


def type_epochs(page, epochs: int) -> None:
    """Type `epochs` into the Epochs box until it holds exactly that (Enter sends it).

    Choosing a model puts its own epochs on the box when that rerun lands; typed before, the two merge
    (a CI run's box read "20200": the MLP's 20, then the typed 200, refused as out of range).
    """
    box = page.get_by_role("spinbutton", name="Epochs")
    for _ in range(5):
        box.fill(str(epochs))
        box.press("Enter")
        _wait_idle(page)
        if box.input_value() == str(epochs) and page.get_by_text("Epochs must be a whole number").count() == 0:
            return
    raise AssertionError(f"the Epochs box shows {box.input_value()!r}, not {epochs}")


def start_vision_training(page, url: str, model: str, *, epochs: int, dataset: str | None = None) -> None:
    """On the vision lab, choose `dataset` (its title, default the lab's own) on the Data tab, then `model` (its
    label) and `epochs` on the Train tab, and click Train."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.goto(f"{url}/lab")
    _wait_idle(page)
    if dataset is not None:
        choose_dataset(page, dataset)
    _open_tab(page, "Train")
    page.locator('[data-testid="stRadio"]').get_by_text(model, exact=True).click()
    _wait_idle(page)
    type_epochs(page, epochs)
    train = page.get_by_role("button", name="Train", exact=True)
    # drawn by the run that submitted the job (its caption), by training, or once it has finished
    job = page.get_by_text(re.compile(r"Your job:|Epoch \d+ of|Training finished")).first
    for _ in range(3):  # a click that lands during a rerun can be lost (as with tabs): click again
        train.click()
        try:
            job.wait_for(timeout=30_000)
            return
        except PlaywrightTimeoutError:
            if not train.is_enabled():
                return
    try:
        job.wait_for(timeout=60_000)
    except PlaywrightTimeoutError:
        raise AssertionError("no job after three Train clicks\n" + what_the_page_shows(page, url)) from None


def wait_for_epoch(page, url: str, epochs: int, *, at_least: int = 1, timeout_ms: int = 420_000) -> int:
    """The epoch the page's live progress shows ("Epoch 3 of 200 · ..."), once it is `at_least`.

    Any epoch from `at_least` on counts: a fast worker can run several epochs between two of the page's
    once-a-second polls, so waiting for one exact epoch (or a range) can wait for a line already gone.
    """
    pattern = re.compile(rf"Epoch (\d+) of {epochs}\b")
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        line = page.get_by_text(pattern).first
        try:
            if line.count():
                match = pattern.search(line.inner_text(timeout=2_000))
                if match and int(match.group(1)) >= at_least:
                    return int(match.group(1))
        except Exception:  # noqa: BLE001 - the progress panel redraws every second: the line may be replaced
            pass
        page.wait_for_timeout(250)
    raise AssertionError(f"no 'Epoch n of {epochs}' with n >= {at_least} in {timeout_ms / 1000:.0f} s\n"
                         + what_the_page_shows(page, url))


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:3000]


def _shot(page, name: str) -> None:
    _wait_drawn(page)  # placeholders turned into widgets, charts drawn
    page.evaluate("() => document.fonts.ready.then(() => true)")  # icons and CJK text in their own fonts
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
