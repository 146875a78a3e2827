"""The strategy brief's charts as PNG (matplotlib, Agg backend) and the fonts they and the PDF use.

matplotlib is imported only when a chart is drawn, never on a page rerun.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from core.i18n import translate
from core.strategy.analysis import Analysis
from core.strategy.evidence import MEASURED
from core.strategy.model import CRITERIA
from core.strategy.plan import Phase

CJK_FONT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, "Noto Sans CJK SC"),  # face 2 = Simplified Chinese
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2, "Noto Sans CJK SC"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "WenQuanYi Micro Hei"),
)
LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PALETTE = ("#2563EB", "#F59E0B", "#10B981", "#EF4444", "#8B5CF6", "#06B6D4", "#EC4899", "#84CC16")
PHASE_COLORS = {"pilot": "#F59E0B", "mvp": "#2563EB", "scale": "#10B981"}


@dataclass(frozen=True)
class FontChoice:
    path: str
    index: int
    family: str


def find_cjk_font(candidates: Sequence[tuple[str, int, str]] = CJK_FONT_CANDIDATES) -> FontChoice | None:
    """The first installed CJK font (path, face index in the collection, family name), or None."""
    for path, index, family in candidates:
        if Path(path).is_file():
            return FontChoice(path, index, family)
    return None


@functools.lru_cache(maxsize=4)
def _register_font(font_path: str) -> None:
    """Add the CJK font (and its bold face) to matplotlib once per process."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(font_path)
    bold = font_path.replace("-Regular", "-Bold")
    if bold != font_path and Path(bold).is_file():
        font_manager.fontManager.addfont(bold)


def _matplotlib(font_path: str | None, family: str | None):
    """pyplot on the Agg backend with the brief's fonts (set on every call: an earlier brief may have used others)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    families = ["DejaVu Sans"]
    if font_path:
        _register_font(font_path)
        families = [family, "DejaVu Sans"]
    plt.rcParams.update({"font.family": families, "axes.unicode_minus": False, "axes.spines.top": False,
                         "axes.spines.right": False, "axes.titlesize": 12, "axes.titleweight": "bold",
                         "font.size": 9})
    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight", facecolor="white")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def chart_images(analysis: Analysis, phases: Sequence[Phase], font: FontChoice | None) -> dict[str, bytes]:
    """{name: PNG bytes} for the priority matrix, radars, sensitivity, costs and roadmap."""
    import warnings

    with warnings.catch_warnings():  # without a CJK font every Chinese glyph would warn; the PDF error says it once
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        return _chart_images(analysis, phases, font)


def _chart_images(analysis: Analysis, phases: Sequence[Phase], font: FontChoice | None) -> dict[str, bytes]:
    plt = _matplotlib(font.path if font else None, font.family if font else None)
    lang = analysis.lang
    tr = lambda key, **p: translate(key, lang, **p)  # noqa: E731 - short local alias
    currency = analysis.assessment.cost.currency
    order = [u.id for u in analysis.assessment.use_cases]
    colors = {uid: PALETTE[i % len(PALETTE)] for i, uid in enumerate(order)}
    images: dict[str, bytes] = {}

    # Priority matrix
    fig, ax = plt.subplots(figsize=(7.2, 5.2))
    costs = [analysis.best_cost(uid).total for uid in order]
    top = max([c for c in costs if c > 0] or [1.0])
    seen: dict[tuple[float, float], int] = {}
    for uid, cost in zip(order, costs):
        scores = analysis.effective[uid]
        measured = scores["feasibility"].source == MEASURED
        size = 250 + 2200 * (cost / top if top else 0)
        x, y = scores["feasibility"].score, scores["value"].score
        nudge = seen.get((x, y), 0)  # use cases with equal scores are spread apart, not stacked
        seen[(x, y)] = nudge + 1
        x, y = x + 0.28 * nudge, y - 0.28 * nudge
        ax.scatter(x, y, s=size, alpha=0.75 if measured else 0.25,
                   color=colors[uid], edgecolors=colors[uid], linewidths=2)
        ax.annotate(analysis.title(uid), (x, y), ha="center", va="center", fontsize=9,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.axhline(3, color="#94A3B8", linestyle="--", linewidth=1)
    ax.axvline(3, color="#94A3B8", linestyle="--", linewidth=1)
    for text, (x, y, ha, va) in zip((tr("strategy.charts.quick_wins"), tr("strategy.charts.big_bets"),
                                      tr("strategy.charts.fill_ins"), tr("strategy.charts.avoid")),
                                     ((5.4, 5.4, "right", "top"), (0.6, 5.4, "left", "top"),
                                      (5.4, 0.6, "right", "bottom"), (0.6, 0.6, "left", "bottom"))):
        ax.text(x, y, text, ha=ha, va=va, color="#475569", fontsize=9)
    ax.set(xlim=(0.5, 5.5), ylim=(0.5, 5.5), xlabel=tr("strategy.charts.feasibility"),
           ylabel=tr("strategy.charts.value"), title=tr("strategy.charts.matrix_title"))
    ax.text(1.0, -0.13, f"{tr('strategy.charts.measured')}: ●   {tr('strategy.charts.assumed')}: ○   "
            f"{tr('strategy.charts.cost_label', currency=currency)}", transform=ax.transAxes, ha="right",
            fontsize=8, color="#475569")
    images["matrix"] = _png(fig)

    # Radars
    count = len(order)
    columns = min(4, count)
    rows = -(-count // columns)
    fig = plt.figure(figsize=(2.6 * columns, 2.7 * rows))
    labels = [tr(f"strategy.criteria.{c}") for c in CRITERIA]
    import math

    angles = [2 * math.pi * i / len(CRITERIA) for i in range(len(CRITERIA))] + [0.0]
    for index, uid in enumerate(order):
        ax = fig.add_subplot(rows, columns, index + 1, projection="polar")
        values = [analysis.effective[uid][c].score for c in CRITERIA]
        typed = [analysis.assessment.use_case(uid).scores[c] for c in CRITERIA]
        ax.plot(angles, values + values[:1], color=colors[uid], linewidth=2)
        ax.fill(angles, values + values[:1], color=colors[uid], alpha=0.25)
        ax.plot(angles, typed + typed[:1], color="#94A3B8", linestyle="--", linewidth=1)
        ax.set_xticks(angles[:-1], labels, fontsize=7)
        ax.set_ylim(0, 5)
        ax.set_yticks([1, 2, 3, 4, 5], ["1", "", "3", "", "5"], fontsize=6)
        ax.set_title(analysis.title(uid), fontsize=10, pad=14)
    fig.suptitle(tr("strategy.charts.radar_title"), fontweight="bold")
    fig.tight_layout()
    images["radar"] = _png(fig)

    # Sensitivity
    fig, axes = plt.subplots(1, len(CRITERIA), figsize=(10, 3.2), sharey=True)
    for ax, criterion in zip(axes, CRITERIA):
        for uid in order:
            series = sorted((p.factor, p.rank) for p in analysis.sensitivity if p.criterion == criterion and p.id == uid)
            ax.plot([round((f - 1) * 100) for f, _ in series], [r for _, r in series], marker="o",
                    color=colors[uid], label=analysis.title(uid))
        ax.set_title(tr(f"strategy.criteria.{criterion}"), fontsize=10)
        ax.set_xticks([-50, 0, 50], ["-50%", "0", "+50%"])
        ax.set_xlabel(tr("strategy.charts.sensitivity_x"))
    axes[0].set_ylabel(tr("strategy.charts.sensitivity_y"))
    axes[0].invert_yaxis()
    axes[0].set_yticks(range(1, count + 1))
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8, frameon=False)
    fig.suptitle(tr("strategy.charts.sensitivity_title"), fontweight="bold")
    fig.tight_layout()
    images["sensitivity"] = _png(fig)

    # Costs
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    width = 0.38
    for offset, device in enumerate(("CPU", "GPU")):
        xs = [i + (offset - 0.5) * width for i in range(count)]
        train = [analysis.costs[uid][device].train_cost for uid in order]
        serve = [analysis.costs[uid][device].serve_cost for uid in order]
        color = PALETTE[0] if device == "CPU" else PALETTE[4]
        ax.bar(xs, train, width, color=color, label=f"{device} · {tr('strategy.charts.train')}")
        ax.bar(xs, serve, width, bottom=train, color=color, alpha=0.45,
               label=f"{device} · {tr('strategy.charts.serve')}")
    ax.set_xticks(range(count), [analysis.title(uid) for uid in order])
    ax.set_ylabel(tr("strategy.charts.cost_axis", currency=currency))
    ax.set_title(tr("strategy.charts.cost_title"))
    ax.legend(fontsize=7, frameon=False, ncols=2)
    images["cost"] = _png(fig)

    # Roadmap
    if phases:
        import matplotlib.dates as mdates

        titles = list(dict.fromkeys(p.title for p in phases))
        fig, ax = plt.subplots(figsize=(7.2, 0.7 * len(titles) + 1.4))
        for phase in phases:
            y = len(titles) - 1 - titles.index(phase.title)
            start = mdates.date2num(phase.start)
            ax.barh(y, mdates.date2num(phase.end) - start, left=start, color=PHASE_COLORS[phase.phase], height=0.55)
            ax.text(start + (mdates.date2num(phase.end) - start) / 2, y, tr(f"strategy.phase.{phase.phase}"),
                    ha="center", va="center", color="white", fontsize=8)
        ax.set_yticks(range(len(titles)), list(reversed(titles)))
        ax.xaxis_date()
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        ax.set_title(tr("strategy.charts.roadmap_title"))
        images["roadmap"] = _png(fig)
    return images
