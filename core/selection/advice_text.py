"""Guidance for people: quality values and gaps in each metric's unit, reasons in the reader's language, and
the recommendation as a Markdown report (English or Chinese)."""

from __future__ import annotations

import math
from typing import Any, Mapping

from core.evaluation.catalogue import format_metric, higher_is_better
from core.i18n import translate
from core.selection.guidance import Recommendation, Requirements, _float
from core.selection.significance import p_text
from core.contract.registry import get_use_case, model_title


def format_quality(metric: str, value: float) -> str:
    """A quality value as guidance holds it (ratio metrics x100) the way people read it: 97.2%, AUC 0.835, RMSE 0.891."""
    value = _float(value)
    if not math.isfinite(value):
        return "–"
    if not higher_is_better(metric):
        return f"{value:.3f}"
    if "auc" in metric:
        return f"{value / 100:.3f}"
    return f"{value:.1f}%"


def format_gap(metric: str, value: float, lang: str = "en") -> str:
    """A difference in the metric's own unit: percentage points for ratios, plain numbers for AUC and errors.

    value is signed "positive = better" as guidance computes it; for error metrics the raw change is shown
    (RMSE 0.852 vs 0.891 reads "-0.039").
    """
    value = _float(value)
    if not math.isfinite(value):
        return "–"
    if not higher_is_better(metric):
        return f"{-value:+.3f}"  # guidance signs gaps "better is positive"; an error is shown as it moved
    if "auc" in metric:
        return f"{value / 100:+.3f}"
    return translate("selection.points", lang, value=f"{value:+.1f}")


def render_reason(key: str, params: Mapping[str, Any], lang: str = "en") -> str:
    """One reason or note in the reader's language (the metric name translated too)."""
    values = dict(params)
    if values.get("use_case"):  # candidates by name ("Bias baseline"), not by id ("bias")
        for name in ("model", "best_model", "baseline"):
            if isinstance(values.get(name), str) and values[name]:
                values[name] = model_title(values["use_case"], values[name], lang)
    if "metric" in values:
        metric = values["metric"]
        for name in ("quality", "best", "baseline"):
            values[f"{name}_text"] = format_quality(metric, values.get(f"{name}_pct", math.nan))
        for name in ("gap_to_best", "gap_to_baseline", "ci_low", "ci_high"):
            if f"{name}_text" not in values:  # a reason may bring its own (bootstrap CIs in the metric's unit)
                values[f"{name}_text"] = format_gap(metric, values.get(f"{name}_points", math.nan), lang)
        values["metric"] = translate(f"selection.metrics.{metric}", lang)
    p_value = _float(values.get("p_value", math.nan))
    values.setdefault("p_text", p_text(p_value))
    values.setdefault("test_text", f"McNemar {p_text(p_value)}" if math.isfinite(p_value)
                      else translate("selection.bootstrap_test", lang))
    for name in ("retrain", "compute"):
        if isinstance(values.get(name), str):
            values[name] = translate(f"selection.{name}.{values[name]}", lang)
    return translate(key, lang, **values)


def _requirement_lines(requirements: Requirements, lang: str) -> list[str]:
    r = requirements
    yes, no = translate("selection.md.yes", lang), translate("selection.md.no", lang)
    latency = (translate("selection.md.latency_value", lang, value=r.latency_target_ms)
               if r.latency_target_ms is not None else translate("selection.md.none", lang))
    return [
        f"- {translate('selection.requirements.labelled_examples', lang)}: {r.labelled_examples:,}",
        f"- {translate('selection.requirements.latency_target_ms', lang)}: {latency}",
        f"- {translate('selection.requirements.explanations_required', lang)}: {yes if r.explanations_required else no}",
        f"- {translate('selection.requirements.compute', lang)}: {translate(f'selection.compute.{r.compute}', lang)}",
        f"- {translate('selection.requirements.on_premises_only', lang)}: {yes if r.on_premises_only else no}",
        f"- {translate('selection.requirements.retrain', lang)}: {translate(f'selection.retrain.{r.retrain}', lang)}",
    ]


def leader_text(recommendation: Recommendation, leader: dict[str, Any], lang: str = "en") -> str:
    """A candidate best on a secondary ranking metric, beside the recommendation: 'By HitRate@10, Popularity is
    best: 8.40%, against 3.00% for Matrix factorisation' (Recommendation.leaders)."""
    use_case = recommendation.use_case
    return translate("selection.secondary_leader", lang, metric=translate(f"selection.metrics.{leader['metric']}", lang),
                     primary=translate(f"selection.metrics.{recommendation.metric}", lang),
                     model=model_title(use_case, leader["model"], lang),
                     value=format_metric(leader["metric"], leader["value"]),
                     recommended=model_title(use_case, leader["recommended"], lang),
                     recommended_value=format_metric(leader["metric"], leader["recommended_value"]))


def to_markdown(recommendation: Recommendation, lang: str = "en") -> str:
    """The recommendation as a Markdown report (English or Chinese) for download."""
    rec = recommendation
    title = rec.use_case
    try:
        title = translate(get_use_case(rec.use_case).title_key, lang)
    except KeyError:
        pass
    lines = [f"# {translate('selection.md.title', lang, use_case=title)}", ""]
    top = rec.ranked[0]
    summary_key = "selection.md.baseline_wins" if rec.baseline_wins else "selection.md.winner"
    lines += [translate(summary_key, lang, model=model_title(rec.use_case, top.model, lang),
                        baseline=model_title(rec.use_case, rec.baseline, lang) if rec.baseline else "-"), ""]
    lines += [line for leader in rec.leaders for line in (leader_text(rec, leader, lang), "")]
    lines += [f"## {translate('selection.md.requirements', lang)}", "", *_requirement_lines(rec.requirements, lang), ""]
    if rec.unmet:
        lines += [f"## {translate('selection.md.unmet', lang)}", ""]
        lines += [f"- **{translate(f'selection.unmet.{flag}', lang)}**" for flag in rec.unmet]
        lines.append("")
    lines += [f"## {translate('selection.md.ranking', lang)}", ""]
    for rank, item in enumerate(rec.ranked, start=1):
        status = (translate("selection.md.meets_all", lang) if item.meets_all else
                  translate("selection.md.misses", lang,
                            requirements=", ".join(translate(f"selection.unmet.{flag}", lang) for flag in item.flags)))
        tag = f" ({translate('selection.md.baseline', lang)})" if item.is_baseline else ""
        lines.append(f"{rank}. **{model_title(rec.use_case, item.model, lang)}**{tag}: {translate('selection.md.score', lang, score=item.score)}; {status}")
        lines += [f"   - {render_reason(key, params, lang)}" for key, params in item.reasons]
    if rec.notes:
        lines += ["", f"## {translate('selection.md.notes', lang)}", ""]
        lines += [f"- {render_reason(key, params, lang)}" for key, params in rec.notes]
    return "\n".join(lines) + "\n"
