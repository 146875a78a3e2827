"""Screenshots of every page for issue 24 (a refactoring that must change nothing a user sees), from any checkout.

    .venv/bin/python docs/screenshots/issue-24/take.py --repo <checkout> --tag before|after [--out /tmp/shots]

Records a few quick real runs into a fresh data folder (always the same path, so the sidebar's "runs stored in"
reads the same for every checkout) with the checkout's own pipeline: vision digits with logistic regression and an
MLP (2 epochs), NLP English reviews with TF-IDF + logistic regression, finance credit data with the scorecard and
recommendation MovieLens with the popularity baseline. Then starts `streamlit run dashboard/app.py` of that
checkout on a free port and photographs, in headless Chromium at 1400x1000 in English: Home; the lab of each use
case (Data, Train and Results tabs); Runs; Model selection (vision); Strategy; Model trace; Walkthrough.
Each page is saved as <page>-<tag>.png (the 1400x1000 viewport) and <page>-<tag>-full.png (the viewport made as
tall as the page's content, so nothing below the fold goes unseen) under --out.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
WIDTH, HEIGHT = 1400, 1000
USE_CASES = {"vision": "Vision", "nlp": "NLP", "finance": "Finance risk", "recommendation": "Recommendation"}

# Only imports that both checkouts have (store_upload/UPLOAD_NAME moved in the refactoring; no upload is seeded).
SEED_RUNS = textwrap.dedent('''
    from core.config import get_settings
    from core.tracking.store import tracker_from_settings
    from core.training.pipeline import run_training, TrainingSpec
    from core.training.runner import TrainConfig

    tracker = tracker_from_settings(get_settings())
    for use_case, dataset, model, epochs in (("vision", "digits", "logreg", 1), ("vision", "digits", "mlp", 2),
                                             ("nlp", "en_reviews", "tfidf_logreg", 1),
                                             ("finance", "credit_data", "scorecard", 1),
                                             ("recommendation", "movielens", "popularity", 1)):
        outcome = run_training(TrainingSpec(use_case, dataset, model, config=TrainConfig(epochs=epochs, seed=0)),
                               tracker=tracker)
        print(use_case, dataset, model, outcome.status, flush=True)
''')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _idle(page) -> None:
    page.wait_for_timeout(400)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=180_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=120_000)
    page.wait_for_timeout(1500)


def _tab(page, name: str) -> None:
    tab = page.get_by_role("tab", name=re.compile(name))
    for _ in range(10):
        tab.click()
        page.wait_for_timeout(600)
        if tab.get_attribute("aria-selected") == "true":
            _idle(page)
            return
    raise RuntimeError(f"tab {name!r} did not open")


def _content_height(page) -> int:
    return page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]') || document.querySelector('section.main');
        const block = main && (main.querySelector('[data-testid="stMainBlockContainer"]') || main.firstElementChild);
        return Math.max(main ? main.scrollHeight : 0, block ? block.scrollHeight + 120 : 0,
                        document.documentElement.scrollHeight);
    }""")


def _shoot(page, out: Path, name: str, tag: str) -> None:
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.mouse.move(1, 1)
    page.wait_for_timeout(500)
    page.screenshot(path=str(out / f"{name}-{tag}.png"))
    tall = min(max(HEIGHT, _content_height(page)), 9000)
    if tall > HEIGHT:
        page.set_viewport_size({"width": WIDTH, "height": tall})
        _idle(page)
        page.screenshot(path=str(out / f"{name}-{tag}-full.png"))
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
        page.wait_for_timeout(800)
    else:
        shutil.copy(out / f"{name}-{tag}.png", out / f"{name}-{tag}-full.png")
    print("shot", name, tall, flush=True)


def _use_case(page, title: str) -> None:
    box = page.get_by_role("combobox").first
    box.click()
    page.get_by_role("option", name=title, exact=True).click()
    _idle(page)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--out", type=Path, default=Path("/tmp/shots"))
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/shots/studio-data"))
    args = parser.parse_args()
    repo = args.repo.resolve()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data_dir = args.data_dir.resolve()
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = {**os.environ, "STUDIO_DATA_DIR": str(data_dir), "STUDIO_OFFLINE": "1", "PYTHONPATH": str(repo),
           "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run([sys.executable, "-c", SEED_RUNS], cwd=repo, env=env, check=True)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port),
                               "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                              cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="en-US").new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{url}/?lang=en")
            _idle(page)
            _shoot(page, out, "home", args.tag)
            page.goto(f"{url}/lab?lang=en")
            _idle(page)
            for use_case_id, title in USE_CASES.items():
                _use_case(page, title)
                page.get_by_role("tab").first.wait_for()
                for tab in ("Data", "Train", "Results"):
                    _tab(page, f"· {tab}")
                    _shoot(page, out, f"lab-{use_case_id}-{tab.lower()}", args.tag)
                _tab(page, "· Data")  # the next use case opens on its Data tab
            for name, path in (("runs", "runs"), ("selection-vision", "selection"), ("strategy", "strategy"),
                               ("model-trace", "model-trace"), ("walkthrough", "walkthrough")):
                page.goto(f"{url}/{path}?lang=en")
                _idle(page)
                _idle(page)
                _shoot(page, out, name, args.tag)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
