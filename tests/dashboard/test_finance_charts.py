"""Credit charts carry the numbers, labels and markers they are given (checked on the figure)."""

from __future__ import annotations

import numpy as np
import pytest

from core.usecases.finance.metrics import binary_report, threshold_table
from dashboard import finance_charts as charts

Y = np.array([0, 0, 1, 0, 1, 1, 0, 0])
S = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 0.15, 0.35])


@pytest.fixture(scope="module")
def report():
    return binary_report(Y, S)


def test_roc_has_chance_line_and_auc_in_legend(report):
    fig = charts.plot_roc({"Scorecard": {**report["roc"], "auc": report["roc_auc"]}}, title="ROC", x_title="FPR",
                          y_title="TPR", chance_label="chance")
    assert [trace.name for trace in fig.data] == ["chance", f"Scorecard (AUC {report['roc_auc']:.3f})"]
    assert fig.layout.xaxis.title.text == "FPR" and fig.layout.yaxis.title.text == "TPR"
    assert list(fig.data[1].y) == report["roc"]["tpr"]


def test_pr_baseline_is_the_bad_rate(report):
    fig = charts.plot_pr({"m": {**report["pr"], "pr_auc": report["pr_auc"]}}, base_rate=0.375, title="PR",
                         x_title="recall", y_title="precision", base_label="guess")
    assert list(fig.data[0].y) == [0.375, 0.375] and "37.5%" in fig.data[0].name


def test_ks_marks_the_gap(report):
    fig = charts.plot_ks(report["ks_curve"], ks=report["ks"], ks_threshold=report["ks_threshold"], title="KS",
                         x_title="score", y_title="share", good_label="good", bad_label="bad", ks_label="KS")
    gap = fig.data[2]
    assert gap.name == f"KS = {report['ks']:.3f}"
    assert gap.y[1] - gap.y[0] == pytest.approx(report["ks"])


def test_score_distribution_shares_sum_to_one_per_group(report):
    fig = charts.plot_score_distribution(report["histogram"], threshold=0.5, title="dist", x_title="score",
                                         y_title="share", good_label="good", bad_label="bad", threshold_label="cut")
    assert sum(fig.data[0].y) == pytest.approx(1.0) and sum(fig.data[1].y) == pytest.approx(1.0)
    assert fig.layout.shapes[0].x0 == 0.5


def test_threshold_tradeoff_marks_chosen_and_optimal():
    table = threshold_table(Y, S)
    fig = charts.plot_threshold_tradeoff(table, threshold=0.5, optimal=0.25, title="t", x_title="threshold",
                                         rate_title="share", cost_title="cost", approval_label="approval",
                                         bad_rate_label="bad rate", cost_label="cost", chosen_label="chosen",
                                         optimal_label="optimal")
    assert [trace.name for trace in fig.data] == ["approval", "bad rate", "cost"]
    assert fig.data[2].yaxis == "y2" and fig.layout.yaxis2.title.text == "cost"
    assert sorted(shape.x0 for shape in fig.layout.shapes) == [0.25, 0.5]
    assert {a.text for a in fig.layout.annotations} == {"chosen 0.50", "optimal 0.25"}


def test_contributions_colour_risk_up_red_and_down_blue():
    reasons = [{"name": "Income", "label": "Income = 80", "contribution": -0.7},
               {"name": "Records", "label": "Records = yes", "contribution": 1.1}]
    fig = charts.plot_contributions(reasons, title="why", x_title="log-odds", up_label="up", down_label="down")
    bar = fig.data[0]
    assert list(bar.y) == ["Income = 80", "Records = yes"]  # largest at the top (last)
    assert list(bar.marker.color) == [charts.GOOD_COLOR, charts.BAD_COLOR]


def test_group_rates_and_importance_and_profile_charts():
    groups = [{"group": "a", "count": 3, "approval_rate": 1.0, "tpr": 1.0, "fpr": None},
              {"group": "b", "count": 4, "approval_rate": 0.25, "tpr": 0.5, "fpr": 0.0}]
    fig = charts.plot_group_rates(groups, title="g", y_title="share", approval_label="approval", tpr_label="tpr",
                                  fpr_label="fpr")
    assert list(fig.data[0].x) == ["a (n=3)", "b (n=4)"] and list(fig.data[2].text) == ["–", "0%"]
    small = charts.plot_group_rates([{**groups[0], "small": True}, groups[1]], title="g", y_title="share",
                                    approval_label="approval", tpr_label="tpr", fpr_label="fpr", small_label="too small")
    assert list(small.data[0].x) == ["a (n=3, too small)", "b (n=4)"]
    assert list(small.data[1].marker.opacity) == [0.35, 1.0]
    imp = charts.plot_importance([{"name": "Income", "importance": 0.05, "std": 0.01},
                                  {"name": "Age", "importance": 0.01, "std": 0.0}], title="imp", x_title="drop")
    assert list(imp.data[0].y) == ["Age", "Income"]
    prof = charts.plot_bad_rate_by_level([{"level": "rent", "count": 10, "bad_rate": 0.4},
                                          {"level": "owner", "count": 20, "bad_rate": 0.1}], overall=0.2, title="p",
                                         x_title="Home", y_title="bad rate", overall_label="overall")
    assert list(prof.data[0].marker.color) == [charts.BAD_COLOR, charts.GOOD_COLOR]


def test_empty_inputs_give_titled_figures_not_errors():
    assert charts.plot_roc({}, title="ROC", x_title="x", y_title="y", chance_label="c").layout.title.text == "ROC"
    assert charts.plot_importance([], title="imp", x_title="x").layout.title.text == "imp"


def test_guidance_quotes_measured_numbers_and_prefers_the_scorecard_for_a_small_gain():
    import pandas as pd

    from dashboard.labs.finance_results import recommendation

    runs = pd.DataFrame({"model": ["wide_deep", "gbm", "scorecard", "scorecard"], "run_id": ["w", "g", "s", "s0"],
                         "test_roc_auc": [0.853, 0.847, 0.849, 0.700]})
    # costs per applicant at the business case's prices (the page computes them from each run's evaluation)
    lines = dict(recommendation(runs, bad_rate=0.05, costs={"w": 430.0, "g": 417.5, "s": 448.0, "s0": 1.0},
                                currency="USD"))
    assert lines["finance.guide.best"]["auc"] == "0.853" and lines["finance.guide.best"]["n"] == 3
    assert lines["finance.guide.gain_small"]["gain"] == "0.004"  # newest scorecard run (0.849) is the reference
    assert lines["finance.guide.cost"] == {"model": "Gradient boosting (scikit-learn)", "cost": "417.50 USD"}
    assert "finance.guide.cost" not in dict(recommendation(runs, bad_rate=0.05))  # no prices, no cost line
    assert lines["finance.guide.imbalance"]["rate"] == "5.0%"
    big = dict(recommendation(runs.assign(test_roc_auc=[0.90, 0.847, 0.849, 0.7]), bad_rate=0.3))
    assert big["finance.guide.gain_large"]["gain"] == "0.051" and "finance.guide.imbalance" not in big


def test_long_group_names_are_shown_whole_with_room_made_for_them():
    """Issue 13.10: 'African-American (n=...)' was cut to 'African-Americar' by a fixed bottom margin."""
    groups = [{"group": "African-American", "count": 3175, "approval_rate": 0.4, "tpr": 0.5, "fpr": 0.2},
              {"group": "Native American", "count": 11, "approval_rate": 0.6, "tpr": 0.7, "fpr": 0.3}]
    fig = charts.plot_group_rates(groups, title="g", y_title="share", approval_label="approval", tpr_label="tpr",
                                  fpr_label="fpr")
    assert list(fig.data[0].x) == ["African-American (n=3175)", "Native American (n=11)"]
    assert fig.layout.xaxis.automargin is True and fig.layout.yaxis.automargin is True
