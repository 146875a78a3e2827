"""The business case on the Strategy page, in English and Chinese: payoff inputs, measured value from a stored
run, the table and chart, and bad payoffs named in words."""

from __future__ import annotations

from core.i18n import translate

PAGE = "../pages/strategy.py"
VALIDATION = {"y_true": [0, 1, 2, 3, 4], "y_pred": [0, 1, 2, 3, 0], "confidence": [0.99, 0.98, 0.6, 0.5, 0.4]}
TEST = {"y_true": [0, 1, 2, 3], "y_pred": [0, 1, 2, 0], "confidence": [0.9, 0.7, 0.55, 0.3]}


def _open(app_test, lang: str | None = None):
    at = app_test(timeout=60)
    if lang:
        at.query_params["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_without_runs_every_payoff_waits_for_a_run_and_bad_inputs_are_named(app_test):
    at = _open(app_test)
    assert "Business case (money per year)" in [h.value for h in at.subheader]
    table = at.dataframe[3].value
    assert list(table["Use case"]) == ["Vision", "NLP", "Recommendation", "Finance risk"]
    assert set(table["Verdict"]) == {"no completed run yet: value stays assumed"}
    assert at.number_input(key="stg_w_vision_payoff_items_per_year").value == 2_000_000
    at.number_input(key="stg_w_vision_payoff_manual_cost").set_value(0.0).run()
    assert not at.exception
    assert ("Vision: " + translate("business.errors.zero_manual_cost", "en")) in [e.value for e in at.error]
    at.number_input(key="stg_w_vision_payoff_manual_cost").set_value(0.5).run()
    at.number_input(key="stg_w_vision_payoff_items_per_year").set_value(-3.0).run()
    assert "Vision: items_per_year is -3.0: volumes and money must be zero or more." in [e.value for e in at.error]
    at.checkbox(key="stg_w_vision_payoff_enabled").uncheck().run()
    assert not at.error and list(at.dataframe[3].value["Use case"]) == ["NLP", "Recommendation", "Finance risk"]


def test_a_stored_run_gives_value_roi_and_payback_in_chinese(app_test):
    at = app_test(timeout=60)
    from dashboard.services import get_tracker

    tracker = get_tracker()
    run_id = tracker.start_run(use_case="vision", dataset="digits", model="cnn", params={"epochs": 1},
                               tags={"studio.device": "CPU (2 cores)"})
    tracker.log_metrics(run_id, {"test_accuracy": 0.97, "samples_per_second": 1000.0, "latency_p50_ms": 2.0})
    tracker.log_dict(run_id, {**TEST, "validation": VALIDATION}, "evaluation.json")
    tracker.finish(run_id, "completed")
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[3].value
    vision = table[table["用例"] == "视觉"].iloc[0]
    # cut-off 0.5 on validation; 3 of 4 test images automated, all right: 3 x 0.50 / 4 x 2,000,000
    assert vision["每年价值（USD）"] == "750,000" and vision["运行"] == run_id[:8] and vision["结论"] == "收益"
    assert vision["回本期"].endswith("个月")
    evidence = at.dataframe[1].value
    value = evidence[(evidence["用例"] == "视觉")
                     & (evidence[translate("strategy.table.criterion", "zh")] == translate("strategy.criteria.value", "zh"))]
    assert list(value["来源"]) == [translate("strategy.source.measured", "zh")] and list(value["运行"]) == [run_id[:8]]
    assert len(at.get("plotly_chart")) == 6  # the five planner charts and value against cost
    at.number_input(key="stg_w_vision_payoff_target_precision").set_value(1.2).run()
    assert any("目标精确率为 1.2" in e.value for e in at.error)
