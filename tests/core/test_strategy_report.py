"""The strategy brief: self-contained HTML and a PDF in English and Chinese, charts embedded, CJK font embedded."""

from __future__ import annotations

import re
import zlib
from datetime import date

import pytest

from core.strategy.analysis import analyse
from core.strategy.model import default_assessment, new_custom_use_case
from core.strategy.plan import risk_register, roadmap
from core.strategy.report import build_brief, find_cjk_font

TODAY = date(2026, 11, 23)


def _brief(lang: str, **kwargs):
    assessment = default_assessment()
    assessment.company.name = "Acme"
    assessment.company.regulations = ["gdpr"]
    assessment.use_cases.append(new_custom_use_case(assessment, "Invoice OCR"))
    analysis = analyse(assessment, {}, lang)
    return build_brief(analysis, roadmap(analysis.ranking, start=TODAY),
                       risk_register(assessment, analysis.ranking, analysis.costs, lang), today=TODAY, **kwargs)


def _pdf_text_fonts(pdf: bytes) -> set[str]:
    return set(re.findall(rb"/BaseFont /([A-Za-z0-9+-]+)", pdf))


@pytest.fixture(scope="module")
def chinese():
    return _brief("zh")


@pytest.mark.slow
def test_english_brief_html_and_pdf():
    brief = _brief("en")
    html = brief.html
    assert html.startswith("<!DOCTYPE html><html lang='en'>")
    for heading in ("Strategy brief", "Summary", "Ranking", "Evidence", "Risk register", "Roadmap", "Method"):
        assert f">{heading}</h" in html
    assert html.count("src='data:image/png;base64,") == 5  # matrix, radars, sensitivity, cost, roadmap
    assert "Invoice OCR" in html and "GDPR (EU)" in html and "SHAP" in html
    assert "http://" not in html and "https://" not in html  # self-contained
    assert brief.pdf.startswith(b"%PDF-") and brief.pdf_error is None


def test_chinese_brief_has_chinese_headings_and_embeds_a_cjk_font(chinese):
    assert "<html lang='zh-CN'>" in chinese.html
    for heading in ("策略简报", "摘要", "排名", "证据", "风险登记表", "路线图", "方法说明"):
        assert f">{heading}</h" in chinese.html
    assert "差分隐私" in chinese.html and "假设" in chinese.html
    if find_cjk_font() is None:
        pytest.skip("fonts-noto-cjk is not installed here")
    assert chinese.pdf is not None and chinese.pdf_error is None
    fonts = _pdf_text_fonts(chinese.pdf)
    assert any(b"CJK" in name for name in fonts), fonts
    assert b"/FontFile2" in chinese.pdf or b"/FontFile3" in chinese.pdf  # embedded, not referenced
    assert chinese.pdf.count(b"/Subtype /Image") >= 5


def test_chinese_pdf_text_maps_back_to_chinese(chinese):
    """The embedded font's ToUnicode map holds the brief's characters, so the PDF's text extracts as Chinese."""
    if chinese.pdf is None:
        pytest.skip("no CJK font")
    cmaps = b""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", chinese.pdf, re.S):
        try:
            data = zlib.decompress(match.group(1))
        except zlib.error:
            data = match.group(1)  # fpdf2 writes the ToUnicode CMap uncompressed
        if b"beginbfchar" in data or b"beginbfrange" in data:
            cmaps += data
    for char in "策略简报":
        assert f"<{ord(char):04X}>".encode() in cmaps, char


@pytest.mark.slow
def test_missing_cjk_font_fails_the_chinese_pdf_clearly_but_keeps_the_html(monkeypatch):
    import core.strategy.report as report

    monkeypatch.setattr(report, "find_cjk_font", lambda *args, **kwargs: None)
    brief = _brief("zh")
    assert brief.pdf is None and "策略简报" in brief.html
    assert "apt-get install fonts-noto-cjk" in str(brief.pdf_error)
    assert "需要中文字体" in brief.pdf_error.message("zh")


def test_the_brief_carries_the_business_case_with_assumptions_and_run_ids_in_both_languages():
    from core.business.evidence import RunEvidence
    from core.strategy.report import render_html

    evidence = {"vision": RunEvidence("vision", "feedbeef42", {
        "y_true": [0, 1, 2, 3], "y_pred": [0, 1, 2, 0], "confidence": [0.9, 0.7, 0.55, 0.3],
        "validation": {"y_true": [0, 1, 2, 3, 4], "y_pred": [0, 1, 2, 3, 0], "confidence": [0.99, 0.98, 0.6, 0.5, 0.4]}})}
    for lang, words in (("en", ("Business case (money per year)", "Payoff (what a decision is worth)",
                                "Cost of handling one item by hand (USD)", "750,000", "feedbeef", "Net benefit")),
                        ("zh", ("商业论证（每年金额）", "收益设定（每个决策值多少钱）", "人工处理一条的成本（USD）", "750,000",
                                "feedbeef", "每年净收益"))):
        analysis = analyse(default_assessment(), {}, lang, evidence)
        page = render_html(analysis, roadmap(analysis.ranking, start=TODAY),
                           risk_register(analysis.assessment, analysis.ranking, analysis.costs, lang), {}, today=TODAY)
        for word in words:
            assert word in page, (lang, word)
