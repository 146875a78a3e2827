"""App memory with TensorFlow loaded and one training (budget <= 1.5 GB RSS).

Starts `streamlit run`, trains the digits CNN through the lab in Chromium, then reads the
server process's peak resident memory (VmHWM) and current RSS from /proc.

    .venv/bin/python benchmarks/bench_memory.py [--dataset digits|mnist5k|fashion_mnist] [--epochs 5]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))


def _browser_helpers():
    """The e2e test's server and page helpers (loaded by path: site-packages may hold another `tests`)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("e2e_browser", REPO_ROOT / "tests" / "e2e" / "test_browser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


e2e = _browser_helpers()


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as data_dir, sync_playwright() as playwright:
        process, url = e2e._start_server(Path(data_dir))
        try:
            browser = playwright.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(f"{url}/lab")
            e2e._wait_idle(page)
            if args.dataset != "digits":
                page.get_by_role("combobox", name="Dataset", exact=True).click()
                page.get_by_role("option", name=re.compile(args.dataset.replace("_", "-"), re.I)).first.click()
                e2e._wait_idle(page)
            idle_mb = _status_mb(process.pid, "VmRSS")
            e2e._open_tab(page, "Train")
            epochs = page.get_by_role("spinbutton", name="Epochs")
            epochs.fill(str(args.epochs))
            epochs.press("Enter")
            e2e._wait_idle(page)
            page.get_by_role("button", name="Train", exact=True).click()
            page.get_by_text("Training finished", exact=False).wait_for(timeout=3_600_000)
            browser.close()
            print(f"server RSS after opening the lab, before training: {idle_mb:,.0f} MB")
            print(f"server peak RSS (VmHWM) after training the {args.dataset} CNN for {args.epochs} epochs: "
                  f"{_status_mb(process.pid, 'VmHWM'):,.0f} MB (budget 1,536 MB); now {_status_mb(process.pid, 'VmRSS'):,.0f} MB")
        finally:
            e2e._stop_server(process)


if __name__ == "__main__":
    main()
