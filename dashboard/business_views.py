"""The business case of one run, shared by every lab's Results: value per year with its 90 % interval, the
operating point and the profit curve, in the payoff and currency set on the Strategy page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import streamlit as st

from core.business.evidence import find_baseline, evaluation_loader
from core.business.payoff import CLASSIFICATION, CREDIT, RECOMMENDATION, BusinessCase, business_case, payoff_kind
from core.i18n import StudioError
from dashboard import business_charts
from dashboard.i18n import error_text, t
from dashboard.strategy_views import assessment

if TYPE_CHECKING:
    from core.tracking.store import Tracker

X_TITLES = {CREDIT: "business.chart.credit_x", CLASSIFICATION: "business.chart.classification_x",
            RECOMMENDATION: "business.chart.recommendation_x"}


def render_business_case(tracker: Tracker, run_id: str, use_case_id: str | None,
                         evaluation: Mapping[str, Any] | None, *, threshold: float | None = None,
                         note: str = "") -> None:
    """The Business case section of a lab's Results for `run_id` (nothing for a use case without a payoff);
    `threshold`: the credit decision threshold chosen above it (the page's one operating point)."""
    if not payoff_kind(str(use_case_id)) or not evaluation:
        return
    current = assessment()
    st.subheader(t("business.lab.title"))
    if note:  # e.g. what "bad" and "good" are in this file
        st.caption(note)
    try:
        payoff = current.use_case(use_case_id).payoff
    except KeyError:
        payoff = None
    if payoff is None or not payoff.enabled:
        st.info(t("business.lab.disabled"))
        return
    try:
        runs = tracker.list_runs(use_case_id)
        baseline_id, baseline = find_baseline(runs, use_case_id, evaluation, evaluation_loader(tracker), exclude=run_id)
        case = business_case(use_case_id, evaluation, payoff, run_id=run_id, baseline=baseline,
                             baseline_run_id=baseline_id, threshold=threshold)
    except StudioError as error:
        st.warning(error_text(error))
        return
    _render_case(case, current.cost.currency)


def _render_case(case: BusinessCase, currency: str) -> None:
    st.caption(t("business.lab.caption", run=case.run_id[:8], n=f"{case.n_test:,}"))
    left, right = st.columns([1, 3])
    left.metric(t("business.lab.value"), f"{case.value:,.0f} {currency}")
    if case.running_cost > 0:  # an LLM paid per decision: its yearly bill beside the value it is already out of
        left.metric(t("business.lab.running_cost"), f"{case.running_cost:,.0f} {currency}")
    with right:
        st.markdown(t("business.lab.interval", low=f"{case.low:,.0f}", high=f"{case.high:,.0f}", currency=currency))
        st.markdown(_point_text(case))
        if case.running_cost > 0:
            st.markdown(running_cost_text(case, currency))
    if case.covers_zero:
        st.warning(t("business.lab.zero_note"))
    if case.chosen_on == "test" and case.kind == CREDIT:  # a run from before validation scores were stored
        st.info(t("business.lab.test_split_note"))
    if case.chosen_on == "answers":  # an LLM's answers: no cut-off to trade, so no curve along one
        return
    st.plotly_chart(business_charts.plot_profit_curve(
        case.curve_x, case.curve_y, chosen_x=case.operating_point, chosen_y=case.value, low=case.low, high=case.high,
        title=t("business.chart.profit_title"), x_title=t(X_TITLES[case.kind]),
        y_title=t("business.chart.profit_y", currency=currency),
        curve_label=t("business.chart.curve"), chosen_label=t("business.chart.chosen"),
        zero_label=t("business.chart.zero"), x_percent=case.kind != RECOMMENDATION),
        key=f"business_curve_{case.run_id}")


def running_cost_text(case: BusinessCase, currency: str) -> str:
    """'Running cost: 25 EUR a year (2.50 per 1,000 decisions), already subtracted: 1,025 EUR before it.'"""
    return t("business.lab.running_cost_note", cost=f"{case.running_cost:,.0f}", currency=currency,
             per_1000=f"{case.cost_per_1000:,.2f}", before=f"{case.value_before_running_cost:,.0f}")


def _point_text(case: BusinessCase) -> str:
    details = case.details
    if case.kind == CREDIT:
        baseline = (t("business.lab.baseline.scorecard", run=case.baseline_run_id[:8]) if case.baseline == "scorecard"
                    else t("business.lab.baseline.approve_all"))
        if case.chosen_on == "person":
            return t("business.lab.credit_point_person", point=f"{case.operating_point:.2f}",
                     optimal=f"{details['optimal_threshold']:.2f}", approval=f"{details['approval_rate']:.1%}",
                     baseline=baseline)
        return t("business.lab.credit_point", point=f"{case.operating_point:.2f}",
                 split=t(f"business.lab.split.{case.chosen_on}"), approval=f"{details['approval_rate']:.1%}",
                 baseline=baseline)
    if case.kind == CLASSIFICATION and case.chosen_on == "answers":  # an LLM's answer: no probability to cut
        return t("business.lab.classification_answers", rate=f"{details['automation_rate']:.1%}",
                 precision=f"{details['test_precision']:.1%}")
    if case.kind == CLASSIFICATION:
        return t("business.lab.classification_point", point=f"{case.operating_point:.3f}",
                 target=f"{details['target_precision']:.0%}", rate=f"{details['automation_rate']:.1%}",
                 precision=f"{details['test_precision']:.1%}")
    return t("business.lab.recommendation_point", point=f"{case.operating_point:.0f}", hit=f"{details['hit_rate']:.3f}",
             base=f"{details['baseline_hit_rate']:.3f}", baseline=case.baseline_run_id[:8])


__all__ = ["render_business_case"]
