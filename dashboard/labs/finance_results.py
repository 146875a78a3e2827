"""Finance risk results: headline figures, models compared on one split, threshold and costs, curves,
reasons and fairness (the Results tab of the credit lab, and the Runs page's view of a credit run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from core.business.payoff import CREDIT, check_payoff, credit_operating_point, expected_credit_cost
from core.errors import StudioError
from core.tracking.records import TAG_DEVICE, run_record
from core.usecases.finance.fairness import EXTREME_APPROVAL, group_report
from core.usecases.finance.metrics import at_threshold, threshold_table
from core.usecases.finance.profile import band_column
from dashboard import finance_charts as charts
from dashboard.business_views import render_business_case
from dashboard.i18n import device_text, error_text, t
from dashboard.lab_results import comparable_runs, load_evaluation
from dashboard.labs.contract import LabData
from dashboard.run_names import model_name, seconds_text
from dashboard.strategy_views import assessment, payoff_inputs

if TYPE_CHECKING:
    from core.data.dataset import Dataset
    from core.tracking.store import Tracker


# ---- figures and evaluation (also on the Runs page) -------------------------------------------------------------------------

def render_metric_row(metrics: dict[str, float], tags: dict[str, str]) -> None:
    """Headline figures of a credit run: ranking quality first; accuracy is not headlined (imbalance)."""
    columns = [*st.columns(4), *st.columns(3)]

    def show(column, label_key, name, fmt, help_key=None):
        value = metrics.get(name)
        text = fmt.format(value) if value is not None and np.isfinite(value) else "–"
        column.metric(t(label_key), text, help=t(help_key) if help_key else None)

    show(columns[0], "finance.metric.roc_auc", "test_roc_auc", "{:.3f}", "finance.metric.roc_auc_help")
    show(columns[1], "finance.metric.gini", "test_gini", "{:.3f}", "finance.metric.gini_help")
    show(columns[2], "finance.metric.ks", "test_ks", "{:.3f}", "finance.metric.ks_help")
    show(columns[3], "finance.metric.pr_auc", "test_pr_auc", "{:.3f}", "finance.metric.pr_auc_help")
    # no cost tile: a cost needs the payoff's prices, which the Results' threshold panel shows (one cost model)
    show(columns[4], "finance.metric.latency", "latency_p50_ms", "{:.2f} ms", "finance.metric.latency_help")
    columns[5].metric(t("finance.metric.train_time"), seconds_text(metrics.get("train_seconds")),
                      help=t("lab.train_time_help"))
    columns[6].metric(t("finance.metric.device"), device_text(tags.get(TAG_DEVICE)))


def render_evaluation(evaluation: dict[str, Any], *, key: str, dataset: Dataset | None = None) -> None:
    """A stored credit evaluation as charts, at its operating point under the business case's costs (Runs page)."""
    optimal = operating_point(evaluation)
    _render_curves({t("finance.this_model"): evaluation}, evaluation, threshold=optimal, key=key,
                   threshold_label=t("finance.optimal"))
    _render_importance(evaluation, key=key)


def operating_point(evaluation: dict[str, Any]) -> float:
    """The cost-optimal threshold under the business case's costs (Strategy page / threshold panel), on the
    validation split; the threshold slider's value for this run once the person moved it."""
    payoff = assessment().use_case("finance").payoff
    try:
        check_payoff(payoff, CREDIT)
        return min(credit_operating_point(evaluation, payoff)[0], 1.0)
    except StudioError:  # prices that make a choice free: the panel says so; charts fall back to 0.5
        return 0.5


# ---- 3. Results ------------------------------------------------------------------------------

def _finance_model(model_id: str) -> str:
    return model_name("finance", model_id)


def _comparable_runs(tracker: Tracker, data: LabData) -> pd.DataFrame:
    """Completed credit runs on the same test split that measured ROC-AUC."""
    runs = comparable_runs(tracker, data)
    if runs.empty or "test_roc_auc" not in runs:
        return runs.iloc[0:0]
    return runs[runs["test_roc_auc"].notna()]


def recommendation(runs: pd.DataFrame, *, bad_rate: float, costs: dict[str, float] | None = None,
                   currency: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Guidance lines (i18n key, params) from measured runs on one split: best AUC, gain over scorecard, and the
    cheapest model at the payoff's costs (`costs`: {run id: cost per applicant at its operating point})."""
    if runs.empty:
        return []
    latest = runs.drop_duplicates(subset=["model"], keep="first")  # newest run per model
    best = latest.loc[latest["test_roc_auc"].idxmax()]
    lines: list[tuple[str, dict[str, Any]]] = [("finance.guide.best", {
        "model": _finance_model(best["model"]), "auc": f"{best['test_roc_auc']:.3f}", "n": len(latest)})]
    scorecard = latest[latest["model"] == "scorecard"]
    if len(latest) == 1:
        lines.append(("finance.guide.one_model", {}))
    elif scorecard.empty:
        lines.append(("finance.guide.no_scorecard", {}))
    elif best["model"] == "scorecard":
        lines.append(("finance.guide.scorecard_best", {"auc": f"{scorecard.iloc[0]['test_roc_auc']:.3f}"}))
    else:
        gain = float(best["test_roc_auc"] - scorecard.iloc[0]["test_roc_auc"])
        key = "finance.guide.gain_small" if gain < 0.01 else "finance.guide.gain_large"
        lines.append((key, {"model": _finance_model(best["model"]), "gain": f"{gain:.3f}",
                            "scorecard": f"{scorecard.iloc[0]['test_roc_auc']:.3f}"}))
    priced = [row for row in latest.to_dict("records") if (costs or {}).get(row["run_id"]) is not None]
    if priced:
        cheapest = min(priced, key=lambda row: costs[row["run_id"]])
        lines.append(("finance.guide.cost", {"model": _finance_model(cheapest["model"]),
                                             "cost": f"{costs[cheapest['run_id']]:,.2f} {currency}".strip()}))
    if bad_rate < 0.1:
        lines.append(("finance.guide.imbalance", {"rate": f"{bad_rate:.1%}", "accuracy": f"{1 - bad_rate:.1%}"}))
    return lines


def render_results(tracker: Tracker, run_id: str, data: LabData) -> None:
    """Figures, models compared on this split, threshold and costs, curves, reasons and fairness."""
    dataset = data.dataset
    try:
        run = tracker.get_run(run_id)
    except StudioError as error:
        st.error(error_text(error))
        return
    render_metric_row(run.data.metrics, run.data.tags)
    status = run_record(run).status
    if status != "completed":
        st.warning(t("finance.run_not_completed", status=status))
        return
    evaluation = load_evaluation(tracker, run_id)
    if not evaluation:
        st.warning(t("finance.no_evaluation"))
        return
    same_data = evaluation.get("dataset_fingerprint") == dataset.fingerprint

    # One payoff drives the whole page: the threshold panel, the comparison's cost, the business case and the
    # try-it tab use the business case's prices (shared with the Strategy page), and one operating point.
    current = assessment()
    chosen = current.use_case("finance")
    payoff, currency = chosen.payoff, current.cost.currency
    runs = _comparable_runs(tracker, data)
    evaluations = {row["run_id"]: evaluation if row["run_id"] == run_id else load_evaluation(tracker, row["run_id"])
                   for row in runs.drop_duplicates(subset=["model"], keep="first").to_dict("records")}

    st.subheader(t("finance.threshold_title"))
    outcomes = dataset.extra.get("outcomes") or {}
    named, note = None, ""
    if outcomes and not outcomes.get("credit_like", True):  # not credit data: say what is priced, in its own words
        named = {"cost_bad_approved": t("finance.named.cost_bad_approved", value=outcomes["bad"], currency=currency),
                 "margin_good_rejected": t("finance.named.margin_good_rejected", value=outcomes["good"],
                                           currency=currency)}
        note = t("finance.named.note", column=dataset.extra.get("target", ""), bad=outcomes["bad"],
                 good=outcomes["good"])
    payoff_inputs(chosen, ("cost_bad_approved", "margin_good_rejected"), currency, labels=named)
    st.caption(t("finance.costs_shared"))
    try:
        check_payoff(payoff, CREDIT)
    except StudioError as error:
        st.error(error_text(error))
        return
    costs = {rid: expected_credit_cost(e, payoff) for rid, e in evaluations.items() if e and "scores" in e}

    st.subheader(t("finance.compare_title"))
    if not runs.empty:
        table = runs.drop_duplicates(subset=["model"], keep="first")
        st.dataframe(pd.DataFrame({
            t("finance.col_model"): table["model"].map(_finance_model),
            "ROC-AUC": table["test_roc_auc"].map("{:.3f}".format),
            "Gini": table["test_gini"].map("{:.3f}".format),
            "KS": table["test_ks"].map("{:.3f}".format),
            "PR-AUC": table["test_pr_auc"].map("{:.3f}".format),
            t("finance.cost_column", currency=currency): table["run_id"].map(
                lambda rid: f"{costs[rid]:,.2f}" if rid in costs else "–"),
            t("finance.metric.train_time"): table["train_seconds"].map(seconds_text),
            t("finance.metric.latency"): table.get("latency_p50_ms", pd.Series(np.nan, index=table.index)).map(
                lambda v: f"{v:.2f} ms" if pd.notna(v) else "–"),
        }), hide_index=True, width="stretch")
        for key, params in recommendation(runs, bad_rate=float(np.mean(dataset.y_test)), costs=costs,
                                          currency=currency):
            st.markdown(f"- {t(key, **params)}")

    st.subheader(t("finance.operating_title"))
    cost_bad, cost_good = float(payoff.cost_bad_approved), float(payoff.margin_good_rejected)
    y_true = np.asarray(evaluation["y_true"])
    scores = np.asarray(evaluation["scores"])
    table = threshold_table(y_true, scores, cost_bad_approved=cost_bad, cost_good_rejected=cost_good)
    optimal, chosen_on = credit_operating_point(evaluation, payoff)
    optimal = min(optimal, 1.0)
    slider_key = f"finance_threshold_{run_id[:8]}"
    marker = (round(optimal, 2), cost_bad, cost_good)
    # A new run or new costs start at the operating point; so does a run shown again after another one (Streamlit
    # drops the state of a slider that was not drawn, and it came back at 0.00, approving nobody).
    if st.session_state.get(f"{slider_key}_marker") != marker or slider_key not in st.session_state:
        st.session_state[f"{slider_key}_marker"] = marker
        st.session_state[slider_key] = float(round(optimal, 2))
    threshold = st.slider(t("finance.threshold"), min_value=0.0, max_value=1.0, step=0.01, key=slider_key,
                          help=t("finance.threshold_help"))
    point = at_threshold(y_true, scores, threshold, cost_bad_approved=cost_bad, cost_good_rejected=cost_good)
    at_optimum = at_threshold(y_true, scores, optimal, cost_bad_approved=cost_bad, cost_good_rejected=cost_good)
    m = st.columns(4)
    m[0].metric(t("finance.approval_rate"), f"{point['approval_rate']:.1%}")
    m[1].metric(t("finance.bad_rate_approved"), f"{point['bad_rate_approved']:.1%}",
                help=t("finance.bad_rate_approved_help", base=f"{np.mean(y_true):.1%}"))
    gap = point["expected_cost"] - at_optimum["expected_cost"]
    m[2].metric(t("finance.expected_cost_money", currency=currency), f"{point['expected_cost']:,.2f}",
                delta=f"{gap:+,.2f}" if abs(gap) > 5e-3 else None, delta_color="inverse",
                help=t("finance.expected_cost_help"))
    m[3].metric(t("finance.optimal_threshold"), f"{optimal:.2f}",
                help=t("finance.optimal_help_split", split=t(f"business.lab.split.{chosen_on}"),
                       cost=f"{at_optimum['expected_cost']:,.2f} {currency}", approval=f"{at_optimum['approval_rate']:.1%}"))
    st.caption(t("finance.threshold_counts", bad=point["bad_approved"], good=point["good_rejected"], n=len(y_true)))
    st.plotly_chart(charts.plot_threshold_tradeoff(
        table, threshold=threshold, optimal=optimal, title=t("finance.tradeoff_title"),
        x_title=t("finance.threshold_axis"), rate_title=t("finance.rate_axis"),
        cost_title=t("finance.cost_axis_money", currency=currency),
        approval_label=t("finance.approval_rate"), bad_rate_label=t("finance.bad_rate_approved"),
        cost_label=t("finance.expected_cost_money", currency=currency), chosen_label=t("finance.chosen"),
        optimal_label=t("finance.optimal")),
        key=f"finance_tradeoff_{run_id}")
    render_business_case(tracker, run_id, "finance", evaluation, threshold=threshold, note=note)

    st.subheader(t("finance.curves_title"))
    overlay = {}
    for row in runs.drop_duplicates(subset=["model"], keep="first").to_dict("records") if not runs.empty else []:
        other = evaluations.get(row["run_id"])
        if other:
            overlay[_finance_model(row["model"])] = other
    if not overlay:
        overlay = {t("finance.this_model"): evaluation}
    _render_curves(overlay, evaluation, threshold=threshold, key=f"finance_{run_id}")
    _render_importance(evaluation, key=f"finance_{run_id}")
    if same_data:
        _render_fairness(dataset, evaluation, threshold=threshold, key=f"finance_{run_id}")
    else:
        st.info(t("finance.fairness_other_data"))


def _render_curves(overlay: dict[str, dict[str, Any]], evaluation: dict[str, Any], *, threshold: float, key: str,
                   threshold_label: str | None = None) -> None:
    left, right = st.columns(2)
    left.plotly_chart(charts.plot_roc(
        {label: {**e["roc"], "auc": e["roc_auc"]} for label, e in overlay.items()}, title=t("finance.roc_title"),
        x_title=t("finance.fpr"), y_title=t("finance.tpr"), chance_label=t("finance.chance")), key=f"{key}_roc")
    right.plotly_chart(charts.plot_pr(
        {label: {**e["pr"], "pr_auc": e["pr_auc"]} for label, e in overlay.items()},
        base_rate=float(evaluation.get("bad_rate", 0.0)), title=t("finance.pr_title"), x_title=t("finance.recall"),
        y_title=t("finance.precision"), base_label=t("finance.pr_base")), key=f"{key}_pr")
    left, right = st.columns(2)
    left.plotly_chart(charts.plot_ks(
        evaluation["ks_curve"], ks=evaluation["ks"], ks_threshold=evaluation["ks_threshold"], title=t("finance.ks_title"),
        x_title=t("finance.score_axis"), y_title=t("finance.cumulative_share"), good_label=t("finance.good"),
        bad_label=t("finance.bad"), ks_label="KS"), key=f"{key}_ks")
    right.plotly_chart(charts.plot_score_distribution(
        evaluation["histogram"], threshold=threshold, title=t("finance.distribution_title"),
        x_title=t("finance.score_axis"), y_title=t("finance.share_of_group"), good_label=t("finance.good"),
        bad_label=t("finance.bad"), threshold_label=threshold_label or t("finance.chosen")), key=f"{key}_hist")
    st.plotly_chart(charts.plot_calibration(
        evaluation["calibration"], title=t("finance.calibration_title"), x_title=t("finance.predicted_axis"),
        y_title=t("finance.observed_axis"), model_label=t("finance.this_model"), perfect_label=t("finance.perfect")),
        key=f"{key}_calibration")
    st.caption(t("finance.calibration_note", brier=f"{evaluation.get('brier', float('nan')):.3f}"))


def _render_importance(evaluation: dict[str, Any], *, key: str) -> None:
    st.subheader(t("finance.importance_title"))
    st.plotly_chart(charts.plot_importance(evaluation.get("importance", []), title=t("finance.importance_chart"),
                                           x_title=t("finance.importance_axis")), key=f"{key}_importance")
    st.caption(t("finance.importance_note"))


def _render_fairness(dataset: Dataset, evaluation: dict[str, Any], *, threshold: float, key: str) -> None:
    st.subheader(t("finance.fairness_title"))
    features = dataset.extra["features"]
    names = [f["name"] for f in features]
    preferred = next((n for n in names if n.lower() in ("age", "marital", "sex", "gender", "年龄", "性别")), names[0])
    if st.session_state.get("finance_sensitive") not in names:
        st.session_state["finance_sensitive"] = preferred
    left, right = st.columns(2)
    column = left.selectbox(t("finance.sensitive"), names, key="finance_sensitive", help=t("finance.sensitive_help"))
    # The fairness threshold starts at (and follows) the threshold chosen above until the person moves it.
    slider_key = f"{key}_fairness_threshold"
    if st.session_state.get(f"{slider_key}_follows") != threshold or slider_key not in st.session_state:
        st.session_state[f"{slider_key}_follows"] = threshold
        st.session_state[slider_key] = float(threshold)
    fair_threshold = right.slider(t("finance.fairness_threshold"), min_value=0.0, max_value=1.0, step=0.01,
                                  key=slider_key, help=t("finance.fairness_threshold_help", threshold=f"{threshold:.2f}"))
    feature = next(f for f in features if f["name"] == column)
    groups = band_column(dataset.x_test[feature["key"]], feature["kind"], bins=4)
    if len(set(groups)) > 12:
        st.warning(t("finance.too_many_groups", count=len(set(groups))))
        return
    report = group_report(evaluation["y_true"], evaluation["scores"], groups, threshold=fair_threshold)
    if report["approval_extreme"]:
        st.warning(t(f"finance.fairness_approval_{report['approval_extreme']}", approval=_pct(report["approval_rate"]),
                     threshold=f"{fair_threshold:.2f}", limit=f"{EXTREME_APPROVAL:.0%}"))
    minimum = report["min_group_size"]
    c1, c2 = st.columns(2)
    dp, eo = report["demographic_parity_difference"], report["equalized_odds_difference"]
    c1.metric(t("finance.dp_difference"), f"{dp:.3f}" if dp is not None else "–",
              help=t("finance.dp_help", minimum=minimum))
    c2.metric(t("finance.eo_difference"), f"{eo:.3f}" if eo is not None else "–",
              help=t("finance.eo_help", minimum=minimum))
    if report["small_groups"]:
        st.info(t("finance.fairness_small_groups", groups=", ".join(report["small_groups"]), minimum=minimum))
    if dp is None:
        st.info(t("finance.fairness_too_few_groups", minimum=minimum))
    st.plotly_chart(charts.plot_group_rates(report["groups"], title=t("finance.group_chart", column=column,
                                                                                threshold=f"{fair_threshold:.2f}"),
                                            y_title=t("finance.rate_axis"), approval_label=t("finance.approval_rate"),
                                            tpr_label=t("finance.tpr_group"), fpr_label=t("finance.fpr_group"),
                                            small_label=t("finance.group_too_small")),
                    key=f"{key}_fairness")
    st.dataframe(pd.DataFrame({
        t("finance.col_group"): [g["group"] for g in report["groups"]],
        t("finance.col_count"): [g["count"] for g in report["groups"]],
        t("finance.bad_rate"): [_pct(g["bad_rate"]) for g in report["groups"]],
        t("finance.approval_rate"): [_pct(g["approval_rate"]) for g in report["groups"]],
        t("finance.tpr_group"): [_pct(g["tpr"]) for g in report["groups"]],
        t("finance.fpr_group"): [_pct(g["fpr"]) for g in report["groups"]],
        t("finance.col_counted"): [t("finance.group_not_counted", minimum=minimum) if g["small"]
                                   else t("finance.group_counted") for g in report["groups"]],
    }), hide_index=True, width="stretch")
    st.caption(t("finance.fairness_note"))


def _pct(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "–"
