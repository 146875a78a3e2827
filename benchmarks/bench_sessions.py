"""Four people training at once on two use cases: requested, trained, and shown to the right person (issue 21).

Starts `streamlit run dashboard/app.py` on a free port with a fresh STUDIO_DATA_DIR and opens four
headless Chromium browser contexts (four browser sessions, each its own person in single-user mode) at
the same time: two on the vision lab (digits: logistic regression; MLP for 3 epochs) and two on the
finance lab (bundled credit data: scorecard; gradient boosting). Each clicks Train once and waits for its
own job's outcome. Reports, per session, what it requested, the job its page followed (the URL's
?job=<id>), what the page said its job was and how it ended; then, from MLflow, how many runs were
trained per (use case, model) and with how many epochs. Prints numbers, asserts nothing.

    .venv/bin/python benchmarks/bench_sessions.py
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# (use case title in the picker, its id, model label on the Train tab, model id, epochs to type or None)
SESSIONS = [
    ("Vision", "vision", "Logistic regression (baseline)", "logreg", None),
    ("Vision", "vision", "Multilayer perceptron (MLP)", "mlp", 3),
    ("Finance risk", "finance", "Scorecard (logistic regression)", "scorecard", None),
    ("Finance risk", "finance", "Gradient boosting (scikit-learn)", "gbm", None),
]
OUTCOME = re.compile(r"Training finished|Finished: test ROC-AUC|Training was cancelled|Something went wrong|"
                     r"Training stopped|refused")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=300_000)
    page.wait_for_timeout(300)


def _session(url: str, spec: tuple, start: threading.Barrier, results: dict, index: int) -> None:
    from playwright.sync_api import sync_playwright

    title, use_case, model_label, model, epochs = spec
    result = results[index] = {"requested": f"{use_case}/{model}" + (f" x{epochs}" if epochs else ""),
                               "job": None, "shown": "", "outcome": "", "error": ""}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US").new_page()
            page.set_default_timeout(300_000)
            page.goto(f"{url}/lab")
            _idle(page)
            if title != "Vision":
                page.get_by_role("combobox", name="Use case", exact=True).click()
                page.get_by_role("option", name=title).first.click()
                _idle(page)
            tab = page.get_by_role("tab", name=re.compile("Train"))
            while tab.get_attribute("aria-selected") != "true":
                tab.click()
                page.wait_for_timeout(500)
            _idle(page)
            page.locator('[data-testid="stRadio"]').get_by_text(model_label, exact=True).click()
            _idle(page)
            if epochs:
                box = page.get_by_role("spinbutton", name="Epochs")
                deadline = time.monotonic() + 120
                while box.input_value() == "" and time.monotonic() < deadline:
                    page.wait_for_timeout(200)
                for _ in range(5):  # the model's own epochs landing mid-typing merge with it ("203"): type again
                    box.fill(str(epochs))
                    box.press("Tab")
                    _idle(page)
                    if box.input_value() == str(epochs):
                        break
            start.wait()  # all four click Train at about the same moment
            page.get_by_role("button", name="Train", exact=True).click()
            caption = page.get_by_text(re.compile(r"^Your job: ")).first
            caption.wait_for(timeout=300_000)
            result["shown"] = caption.inner_text()
            match = re.search(r"[?&]job=([0-9a-f]+)", page.url)
            result["job"] = match.group(1) if match else None
            page.get_by_text(OUTCOME).first.wait_for(timeout=1_200_000)
            result["outcome"] = page.get_by_text(OUTCOME).first.inner_text()[:80]
            browser.close()
    except Exception as error:  # noqa: BLE001 - reported in the table
        result["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="studio-bench-sessions-"))
    port = _free_port()
    env = {**os.environ, "STUDIO_DATA_DIR": str(data_dir), "STUDIO_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true",
                               "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    results: dict[int, dict] = {}
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        barrier = threading.Barrier(len(SESSIONS), timeout=600)
        started = time.perf_counter()
        threads = [threading.Thread(target=_session, args=(url, spec, barrier, results, n)) for n, spec in
                   enumerate(SESSIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    from core.config import load_settings
    from core.tracking.store import Tracker

    settings = load_settings({"STUDIO_DATA_DIR": str(data_dir)})
    runs = Tracker(settings.tracking_uri, settings.artifact_dir, settings.experiment_name).list_runs()
    print(f"4 sessions at once, wall {wall:.0f} s (server + 4 Chromium on this machine)")
    print(f"{'session':8} {'requested':22} {'job':13} {'shown as own job':52} outcome")
    right = 0
    for n, spec in enumerate(SESSIONS):
        r = results.get(n, {})
        expected = f"Your job: {spec[0]} · {spec[2]}"
        ok = r.get("shown") == expected and bool(r.get("job"))
        right += ok
        print(f"{n + 1:<8} {r.get('requested', ''):22} {str(r.get('job')):13} {r.get('shown', '')[:52]:52} "
              f"{r.get('outcome') or r.get('error')}")
    jobs = [r.get("job") for r in results.values() if r.get("job")]
    print(f"requested: {len(SESSIONS)}; distinct jobs followed: {len(set(jobs))}; "
          f"shown to the right session: {right}/{len(SESSIONS)}")
    trained = runs.groupby(["use_case", "model", "status"]).size() if not runs.empty else {}
    print("trained (MLflow runs by use case, model, status):")
    print(trained.to_string() if len(runs) else "  none")
    if "epochs" in runs.columns:
        mlp = runs[runs["model"] == "mlp"]
        print("MLP runs' epochs param:", list(mlp["epochs"]), "epochs_run:", list(mlp.get("epochs_run", [])))


if __name__ == "__main__":
    main()
