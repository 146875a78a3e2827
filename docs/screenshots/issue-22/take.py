"""Screenshots of the vision lab's image-reading LLM candidate (issue 22), in headless Debian Chromium.

    cd /work/main && .venv/bin/python docs/screenshots/issue-22/take.py

Starts tests/llm_servers.ImageServer on loopback (it answers the TRUE digit for most test images of the bundled
digits and a wrong digit for every 7th test row), `streamlit run dashboard/app.py` on port 8599 over a fresh data
folder, and photographs (1400x1000, full page): the Train form, the run scoring, Results, Try it before/after
asking, the form in Chinese, and Model selection for Vision. PNGs land beside this file; timings are printed.
Then the NLP lab's LLM-embeddings candidate on a tiny random-weight GGUF file (form, embedding progress, results).
ONLY=vision or ONLY=nlp runs one part. Everything started here is stopped at the end.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
PORT = int(os.environ.get("PORT", "8599"))
LLM = "LLM through an API, reading the images (OpenAI-compatible)"
T0 = time.monotonic()
ANSWER_DELAY_S = 0.5


def log(message: str) -> None:
    print(f"[{time.monotonic() - T0:7.1f} s] {message}", flush=True)


def image_server():
    import numpy as np

    from core.data.cache import load_dataset
    from core.llm.images import data_url_pixels, image_data_url
    from llm_servers import ImageServer

    dataset = load_dataset("vision", "digits")
    table = {}
    for row, (image, label) in enumerate(zip(dataset.x_test, dataset.y_test)):
        key = np.ascontiguousarray(data_url_pixels(image_data_url(image))).tobytes()
        named = int(label) if row % 7 != 3 else (int(label) + 1) % dataset.num_classes
        table[key] = json.dumps({"label": dataset.class_names[named]})

    def answer(pixels):
        time.sleep(ANSWER_DELAY_S)  # a remote model's latency, so the progress bar can be seen
        return table.get(np.ascontiguousarray(pixels).tobytes(), json.dumps({"label": "not a test image"}))

    return ImageServer(answer, model="vision-model")


def idle(page, settle_ms: int = 1200) -> None:
    page.wait_for_timeout(400)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=240_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"], "
                           "[data-testid=\"stAppSkeleton\"]')", timeout=120_000)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
                           ".every((chart) => chart.querySelector('.main-svg'))", timeout=120_000)
    page.wait_for_timeout(settle_ms)


def tab(page, name: str) -> None:
    locator = page.get_by_role("tab", name=re.compile(name))
    for _ in range(10):
        locator.click()
        page.wait_for_timeout(600)
        if locator.get_attribute("aria-selected") == "true":
            idle(page)
            return
    raise AssertionError(f"tab {name!r} did not open")


def fill(page, selector: str, value: str) -> None:
    box = page.locator(selector)
    for _ in range(5):
        box.fill(value)
        box.press("Tab")
        idle(page, 600)
        if box.input_value() == value:
            return
    log(f"WARNING: {selector} holds {box.input_value()!r}, not {value!r}")


def content_height(page) -> int:
    return page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]') || document.querySelector('section.main');
        const block = main && (main.querySelector('[data-testid="stMainBlockContainer"]') || main.firstElementChild);
        return Math.max(main ? main.scrollHeight : 0, block ? block.scrollHeight + 120 : 0,
                        document.documentElement.scrollHeight);
    }""")


def shot(page, name: str, *, whole: bool = True) -> None:
    """Streamlit scrolls its main block, not the page: a full-page picture needs a viewport as tall as the content
    (whole=False: the viewport as it is, for a run in progress)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.mouse.move(1, 1)  # no tooltip left open under the pointer
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.wait_for_timeout(500 if whole else 0)
    path = HERE / f"{name}.png"
    tall = min(max(1000, content_height(page)), 12000) if whole else 1000
    if tall > 1000:
        page.set_viewport_size({"width": 1400, "height": tall})
        idle(page)
    page.screenshot(path=str(path), full_page=True)
    if tall > 1000:
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.wait_for_timeout(800)
    exceptions = page.locator('[data-testid="stException"]')
    log(f"shot {path.name}" + (f"  EXCEPTIONS SHOWN: {exceptions.count()}" if exceptions.count() else ""))
    for index in range(exceptions.count()):
        log("  exception: " + exceptions.nth(index).inner_text()[:2000])
    for alert in page.locator('[data-testid="stAlert"]').all():
        if alert.is_visible():
            log("  alert: " + alert.inner_text().replace("\n", " ")[:400])


OUTCOME = re.compile(r"Training finished|Scored: test accuracy|Training was cancelled|Something went wrong|failed")


def outcome(page, timeout_ms: int = 300_000) -> str:
    """Wait for the run's one-line outcome (finished, scored, cancelled or failed) and return it."""
    line = page.locator('[data-testid="stAlert"]').filter(has_text=OUTCOME).first
    line.wait_for(timeout=timeout_ms)
    idle(page)
    text = line.inner_text().replace("\n", " ")
    log(f"outcome: {text}")
    return text


def choose_model(page, label: str) -> None:
    page.locator(".st-key-vision_model").get_by_text(label, exact=True).click()
    idle(page)


def nlp_llm_embeddings(page, url: str) -> None:
    """The NLP lab's LLM-embeddings candidate on a tiny random-weight GGUF file: form, progress, results."""
    from core.llm.tiny_model import write_tiny_model

    gguf = write_tiny_model(Path("/tmp/issue22-tiny/tiny.gguf"))
    log(f"tiny GGUF written: {gguf} ({gguf.stat().st_size:,} bytes)")
    page.goto(f"{url}/lab")
    idle(page)
    box = page.get_by_role("combobox", name="Use case", exact=True)
    if "NLP" not in box.input_value():
        box.click()
        page.get_by_role("option", name=re.compile("^NLP")).click()
        idle(page)
    tab(page, "Data")
    dataset = page.get_by_role("combobox", name="Dataset", exact=True)
    if not dataset.input_value().startswith("English"):
        dataset.click()
        page.get_by_role("option", name=re.compile("^English")).click()
        idle(page)
    log(f"lab open on NLP / {dataset.input_value()}")
    tab(page, "Train")
    page.locator(".st-key-nlp_model").get_by_text("LLM embeddings + logistic regression (GGUF, llama.cpp)",
                                                  exact=True).click()
    idle(page)
    source = page.locator(".st-key-nlp_llm_source")
    chosen = source.get_by_role("combobox")
    log(f"model source shown: {chosen.input_value()!r}")
    if "GGUF file" not in chosen.input_value():
        chosen.click()
        page.get_by_role("option", name=re.compile("GGUF file")).click()
        idle(page)
    fill(page, ".st-key-nlp_llm_gguf input", str(gguf))
    shot(page, "lab-nlp-llm-embeddings")

    started = run_and_catch_progress(page, "nlp_train", r"Embedding the training and validation texts: \d+",
                                     "lab-nlp-llm-embeddings-progress", timeout=180_000)
    outcome(page, 1_200_000)
    log(f"embeddings run finished {time.monotonic() - started:.1f} s after Train")
    shot(page, "lab-nlp-llm-embeddings-finished")
    tab(page, "Results")
    shot(page, "lab-nlp-llm-embeddings-results")


def run_and_catch_progress(page, button: str, pattern: str, name: str, *, timeout: int) -> float:
    """Press the run's button and photograph its progress line once it shows; the time it was pressed."""
    started = time.monotonic()
    page.locator(f".st-key-{button} button").click()
    try:
        progress = page.get_by_text(re.compile(pattern)).first
        progress.wait_for(timeout=timeout)
        page.wait_for_timeout(1500)
        progress.scroll_into_view_if_needed()
        shot(page, name, whole=False)
        log(f"progress seen {time.monotonic() - started:.1f} s after the click: {progress.inner_text()}")
    except Exception as error:  # noqa: BLE001
        log(f"no progress caught for {name}: {error}")
    return started


def vision_scenes(page, url: str, server) -> None:
    """The vision lab's image-reading LLM: form, scoring, results, Try it, Chinese, Model selection."""
    page.goto(f"{url}/lab")
    idle(page)
    box = page.get_by_role("combobox", name="Use case", exact=True)
    if "Vision" not in box.input_value():
        box.click()
        page.get_by_role("option", name=re.compile("Vision")).click()
        idle(page)
    tab(page, "Data")
    dataset = page.get_by_role("combobox", name="Dataset", exact=True)
    log(f"dataset: {dataset.input_value()}")
    if not dataset.input_value().startswith("Handwritten digits 8x8"):
        dataset.click()
        page.get_by_role("option", name=re.compile("^Handwritten digits 8x8")).click()
        idle(page)
    log("lab open on Vision / digits")

    # the baseline first, for Model selection
    tab(page, "Train")
    choose_model(page, "Logistic regression (baseline)")
    started = time.monotonic()
    page.locator(".st-key-vision_train button").click()
    outcome(page)
    log(f"baseline trained in {time.monotonic() - started:.1f} s (click to 'finished')")

    tab(page, "Train")
    started = time.monotonic()
    choose_model(page, LLM)
    log(f"LLM candidate chosen in {time.monotonic() - started:.1f} s")
    fill(page, ".st-key-vision_llm_base_url input", server.base_url)
    fill(page, ".st-key-vision_llm_model_name input", "vision-model")
    page.locator(".st-key-vision_llm_mode").get_by_text("k-shot", exact=False).first.click()
    idle(page)
    fill(page, ".st-key-vision_llm_k input", "4")
    page.locator(".st-key-vision_llm_sample").get_by_text("A sample", exact=True).click()
    idle(page)
    fill(page, ".st-key-vision_llm_sample_size input", "40")
    fill(page, ".st-key-vision_llm_price_in input", "0.15")
    shot(page, "lab-vision-llm-form")

    started = run_and_catch_progress(page, "vision_train", r"Scoring item \d+ of 40", "lab-vision-llm-scoring",
                                     timeout=120_000)
    outcome(page)
    log(f"LLM run finished {time.monotonic() - started:.1f} s after Train; requests {len(server.requests)}, "
        f"images seen {len(server.images_seen)}")
    shot(page, "lab-vision-llm-finished")

    tab(page, "Results")
    shot(page, "lab-vision-llm-results")

    tab(page, "Try it")
    fill(page, ".st-key-vision_try_index input", "5")
    shot(page, "lab-vision-llm-try-before")
    before = len(server.requests)
    log(f"requests before asking: {before}")
    started = time.monotonic()
    page.locator(".st-key-vision_try_ask button").click()
    page.get_by_text(re.compile(r"One request: |From the cache")).first.wait_for(timeout=120_000)
    idle(page)
    log(f"asked in {time.monotonic() - started:.1f} s; {len(server.requests) - before} request(s)")
    for request in server.requests[before:]:
        messages = (request.body or {}).get("messages", []) if isinstance(request.body, dict) else []
        images = sum(1 for m in messages if isinstance(m.get("content"), list)
                     for part in m["content"] if part.get("type") == "image_url")
        roles = ",".join(m.get("role", "?") for m in messages)
        log(f"  {request.method} {request.path}: {len(messages)} messages ({roles}), {images} images")
    shot(page, "lab-vision-llm-try-after")

    # Chinese
    page.locator('[data-testid="stSidebar"]').get_by_text("中文").first.click()
    idle(page)
    tab(page, "2 ·")
    shot(page, "lab-vision-llm-form-zh")
    tab(page, "3 ·")
    shot(page, "lab-vision-llm-results-zh")
    page.locator('[data-testid="stSidebar"]').get_by_text("English").first.click()
    idle(page)

    # Model selection
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Model selection").first.click()
    idle(page)
    box = page.get_by_role("combobox", name="Use case", exact=True)
    if "Vision" not in box.input_value():
        box.click()
        page.get_by_role("option", name=re.compile("Vision")).click()
        idle(page)
    shot(page, "selection-vision-llm")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    grid.hover()
    page.mouse.wheel(900, 0)
    page.wait_for_timeout(800)
    grid.screenshot(path=str(HERE / "selection-vision-llm-table-right.png"))
    log("shot selection-vision-llm-table-right.png (the comparison table scrolled right)")
    grid.hover()
    page.mouse.wheel(3000, 0)
    page.wait_for_timeout(800)
    grid.screenshot(path=str(HERE / "selection-vision-llm-table-far-right.png"))
    log("shot selection-vision-llm-table-far-right.png (the comparison table scrolled to its right end)")


def main() -> None:
    from playwright.sync_api import sync_playwright

    server = image_server()
    log(f"ImageServer base_url {server.base_url}")
    data_dir = tempfile.mkdtemp(prefix="studio-issue22-")
    streamlit_log = open(Path(data_dir) / "streamlit.log", "w")
    app = subprocess.Popen([str(REPO / ".venv/bin/streamlit"), "run", "dashboard/app.py", "--server.headless", "true",
                            "--server.port", str(PORT)], cwd=REPO, env={**os.environ, "STUDIO_DATA_DIR": data_dir},
                           stdout=streamlit_log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{PORT}"
    log(f"streamlit pid {app.pid}, data {data_dir}")
    playwright = browser = None
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        log("app healthy")
        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        context.set_default_timeout(120_000)
        page = context.new_page()

        if os.environ.get("ONLY") != "nlp":
            vision_scenes(page, url, server)
        if os.environ.get("ONLY") != "vision":
            nlp_llm_embeddings(page, url)
    finally:
        if browser is not None:
            browser.close()
        if playwright is not None:
            playwright.stop()
        os.killpg(app.pid, signal.SIGTERM)
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(app.pid, signal.SIGKILL)
        server.stop()
        streamlit_log.close()
        log(f"stopped; streamlit log {streamlit_log.name}")


if __name__ == "__main__":
    main()
