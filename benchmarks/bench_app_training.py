"""Training inside the running app (Streamlit server + Chromium watching live progress) vs the same run outside it.

Starts `streamlit run dashboard/app.py` on a free port with a temporary data folder, opens the
lab in headless Chromium, trains the lab's default model on its default dataset (vision: CNN on
digits, 15 epochs; recommendation: matrix factorisation + genres & year on MovieLens, 15 epochs)
with the progress panel refreshing every second, and reads the run's train_seconds from MLflow.
Then trains the same spec with core.training.pipeline in this process. Prints both and the
ratio (prints numbers, asserts nothing).

    .venv/bin/python benchmarks/bench_app_training.py [--use-case vision|recommendation] [--streamlit-gc]

--streamlit-gc turns Streamlit's forced gc.collect(2) after every rerun back on (the
.streamlit/config.toml turns it off) to show what it costs.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# use case -> (its title in the lab's picker, the metric reported, the lab's batch size and learning rate
# when they are not the candidate's: the image lab starts at 64 and 1e-3 for every model)
LABS = {"vision": ("Vision", "test_accuracy", 64, 1e-3), "recommendation": ("Recommendation", "test_rmse", None, None)}


def _train_seconds(data_dir: Path, metric: str) -> tuple[float, float]:
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{data_dir / 'mlflow.db'}")
    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    metrics = runs[0].data.metrics
    return metrics["train_seconds"], metrics[metric]


def in_app(use_case: str, streamlit_gc: bool) -> tuple[float, float, float]:
    from playwright.sync_api import sync_playwright

    data_dir = Path(tempfile.mkdtemp(prefix="studio-bench-app-"))
    port = _free_port()
    env = {**os.environ, "STUDIO_DATA_DIR": str(data_dir), "STUDIO_OFFLINE": "1"}
    if streamlit_gc:
        env["STREAMLIT_RUNNER_POST_SCRIPT_GC"] = "true"
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port),
                               "--server.headless", "true"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/lab")
            page.get_by_text("Use case").first.wait_for(timeout=120_000)
            page.locator('[data-testid="stSelectbox"]').first.click()
            page.get_by_role("option", name=LABS[use_case][0]).first.click()
            page.get_by_role("tab", name="2 · Train").wait_for(timeout=120_000)
            page.get_by_role("tab", name="2 · Train").click()
            started = time.perf_counter()
            page.get_by_role("button", name="Train").click()
            page.get_by_text("Training finished").wait_for(timeout=1_800_000)
            wall = time.perf_counter() - started
            browser.close()
        seconds, value = _train_seconds(data_dir, LABS[use_case][1])
        return seconds, value, wall
    finally:
        server.terminate()
        server.wait(timeout=30)


def outside_app(use_case_id: str) -> tuple[float, float]:
    os.environ["STUDIO_DATA_DIR"] = tempfile.mkdtemp(prefix="studio-bench-plain-")
    os.environ["STUDIO_OFFLINE"] = "1"
    from core.config import get_settings
    from core.tracking.store import tracker_from_settings
    from core.training.pipeline import run_training, TrainingSpec
    from core.training.runner import TrainConfig
    from core.contract.registry import get_use_case

    use_case = get_use_case(use_case_id)
    candidate = use_case.candidate(use_case.default_candidate)
    _, metric, batch_size, learning_rate = LABS[use_case_id]
    config = TrainConfig(epochs=candidate.default_epochs, batch_size=batch_size or candidate.default_batch_size,
                         learning_rate=learning_rate or candidate.default_learning_rate, early_stopping=False,
                         patience=2, seed=0)
    outcome = run_training(TrainingSpec(use_case_id, use_case.datasets[0].id, candidate.id, config),
                           tracker=tracker_from_settings(get_settings()))
    return outcome.metrics["train_seconds"], outcome.metrics[metric]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--use-case", choices=sorted(LABS), default="recommendation")
    parser.add_argument("--streamlit-gc", action="store_true")
    args = parser.parse_args()
    app_seconds, app_value, wall = in_app(args.use_case, args.streamlit_gc)
    plain_seconds, plain_value = outside_app(args.use_case)
    metric = LABS[args.use_case][1]
    print(f"{args.use_case}: default model and dataset, seed 0 (postScriptGC {'on' if args.streamlit_gc else 'off'})")
    print(f"in the app (server + Chromium, live panel): train {app_seconds:.1f} s, {metric} {app_value:.4f}, "
          f"click to 'finished' {wall:.1f} s")
    print(f"outside the app (pipeline in-process):     train {plain_seconds:.1f} s, {metric} {plain_value:.4f}")
    print(f"app / plain train time: {app_seconds / plain_seconds:.2f}")


if __name__ == "__main__":
    main()
