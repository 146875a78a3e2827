"""One call from an assessment and the measured runs to everything the page and the report show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from core.business.evidence import RunEvidence
from core.business.payoff import (BusinessCase, Economics, business_case, check_payoff, economics, payoff_fields,
                                  payoff_kind, value_band)
from core.contract import registry
from core.i18n import StudioError, translate
from core.errors import DataError
from core.strategy.cost import CostLine, cheaper_device, project
from core.strategy.evidence import MEASURED, CriterionScore, Measured, effective_scores
from core.strategy.model import CRITERIA, Assessment, use_case_title
from core.strategy.scoring import Ranked, ScoreInput, SensitivityPoint, rank, rank_changes, sensitivity

from core.strategy.starting_points import START_KEYS, start_label

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
    cases: Mapping[str, BusinessCase] = field(default_factory=dict)
    economics: Mapping[str, Economics] = field(default_factory=dict)
    business_errors: Mapping[str, StudioError] = field(default_factory=dict)

    def title(self, use_case_id: str) -> str:
        return use_case_title(self.assessment.use_case(use_case_id), self.lang)

    def best_cost(self, use_case_id: str) -> CostLine:
        lines = self.costs[use_case_id]
        return lines[cheaper_device(lines)]


def score_inputs(assessment: Assessment, effective: Mapping[str, Mapping[str, CriterionScore]],
                 lang: str = "en") -> list[ScoreInput]:
    return [ScoreInput(u.id, use_case_title(u, lang), {c: effective[u.id][c].score for c in CRITERIA},
                       {k: float(v) for k, v in u.risks.items()}) for u in assessment.use_cases]


def business_cases(assessment: Assessment, business: Mapping[str, RunEvidence], costs: Mapping[str, Mapping[str, CostLine]]
                   ) -> tuple[dict[str, BusinessCase], dict[str, Economics], dict[str, StudioError]]:
    """The business case of every use case with a payoff switched on and a stored run; a bad payoff or a run
    without the predictions it needs is an error for that use case only."""
    cases, figures, errors = {}, {}, {}
    for use_case in assessment.use_cases:
        payoff, found = use_case.payoff, business.get(use_case.id)
        kind = payoff_kind(use_case.id)
        if payoff is None or not payoff.enabled or kind is None:
            continue
        try:
            check_payoff(payoff, kind)  # a bad payoff is named even before any run exists
            if not use_case.use_evidence or found is None:
                continue
            if found.evaluation is None:
                raise _no_evaluation(found.run_id)
            case = business_case(use_case.id, found.evaluation, payoff, run_id=found.run_id,
                                 baseline=found.baseline, baseline_run_id=found.baseline_run_id)
        except StudioError as error:
            errors[use_case.id] = error
            continue
        lines = costs[use_case.id]
        cases[use_case.id] = case
        figures[use_case.id] = economics(case, lines[cheaper_device(lines)].total)
    return cases, figures, errors


def _no_evaluation(run_id: str) -> StudioError:
    return DataError("business.errors.no_evaluation", run=run_id[:8])


def analyse(assessment: Assessment, measured: Mapping[str, Measured], lang: str = "en",
            business: Mapping[str, RunEvidence] | None = None) -> Analysis:
    """Scores, ranking, sensitivity, cost and business cases; StrategyError for zero weights or negative costs.

    Where a payoff turns a run into money, the value criterion is measured: the ROI band of
    core.business.payoff.value_band, with the run ids as evidence."""
    effective = effective_scores(assessment, measured)
    costs = project(assessment, dict(measured))
    cases, figures, errors = business_cases(assessment, business or {}, costs)
    for use_case_id, case in cases.items():
        money = figures[use_case_id]
        effective[use_case_id]["value"] = CriterionScore(
            float(value_band(money, case.covers_zero)), MEASURED,
            tuple(r for r in (case.run_id, case.baseline_run_id) if r), "roi", money.roi)
    items = score_inputs(assessment, effective, lang)
    ranking = rank(items, assessment.weights)
    points = sensitivity(items, assessment.weights)
    return Analysis(assessment, measured, effective, ranking, points, rank_changes(points), costs, lang,
                    cases, figures, errors)


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
                translate("strategy.table.runs", lang): ", ".join(_run_text(analysis, use_case.id, run_id)
                                                                  for run_id in item.run_ids) or "-",
                translate("strategy.table.data", lang): _measured_data(analysis, use_case.id) if item.run_ids else "-",
            })
    return rows


def _run_text(analysis: Analysis, use_case_id: str, run_id: str) -> str:
    """A run id as the evidence table shows it; the best run says where its weights started ("1a2b3c4d (pretrained)")."""
    measured = analysis.measured.get(use_case_id)
    if measured is None or run_id != measured.run_id or measured.start not in START_KEYS:
        return run_id[:8]
    return f"{run_id[:8]} ({start_label(measured.start, measured.shots, analysis.lang)})"


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
            translate("strategy.table.cost_12m", lang, currency=currency): money(line.total),
            translate("business.table.net", lang, currency=currency): (
                money(analysis.economics[ranked.id].net) if ranked.id in analysis.economics else "-"),
            # last: the longest cell (run and data named), so a narrow page cuts it, not the money
            translate("strategy.table.evidence", lang): _evidence_label(analysis, ranked.id),
        })
    return rows


def _evidence_label(analysis: Analysis, use_case_id: str) -> str:
    """'measured (run 1a2b3c4d) · credit.csv · 1,000 applicants' when feasibility comes from a run, else 'assumed'."""
    feasibility = analysis.effective[use_case_id]["feasibility"]
    label = translate(f"strategy.source.{feasibility.source}", analysis.lang)
    if feasibility.run_ids:
        label = translate("strategy.table.measured_by", analysis.lang, source=label,
                          runs=", ".join(r[:8] for r in feasibility.run_ids))
        data = _measured_data(analysis, use_case_id)
        return f"{label} · {data}" if data != "-" else label
    return label


def _measured_data(analysis: Analysis, use_case_id: str) -> str:
    """The data set a use case's evidence was measured on, as people know it; '-' when there is none."""
    measured = analysis.measured.get(use_case_id)
    if measured is None or measured.data is None:
        return "-"
    return data_text(use_case_id, measured.data, analysis.lang)


def data_text(use_case_id: str, data: Any, lang: str) -> str:
    """A data set as people know it: an upload's file name and size ("credit.csv · 1,000 applicants"), else the
    source's title ("Credit applicants (modeldata)"); never the source id or the stored file's hash."""
    use_case = registry.USE_CASES.get(use_case_id)
    source = next((s for s in use_case.datasets if s.id == data.dataset), None) if use_case else None
    title = translate(source.title_key, lang) if source is not None else data.dataset
    if not data.source_name:
        return title
    if data.rows is None:
        return data.source_name
    unit = use_case.unit_key if use_case else "run_names.rows.other"
    return translate("run_names.upload", lang, name=data.source_name,
                     rows=translate(unit, lang, count=f"{data.rows:,}"))


def cost_rows(analysis: Analysis) -> list[dict[str, Any]]:
    """Cost per use case and device as a person reads it: the twelve-month cost and where its figures come from
    first (a table cut off at the right must not hide that a GPU row is an assumption), sums formatted like the
    business table ("1,752"), then the speeds and hours behind them."""
    lang = analysis.lang
    currency = analysis.assessment.cost.currency
    column = lambda key, **params: translate(f"strategy.table.{key}", lang, **params)  # noqa: E731
    rows = []
    for use_case in analysis.assessment.use_cases:
        for device, line in analysis.costs[use_case.id].items():
            rows.append({
                column("use_case"): use_case_title(use_case, lang),
                column("device_kind"): device,
                column("cost_12m", currency=currency): money(line.total),
                column("train_cost", currency=currency): money(line.train_cost),
                column("serve_cost", currency=currency): money(line.serve_cost),
                column("source"): cost_source(line, analysis.assessment.cost.gpu_speedup, lang),
                column("train_speed"): f"{line.train_speed.value:,.1f}",
                column("serve_speed"): f"{line.serve_speed.value:,.1f}",
                column("train_hours"): f"{line.train_hours:,.2f}",
                column("serve_hours"): f"{line.serve_hours:,.0f}",
            })
    return rows


def speed_source(speed: Any, device: str, speedup: float, lang: str) -> str:
    """Where one throughput figure comes from: a run that measured it on this device, the other device's figure
    scaled by the assumed GPU speed-up, or the planner's assumed default."""
    if speed.source == MEASURED:
        return translate("strategy.source.measured_run", lang, run=speed.run_id[:8])
    if speed.run_id:  # scaled from the other device's measurement
        key = "strategy.source.scaled_up" if device == "GPU" else "strategy.source.scaled_down"
        return translate(key, lang, run=speed.run_id[:8], factor=f"{float(speedup):g}")
    return translate("strategy.source.default", lang)


def cost_source(line: Any, speedup: float, lang: str) -> str:
    """The source of a cost line's figures: one text when training and serving share it, else both."""
    train = speed_source(line.train_speed, line.device, speedup, lang)
    serve = speed_source(line.serve_speed, line.device, speedup, lang)
    return train if train == serve else translate("strategy.source.split", lang, train=train, serve=serve)


def money(value: float | None) -> str:
    """A sum of money for a table: thousands separated, no decimals; '-' when there is none."""
    return "-" if value is None else f"{value:,.0f}"


def business_rows(analysis: Analysis) -> list[dict[str, Any]]:
    """The business case table: per use case with a payoff, value per year with its 90 % interval, projected
    cost, net benefit, ROI, payback and the runs it was measured on (or why it is not measured)."""
    lang = analysis.lang
    currency = analysis.assessment.cost.currency
    rows = []
    priced = any(case.running_cost > 0 for case in analysis.cases.values())  # an LLM paid per decision is valued
    for use_case in analysis.assessment.use_cases:
        payoff = use_case.payoff
        if payoff is None or not payoff.enabled:
            continue
        column = lambda key, **params: translate(f"business.table.{key}", lang, currency=currency, **params)  # noqa: E731
        row = {column("use_case"): use_case_title(use_case, lang)}
        case, figures = analysis.cases.get(use_case.id), analysis.economics.get(use_case.id)
        if case is None:
            error = analysis.business_errors.get(use_case.id)
            row.update({column("value"): "-",
                        column("cost"): money(analysis.best_cost(use_case.id).total), column("net"): "-",
                        column("roi"): "-", column("payback"): "-", column("runs"): "-",
                        column("verdict"): error.message(lang) if error else translate(
                            "business.verdict.no_run", lang)})
        else:
            row.update({
                column("value"): f"{money(figures.value)} ({money(figures.low)} … {money(figures.high)})",
                column("cost"): money(figures.cost), column("net"): money(figures.net),
                column("roi"): "-" if figures.roi is None else f"{figures.roi:,.0%}",
                column("payback"): _payback(figures.payback_months, lang),
                column("runs"): ", ".join(r[:8] for r in (case.run_id, case.baseline_run_id) if r),
                column("verdict"): translate("business.verdict.zero" if case.covers_zero else (
                    "business.verdict.gain" if case.value > 0 else "business.verdict.loss"), lang),
            })
        if priced:  # after the value, which it is already out of: "2 points better but 4,000 a year more"
            items = list(row.items())
            row = dict(items[:2] + [(column("running_cost"), money(case.running_cost) if case is not None else "-")]
                       + items[2:])
        rows.append(row)
    return rows


def _payback(months: float | None, lang: str) -> str:
    """'3.4 months'; '< 0.1 months' when a few days of value pay the year; '-' when the value never does."""
    if months is None:
        return "-"
    return translate("business.months", lang, months="< 0.1" if months < 0.1 else f"{months:,.1f}")


def payoff_rows(analysis: Analysis) -> list[dict[str, Any]]:
    """The payoff assumptions behind the business case: one row per use case and payoff field."""
    lang = analysis.lang
    currency = analysis.assessment.cost.currency
    rows = []
    for use_case in analysis.assessment.use_cases:
        if use_case.payoff is None or not use_case.payoff.enabled:
            continue
        for name in payoff_fields(use_case.id):
            value = float(getattr(use_case.payoff, name))
            rows.append({translate("business.table.use_case", lang): use_case_title(use_case, lang),
                         translate("strategy.table.field", lang): translate(f"business.payoff.{name}", lang,
                                                                            currency=currency),
                         translate("strategy.table.entry", lang): f"{value:.0%}" if name == "target_precision"
                         else f"{value:,.2f}".rstrip("0").rstrip(".")})
    return rows
