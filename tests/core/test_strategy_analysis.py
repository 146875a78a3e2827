"""The business case inside the strategy analysis: measured value criterion, economics, errors, tables, files."""

from __future__ import annotations

import pytest
import yaml

from core.business.evidence import RunEvidence
from core.errors import DataError
from core.strategy.analysis import analyse, business_rows, payoff_rows, ranking_rows
from core.strategy.io import dump_yaml, load_yaml
from core.strategy.model import AssessmentError, default_assessment

# vision defaults: 0.50 by hand, 5.00 per error, 2,000,000 images a year, 99 % target precision
VALIDATION = {"y_true": [0, 1, 2, 3, 4], "y_pred": [0, 1, 2, 3, 0], "confidence": [0.99, 0.98, 0.6, 0.5, 0.4]}
TEST = {"y_true": [0, 1, 2, 3], "y_pred": [0, 1, 2, 0], "confidence": [0.9, 0.7, 0.55, 0.3]}


def _vision(run_id: str = "run-vision-1") -> dict[str, RunEvidence]:
    return {"vision": RunEvidence("vision", run_id, {**TEST, "validation": VALIDATION})}


def test_a_payoff_with_a_run_makes_the_value_criterion_measured():
    assessment = default_assessment()
    analysis = analyse(assessment, {}, "en", _vision())
    case = analysis.cases["vision"]
    # cut-off 0.5 (validation: 4 of 4 right at >= 0.5, 4 of 5 at 0.4); test automates 3 right rows of 4:
    # 3 x 0.50 / 4 x 2,000,000 = 750,000 a year
    assert case.operating_point == 0.5 and case.value == pytest.approx(750_000)
    money = analysis.economics["vision"]
    cost = analysis.best_cost("vision").total
    assert money.cost == pytest.approx(cost) and money.net == pytest.approx(750_000 - cost)
    assert money.roi == pytest.approx((750_000 - cost) / cost) and money.payback_months == pytest.approx(12 * cost / 750_000)
    value = analysis.effective["vision"]["value"]
    assert (value.source, value.score, value.run_ids, value.metric) == ("measured", 5.0, ("run-vision-1",), "roi")
    assert analysis.effective["nlp"]["value"].source == "assumed"
    rows = business_rows(analysis)
    vision = next(row for row in rows if row["Use case"] == "Vision")
    assert vision["Value / year, 90 % interval (USD)"].startswith("750,000 (")
    assert vision["Runs"] == "run-visi" and vision["Verdict"] == "gain"
    assert vision["Payback"] == ("< 0.1 months" if cost < 750_000 / 120 else f"{12 * cost / 750_000:,.1f} months")
    nlp = next(row for row in rows if row["Use case"] == "NLP")
    assert nlp["Verdict"] == "no completed run yet: value stays assumed"
    ranking = {row["Use case"]: row for row in ranking_rows(analysis)}
    assert ranking["Vision"]["Net benefit / year (USD)"] == f"{750_000 - cost:,.0f}" and ranking["NLP"][
        "Net benefit / year (USD)"] == "-"
    # the ranking's cost reads like the business table's ("1,752", not "1752.29" in the PDF brief)
    assert ranking["Vision"]["12-month cost (USD)"] == f"{cost:,.0f}"


def test_the_value_changes_the_ranking():
    assessment = default_assessment()
    before = [r.id for r in analyse(assessment, {}, "en").ranking]
    after = [r.id for r in analyse(assessment, {}, "en", _vision()).ranking]
    assert before == ["recommendation", "vision", "nlp", "finance"]
    assert after[0] == "vision"  # value 3 (typed) -> 5 (measured): 3.15 + 0.35 x 2 = 3.85 beats 3.20


def test_switching_the_payoff_off_or_the_evidence_off_keeps_the_typed_value():
    assessment = default_assessment()
    assessment.use_case("vision").payoff.enabled = False
    assert "vision" not in analyse(assessment, {}, "en", _vision()).cases
    assessment.use_case("vision").payoff.enabled = True
    assessment.use_case("vision").use_evidence = False
    analysis = analyse(assessment, {}, "en", _vision())
    assert "vision" not in analysis.cases and analysis.effective["vision"]["value"].source == "assumed"


def test_a_bad_payoff_is_an_error_of_that_use_case_only_even_without_runs():
    assessment = default_assessment()
    assessment.use_case("finance").payoff.applications_per_year = -10
    sure_but_wrong = {"y_true": [1, 0], "y_pred": [0, 0], "confidence": [0.9, 0.8]}  # precision 0, then 50 %
    analysis = analyse(assessment, {}, "zh", {"vision": RunEvidence("vision", "r", {**TEST, "validation": sure_but_wrong})})
    assert set(analysis.business_errors) == {"finance", "vision"}
    assert isinstance(analysis.business_errors["finance"], DataError)
    assert "applications_per_year 为 -10.0" in analysis.business_errors["finance"].message("zh")
    assert "没有任何置信度截断值能达到" in analysis.business_errors["vision"].message("zh")
    assert analysis.ranking  # the rest of the page still works


def test_a_run_without_stored_evaluation_is_named():
    analysis = analyse(default_assessment(), {}, "en", {"vision": RunEvidence("vision", "abcdef123", None)})
    assert analysis.business_errors["vision"].message("en") == "Run abcdef12 stored no evaluation to value; train it again."


def test_payoff_rows_and_yaml_round_trip_with_payoffs():
    assessment = default_assessment()
    assessment.use_case("finance").payoff.cost_bad_approved = 7500
    rows = payoff_rows(analyse(assessment, {}, "en"))
    finance = {row["Item"]: row["Entry"] for row in rows if row["Use case"] == "Finance risk"}
    assert finance == {"Cost of approving a bad loan (USD)": "7,500", "Margin lost by rejecting a good applicant (USD)":
                       "800", "Applications per year": "20,000"}
    assert {row["Entry"] for row in rows if row["Item"] == "Target precision of automatic decisions"} == {"99%", "95%"}
    text = dump_yaml(assessment)
    assert load_yaml(text) == assessment
    old = yaml.safe_load(text)
    for use_case in old["use_cases"]:
        del use_case["payoff"]  # a file saved before payoffs existed
    loaded = load_yaml(yaml.safe_dump(old))
    assert loaded.use_case("finance").payoff.enabled is False and loaded.use_case("finance").payoff.cost_bad_approved == 5000
    old["use_cases"][0]["payoff"] = {"manual_cost": -1}
    with pytest.raises(AssessmentError, match=r"use_cases\[0\]\.payoff\.manual_cost"):
        load_yaml(yaml.safe_dump(old))


def test_cost_rows_say_where_each_figure_comes_from_before_the_speeds_and_format_money():
    """At 1,400 px the cost table hid its source column, and a GPU row scaled from a CPU run read like a
    measurement (it listed the CPU run); sums read '1,752' as in the business table, not '1752.29'."""
    from core.strategy.analysis import cost_rows
    from core.strategy.evidence import Measured, Throughput

    cpu = Throughput("cpu-run-1234", "CPU", samples_per_second=2_000.0, latency_p50_ms=2.0, batch_throughput=None)
    measured = {"vision": Measured("vision", "test_accuracy", 0.98, "cpu-run-1234", "cnn", "digits",
                                   ("cpu-run-1234",), cpu, cpu, None, 30.0)}
    for lang in ("en", "zh"):
        analysis = analyse(default_assessment(), measured, lang)
        rows = cost_rows(analysis)
        vision = [row for row in rows if "Vision" in row.values() or "视觉" in row.values()]
        cpu_row, gpu_row = vision
        headers = list(cpu_row)
        assert headers.index(next(h for h in headers if h in ("Source", "来源"))) < headers.index(
            next(h for h in headers if h in ("Training samples/s", "训练样本数/秒")))
        line = analysis.costs["vision"]["CPU"]
        assert cpu_row[headers[2]] == f"{line.total:,.0f}" and "." not in cpu_row[headers[2]]
        speedup = f"{analysis.assessment.cost.gpu_speedup:g}"
        if lang == "en":
            assert cpu_row["Device"] == "CPU" and cpu_row["Source"] == "measured (run cpu-run-)"
            assert gpu_row["Source"] == f"assumed: CPU figure of run cpu-run- × {speedup} GPU speed-up (no GPU run)"
            nlp_gpu = [row for row in rows if row["Use case"] == "NLP"][1]
            assert nlp_gpu["Source"] == "assumed: default throughput (no run)"
        else:
            assert cpu_row["来源"] == "实测（运行 cpu-run-）" and gpu_row["来源"].startswith("假设：")
