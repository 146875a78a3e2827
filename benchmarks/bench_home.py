"""Cold Home render: start `streamlit run`, open Home in Chromium, time until the title shows.

Budget (DESIGN.md): <= 1.5 s on 2 CPU cores, with no TensorFlow import. Prints the time from
the server answering its health check to the Home title being visible (the first script run
of a cold server), plus the server's start-up time, over a few cold starts. The same is timed for a bare
Streamlit page that only draws the same title: what Streamlit itself costs on this machine (its
JavaScript loading in a fresh browser page, the websocket), which no change to the studio can remove.

    .venv/bin/python benchmarks/bench_home.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BARE_PAGE = 'import streamlit as st\nst.title("AI Strategy Studio")\n'


def cold_start(browser, data_dir: str, script: Path = REPO_ROOT / "dashboard" / "app.py") -> tuple[float, float]:
    """(server start-up seconds, Home first render seconds) for one fresh server process."""
    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port",
         str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=REPO_ROOT, env={**os.environ, "STUDIO_DATA_DIR": data_dir}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        ready = time.perf_counter()
        page = browser.new_page()
        page.goto(url)
        page.get_by_role("heading", name="AI Strategy Studio").first.wait_for(timeout=30_000)
        rendered = time.perf_counter()
        page.close()
        return ready - started, rendered - ready
    finally:
        process.terminate()
        process.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as data_dir:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        bare = Path(data_dir) / "bare_page.py"
        bare.write_text(BARE_PAGE, encoding="utf-8")
        results, floor = [], []
        for _ in range(args.repeats):  # interleaved, so a machine that slows down mid-run hits both alike
            results.append(cold_start(browser, data_dir))
            floor.append(cold_start(browser, data_dir, bare)[1])
        browser.close()
    startup = [r[0] for r in results]
    render = [r[1] for r in results]
    print(f"server start-up (until health check answers): median {statistics.median(startup):.2f} s")
    print(f"Home first render on a cold server:           median {statistics.median(render):.2f} s "
          f"(runs: {', '.join(f'{v:.2f}' for v in render)}; budget 1.50 s)")
    print(f"a bare Streamlit page with the same title:    median {statistics.median(floor):.2f} s "
          f"(runs: {', '.join(f'{v:.2f}' for v in floor)}): the studio adds "
          f"{statistics.median(render) - statistics.median(floor):+.2f} s")


if __name__ == "__main__":
    main()
