"""One call from an assessment and the measured runs to everything the page and the report show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from core.i18n import translate
from core.strategy.cost import CostLine, cheaper_device, project
from core.strategy.evidence import CriterionScore, Measured, effective_scores
from core.strategy.model import CRITERIA, Assessment, use_case_title
from core.strategy.scoring import Ranked, ScoreInput, SensitivityPoint, rank, rank_changes, sensitivity


@dataclass(frozen=True)
class Analysis:
    """Effective scores (with provenance), ranking, sensitivity and costs of one assessment."""

    assessment: Assessment
    measured: Mapping[str, Measured]
    effective: Mapping[str, Mapping[str, CriterionScore]]
    ranking: list[Ranked]
    sensitivity: list[SensitivityPoint]
    changes: Mapping[str, list[str]]
    costs: Mapping[str, Mapping[str, CostLine]]
    lang: str

    def title(self, use_case_id: str) -> str:
        return use_case_title(self.assessment.use_case(use_case_id), self.lang)

    def best_cost(self, use_case_id: str) -> CostLine:
        lines = self.costs[use_case_id]
        return lines[cheaper_device(lines)]


def score_inputs(assessment: Assessment, effective: Mapping[str, Mapping[str, CriterionScore]],
                 lang: str = "en") -> list[ScoreInput]:
    return [ScoreInput(u.id, use_case_title(u, lang), {c: effective[u.id][c].score for c in CRITERIA},
                       {k: float(v) for k, v in u.risks.items()}) for u in assessment.use_cases]


def analyse(assessment: Assessment, measured: Mapping[str, Measured], lang: str = "en") -> Analysis:
    """Scores, ranking, sensitivity and cost; StrategyError for zero weights or negative costs."""
    effective = effective_scores(assessment, measured)
    items = score_inputs(assessment, effective, lang)
    ranking = rank(items, assessment.weights)
    points = sensitivity(items, assessment.weights)
    costs = project(assessment, dict(measured))
    return Analysis(assessment, measured, effective, ranking, points, rank_changes(points), costs, lang)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:,.0f}"


def evidence_rows(analysis: Analysis) -> list[dict[str, Any]]:
    """The evidence table: one row per use case and criterion, with score, source, metric and run ids."""
    lang = analysis.lang
    rows = []
    for use_case in analysis.assessment.use_cases:
        for criterion in CRITERIA:
            item = analysis.effective[use_case.id][criterion]
            rows.append({
                translate("strategy.table.use_case", lang): use_case_title(use_case, lang),
                translate("strategy.table.criterion", lang): translate(f"strategy.criteria.{criterion}", lang),
                translate("strategy.table.score", lang): item.score,
                translate("strategy.table.source", lang): translate(f"strategy.source.{item.source}", lang),
                translate("strategy.table.metric", lang): (translate(f"strategy.metric.{item.metric}", lang)
                                                           if item.metric else "-"),
                translate("strategy.table.value", lang): _fmt(item.value),
                translate("strategy.table.runs", lang): ", ".join(run_id[:8] for run_id in item.run_ids) or "-",
            })
    return rows


def ranking_rows(analysis: Analysis) -> list[dict[str, Any]]:
    """The ranking table: rank, use case, benefit, risk, priority, cheaper device and its twelve-month cost."""
    lang = analysis.lang
    currency = analysis.assessment.cost.currency
    rows = []
    for ranked in analysis.ranking:
        line = analysis.best_cost(ranked.id)
        rows.append({
            translate("strategy.table.rank", lang): ranked.rank,
            translate("strategy.table.use_case", lang): ranked.title,
            translate("strategy.table.benefit", lang): round(ranked.benefit, 2),
            translate("strategy.table.risk", lang): round(ranked.risk, 2),
            translate("strategy.table.priority", lang): round(ranked.priority, 2),
            translate("strategy.table.device", lang): line.device,
            translate("strategy.table.cost_12m", lang, currency=currency): round(line.total, 2),
            translate("strategy.table.evidence", lang): _evidence_label(analysis, ranked.id),
        })
    return rows


def _evidence_label(analysis: Analysis, use_case_id: str) -> str:
    """'measured (run 1a2b3c4d)' when feasibility comes from a run, else 'assumed'."""
    feasibility = analysis.effective[use_case_id]["feasibility"]
    label = translate(f"strategy.source.{feasibility.source}", analysis.lang)
    if feasibility.run_ids:
        return translate("strategy.table.measured_by", analysis.lang, source=label,
                         runs=", ".join(r[:8] for r in feasibility.run_ids))
    return label


def cost_rows(analysis: Analysis) -> list[dict[str, Any]]:
    """Cost details per use case and device: speeds with provenance, hours and twelve-month cost."""
    lang = analysis.lang
    currency = analysis.assessment.cost.currency
    rows = []
    for use_case in analysis.assessment.use_cases:
        for device, line in analysis.costs[use_case.id].items():
            rows.append({
                translate("strategy.table.use_case", lang): use_case_title(use_case, lang),
                translate("strategy.table.device", lang): device,
                translate("strategy.table.train_speed", lang): round(line.train_speed.value, 1),
                translate("strategy.table.serve_speed", lang): round(line.serve_speed.value, 1),
                translate("strategy.table.train_hours", lang): round(line.train_hours, 2),
                translate("strategy.table.serve_hours", lang): round(line.serve_hours, 1),
                translate("strategy.table.train_cost", lang, currency=currency): round(line.train_cost, 2),
                translate("strategy.table.serve_cost", lang, currency=currency): round(line.serve_cost, 2),
                translate("strategy.table.cost_12m", lang, currency=currency): round(line.total, 2),
                translate("strategy.table.source", lang): translate(f"strategy.source.{line.source}", lang),
                translate("strategy.table.runs", lang): ", ".join(r[:8] for r in line.run_ids) or "-",
            })
    return rows
