"""End to end in Chromium: the uploader's screen-reader names follow the language (issue 21 item 7c).

Streamlit names its hidden file input "file upload", its button "Upload", its limit "50MB per file" and
the help icon "Help for <label>" in English only; on the Chinese UI a screen reader read those.
Uses the server/page fixtures of test_browser.py (one server for this module).
"""

from __future__ import annotations

import re

import pytest

from test_browser import _no_exception, _wait_idle, page, server  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.e2e


def _names(page) -> dict[str, str]:
    """What a screen reader is given for the finance uploader: input, button and help names, limit text."""
    uploader = page.locator(".st-key-finance_upload")
    page.wait_for_function(
        "() => { const i = document.querySelector('.st-key-finance_upload input[type=file]');"
        " return i && i.getAttribute('aria-label') !== 'file upload'; }")
    return {
        "input": uploader.locator("input[type=file]").get_attribute("aria-label"),
        "help": uploader.locator('[data-testid="stTooltipHoverTarget"] button').get_attribute("aria-label"),
        "button": uploader.locator('[data-testid="stFileUploaderDropzone"] button').first.evaluate(
            "b => getComputedStyle(b.querySelector('[data-testid=stMarkdownContainer]'), '::after').content"),
        "english_button_shown": uploader.locator('[data-testid="stFileUploaderDropzone"] button p').first.evaluate(
            "p => getComputedStyle(p).display"),
    }


def test_the_uploader_is_named_in_the_readers_language(page, server):
    page.goto(f"{server}/lab")
    _wait_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("简体中文").click()
    _wait_idle(page)
    page.get_by_role("combobox", name="用例", exact=True).click()
    page.get_by_role("option", name="金融风控").click()
    _wait_idle(page)
    page.get_by_role("combobox", name="数据集", exact=True).click()
    page.get_by_role("option", name=re.compile("上传")).first.click()
    _wait_idle(page)
    names = _names(page)
    assert names["input"] == "选择要上传的文件", names
    assert names["help"] == "“CSV 文件（每行一位申请人）”的说明", names
    assert names["button"] == '"上传"' and names["english_button_shown"] == "none", names
    page.get_by_role("button", name="上传", exact=True).first.wait_for()  # the accessible name, not "Upload"
    page.locator('[data-testid="stSidebar"]').get_by_text("English").click()
    _wait_idle(page)
    page.get_by_role("button", name="Upload", exact=True).first.wait_for()
    names = _names(page)
    assert names["input"] == "Choose a file to upload", names
    assert names["help"].startswith("Help for CSV file"), names
    _no_exception(page)
