"""The language chosen stays when a button changes page (seen in Chromium while checking issue 21 item 7c)."""

from __future__ import annotations

from core.i18n import translate


def test_chinese_stays_after_open_in_the_lab(app_test, switch_language):
    """Home in Chinese, "在实验室中打开" (Open in the lab): the lab came up in English."""
    at = app_test(timeout=120).run()
    at = switch_language(at, "zh")
    at.button(key="home_open_finance").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == translate("lab.title", "zh"), at.title[0].value
    assert at.segmented_control(key="lang").value == "zh"
    switch_language(at, "en")  # and the person can still switch back
    assert at.title[0].value == translate("lab.title", "en")
