"""The strategy brief: one self-contained HTML page and a PDF, in English or Chinese, charts embedded as PNG.

Charts are drawn with matplotlib (no browser needed); the PDF is laid out with fpdf2 and embeds a CJK font
(Noto Sans CJK from Debian's fonts-noto-cjk) so Chinese renders. Without that font a Chinese PDF fails with
a clear StrategyError while the HTML brief still works. matplotlib and fpdf2 are imported only when a
brief is built, never on a page rerun.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Sequence

from core.i18n import StudioError, translate
from core.strategy.analysis import Analysis, business_rows, cost_rows, evidence_rows, payoff_rows, ranking_rows
from core.strategy.brief_charts import LATIN_FONT, FontChoice, chart_images, find_cjk_font
from core.strategy.evidence import MEASURED
from core.strategy.model import StrategyError
from core.strategy.plan import Phase, RiskEntry

LANGUAGE_NAMES = {"en": "English", "zh": "简体中文"}


@dataclass
class Brief:
    """A built brief: HTML always; PDF bytes, or the error that says why there is no PDF."""

    html: str
    pdf: bytes | None
    pdf_error: StudioError | None
    lang: str


# ---- content shared by HTML and PDF ------------------------------------------------------------------

def _sections(analysis: Analysis, phases: Sequence[Phase], register: Sequence[RiskEntry], today: date):
    lang = analysis.lang
    tr = lambda key, **p: translate(key, lang, **p)  # noqa: E731 - short local alias
    company = analysis.assessment.company
    currency = analysis.assessment.cost.currency
    total = sum(analysis.best_cost(u.id).total for u in analysis.assessment.use_cases)
    measured = sum(1 for u in analysis.assessment.use_cases
                   if analysis.effective[u.id]["feasibility"].source == MEASURED)
    summary = tr("strategy.report.summary_text", first=analysis.ranking[0].title if analysis.ranking else "-",
                 count=len(analysis.assessment.use_cases), measured=measured, total=f"{total:,.0f}", currency=currency)
    profile = [
        {tr("strategy.table.field"): tr("strategy.company.name"),
         tr("strategy.table.entry"): company.name or tr("strategy.report.unnamed")},
        {tr("strategy.table.field"): tr("strategy.company.industry"), tr("strategy.table.entry"): company.industry or "-"},
        {tr("strategy.table.field"): tr("strategy.company.size"), tr("strategy.table.entry"): tr(f"strategy.size.{company.size}")},
        {tr("strategy.table.field"): tr("strategy.company.compute"),
         tr("strategy.table.entry"): tr(f"strategy.compute.{company.compute}")},
        {tr("strategy.table.field"): tr("strategy.company.cloud_budget", currency=currency),
         tr("strategy.table.entry"): f"{company.cloud_budget:,.0f}"},
        {tr("strategy.table.field"): tr("strategy.company.regulations"),
         tr("strategy.table.entry"): ", ".join(tr(f"strategy.regulation.{r}") for r in company.regulations)
         or tr("strategy.report.none")},
        {tr("strategy.table.field"): tr("strategy.company.risk_appetite"),
         tr("strategy.table.entry"): tr(f"strategy.appetite.{company.risk_appetite}")},
    ]
    roadmap_rows = [{tr("strategy.table.use_case"): p.title, tr("strategy.table.phase"): tr(f"strategy.phase.{p.phase}"),
                     tr("strategy.table.start"): p.start.isoformat(), tr("strategy.table.end"): p.end.isoformat()}
                    for p in phases]
    register_rows = [{tr("strategy.table.use_case"): e.title, tr("strategy.table.category"): tr(f"strategy.category.{e.category}"),
                      tr("strategy.table.level"): e.level, tr("strategy.table.mitigations"): "\n".join(e.mitigations)}
                     for e in register]
    return {
        "title": tr("strategy.report.title"),
        "subtitle": tr("strategy.report.subtitle", company=company.name or tr("strategy.report.unnamed"),
                       industry=company.industry or "-", date=today.isoformat()),
        "summary": summary,
        "tables": [
            ("profile", tr("strategy.report.profile"), profile),
            ("ranking", tr("strategy.report.ranking"), ranking_rows(analysis)),
            ("evidence", tr("strategy.report.evidence"), evidence_rows(analysis)),
            ("cost", tr("strategy.report.cost"), cost_rows(analysis)),
            ("business", tr("business.section"), business_rows(analysis)),
            ("payoff", tr("business.payoff.title"), payoff_rows(analysis)),
            ("roadmap", tr("strategy.report.roadmap"), roadmap_rows),
            ("register", tr("strategy.report.register"), register_rows),
        ],
        "method": tr("strategy.rules"),
        "business_method": tr("business.rules"),
        "footer": tr("strategy.report.generated", date=today.isoformat()),
    }


def _html_table(rows: Sequence[dict[str, Any]], empty: str) -> str:
    if not rows:
        return f"<p class='muted'>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v)).replace(chr(10), '<br>')}</td>" for v in row.values())
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:"Noto Sans CJK SC","Source Sans Pro","PingFang SC","Microsoft YaHei",Arial,sans-serif;
color:#0f172a;max-width:1000px;margin:32px auto;padding:0 24px;line-height:1.5}
h1{font-size:28px;margin-bottom:4px}h2{font-size:20px;border-bottom:2px solid #2563EB;padding-bottom:4px;margin-top:32px}
.sub{color:#475569;margin-top:0}.summary{background:#EFF6FF;border-left:4px solid #2563EB;padding:12px 16px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}th{background:#F1F5F9;text-align:left}
th,td{border:1px solid #E2E8F0;padding:4px 8px;vertical-align:top}img{max-width:100%;margin:8px 0}
.muted{color:#64748B}footer{color:#64748B;font-size:12px;margin-top:32px}
"""


def render_html(analysis: Analysis, phases: Sequence[Phase], register: Sequence[RiskEntry],
                images: dict[str, bytes], *, today: date) -> str:
    """A self-contained HTML brief: inline CSS, charts as base64 PNG, evidence and every table."""
    content = _sections(analysis, phases, register, today)
    lang = analysis.lang
    tr = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    parts = [f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>",
             f"<title>{html.escape(content['title'])}</title><style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(content['title'])}</h1><p class='sub'>{html.escape(content['subtitle'])}</p>",
             f"<h2>{html.escape(tr('strategy.report.summary'))}</h2><p class='summary'>{html.escape(content['summary'])}</p>"]
    tables = {name: (heading, rows) for name, heading, rows in content["tables"]}
    for name in ("profile", "ranking", "business", "payoff"):
        heading, rows = tables[name]
        if rows or name in ("profile", "ranking"):
            parts.append(f"<h2>{html.escape(heading)}</h2>{_html_table(rows, tr('strategy.report.none'))}")
    parts.append(f"<h2>{html.escape(tr('strategy.report.charts'))}</h2>")
    for name in ("matrix", "radar", "sensitivity", "cost", "roadmap"):
        if name in images:
            data = base64.b64encode(images[name]).decode("ascii")
            parts.append(f"<img alt='{name}' src='data:image/png;base64,{data}'>")
    for name in ("evidence", "cost", "roadmap"):
        heading, rows = tables[name]
        parts.append(f"<h2>{html.escape(heading)}</h2>{_html_table(rows, tr('strategy.report.none'))}")
    heading, rows = tables["register"]
    parts.append(f"<h2>{html.escape(heading)}</h2>{_html_table(rows, tr('strategy.register.empty'))}")
    parts.append(f"<h2>{html.escape(tr('strategy.report.method'))}</h2><p>{html.escape(content['method'])}</p>"
                 f"<p>{html.escape(content['business_method'])}</p>")
    parts.append(f"<footer>{html.escape(content['footer'])}</footer></body></html>")
    return "".join(parts)


def _latin_safe(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(analysis: Analysis, phases: Sequence[Phase], register: Sequence[RiskEntry],
               images: dict[str, bytes], *, today: date, font: FontChoice | None) -> bytes:
    """An A4 PDF brief with fpdf2; StrategyError (font_missing) for Chinese without a CJK font."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    lang = analysis.lang
    if lang == "zh" and font is None:
        raise StrategyError("strategy.errors.font_missing")
    content = _sections(analysis, phases, register, today)
    tr = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(content["title"])
    pdf.set_creator("AI Strategy Studio")
    clean = str
    if font is not None:
        pdf.add_font("brief", "", font.path, collection_font_number=font.index)
        family = "brief"
    elif Path(LATIN_FONT).is_file():
        pdf.add_font("brief", "", LATIN_FONT)
        family = "brief"
    else:
        family, clean = "helvetica", _latin_safe
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: float = 14) -> None:
        pdf.ln(3)
        pdf.set_font(family, size=size)
        pdf.set_text_color(30, 64, 175)
        pdf.multi_cell(width, size * 0.5, clean(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(37, 99, 235)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.l_margin + width, pdf.get_y() + 0.5)
        pdf.ln(2)
        pdf.set_text_color(15, 23, 42)

    def paragraph(text: str, size: float = 10) -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(width, size * 0.5, clean(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def table(rows: Sequence[dict[str, Any]], empty: str, size: float = 8, widths=None) -> None:
        if not rows:
            paragraph(empty)
            return
        pdf.set_font(family, size=size)
        head_style = FontFace(fill_color=(241, 245, 249))
        with pdf.table(col_widths=widths, headings_style=head_style, line_height=size * 0.5,
                       text_align="LEFT", borders_layout="HORIZONTAL_LINES") as grid:
            row = grid.row()
            for key in rows[0]:
                row.cell(clean(str(key)))
            for item in rows:
                row = grid.row()
                for value in item.values():
                    row.cell(clean(str(value)))
        pdf.ln(2)

    def image(name: str, w: float) -> None:
        if name in images:
            pdf.image(io.BytesIO(images[name]), w=w, x=pdf.l_margin + (width - w) / 2)
            pdf.ln(2)

    pdf.set_font(family, size=22)
    pdf.set_text_color(15, 23, 42)
    pdf.cell(width, 12, clean(content["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=11)
    pdf.set_text_color(71, 85, 105)
    pdf.cell(width, 7, clean(content["subtitle"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(15, 23, 42)
    heading(tr("strategy.report.summary"))
    paragraph(content["summary"], 11)
    tables = {name: (title, rows) for name, title, rows in content["tables"]}
    for name in ("ranking", "profile"):
        title, rows = tables[name]
        heading(title)
        table(rows, tr("strategy.report.none"), size=9,
              widths=(10, 26, 16, 14, 15, 18, 22, 24, 25) if name == "ranking" else (60, 120))
    title, rows = tables["business"]
    if rows:
        heading(title)
        table(rows, tr("strategy.report.none"), size=7, widths=(24, 40, 20, 20, 16, 16, 18, 32))
        title, rows = tables["payoff"]
        heading(title)
        table(rows, tr("strategy.report.none"), size=8, widths=(40, 110, 30))
    image("matrix", 150)
    heading(tr("strategy.report.charts"))
    image("radar", width)
    image("sensitivity", width)
    image("cost", 160)
    image("roadmap", 160)
    for name in ("evidence", "cost", "roadmap"):
        title, rows = tables[name]
        heading(title)
        widths = {"cost": (22, 11, 16, 15, 15, 36, 13, 13, 11, 11),
                  "evidence": (20, 22, 10, 14, 22, 14, 16, 26)}.get(name)
        table(rows, tr("strategy.report.none"), size=7 if name == "cost" else 8, widths=widths)
    title, rows = tables["register"]
    heading(title)
    table(rows, tr("strategy.register.empty"), widths=(22, 20, 12, 96))
    heading(tr("strategy.report.method"))
    paragraph(content["method"], 9)
    paragraph(content["business_method"], 9)
    pdf.set_text_color(100, 116, 139)
    paragraph(content["footer"], 8)
    return bytes(pdf.output())


def build_brief(analysis: Analysis, phases: Sequence[Phase], register: Sequence[RiskEntry], *,
                today: date, font: FontChoice | None = None, find_font: bool = True) -> Brief:
    """HTML and PDF of one analysis (its language); a PDF failure leaves the HTML and says why."""
    font = font if font is not None or not find_font else find_cjk_font()
    images = chart_images(analysis, phases, font)
    page = render_html(analysis, phases, register, images, today=today)
    try:
        pdf, error = render_pdf(analysis, phases, register, images, today=today, font=font), None
    except StudioError as failure:
        pdf, error = None, failure
    except Exception as failure:  # noqa: BLE001 - a PDF layout bug must not cost the user the HTML brief
        pdf, error = None, StrategyError("strategy.errors.pdf_failed", detail=f"{type(failure).__name__}: {failure}"[:200])
    return Brief(page, pdf, error, analysis.lang)


__all__ = ["Brief", "FontChoice", "build_brief", "chart_images", "find_cjk_font", "render_html", "render_pdf",
           "LANGUAGE_NAMES"]
