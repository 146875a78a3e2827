"""Roadmap dates and the risk register's thresholds, cost risk, regulation rows and bilingual mitigations."""

from __future__ import annotations

from datetime import date

from core.strategy.analysis import analyse
from core.strategy.model import default_assessment
from core.strategy.plan import mitigations, risk_register, roadmap

TODAY = date(2026, 11, 23)


def test_roadmap_phases_follow_each_other_and_the_next_use_case_starts_later():
    analysis = analyse(default_assessment(), {}, "en")
    phases = roadmap(analysis.ranking, start=TODAY, top_n=2, weeks={"pilot": 6, "mvp": 12, "scale": 24}, stagger_weeks=4)
    assert [(p.use_case, p.phase) for p in phases] == [("recommendation", "pilot"), ("recommendation", "mvp"),
                                                       ("recommendation", "scale"), ("vision", "pilot"),
                                                       ("vision", "mvp"), ("vision", "scale")]
    assert (phases[0].start, phases[0].end) == (date(2026, 11, 23), date(2027, 1, 4))  # 6 weeks
    assert phases[1].start == phases[0].end and phases[2].end == date(2027, 9, 13)  # 42 weeks after today
    assert phases[3].start == date(2026, 12, 21)  # 4 weeks later
    assert len(roadmap(analysis.ranking, start=TODAY)) == 9  # defaults: top 3


def test_register_threshold_follows_risk_appetite_and_sorts_by_level():
    assessment = default_assessment()
    analysis = analyse(assessment, {}, "en")
    medium = risk_register(assessment, analysis.ranking, analysis.costs, "en")
    assert all(entry.level >= 3 for entry in medium) and [e.level for e in medium] == sorted(
        (e.level for e in medium), reverse=True)
    assert ("finance", "fairness", 5) in {(e.use_case, e.category, e.level) for e in medium}
    assessment.company.risk_appetite = "high"
    high = risk_register(assessment, analysis.ranking, analysis.costs, "en")
    assert {(e.use_case, e.category) for e in high} == {("finance", "privacy"), ("finance", "explainability"),
                                                        ("finance", "fairness"), ("finance", "security"),
                                                        ("nlp", "privacy"), ("recommendation", "privacy")}
    privacy = next(e for e in high if e.category == "privacy")
    assert any("Differential privacy" in m for m in privacy.mitigations)
    assert any("Federated learning" in m for m in privacy.mitigations)


def test_cost_over_budget_and_regulations_enter_the_register_in_chinese():
    assessment = default_assessment()
    assessment.company.cloud_budget = 3000.0  # four always-on CPU instances cost about 7,000 a year
    assessment.company.regulations = ["pipl", "financial"]
    analysis = analyse(assessment, {}, "zh")
    register = risk_register(assessment, analysis.ranking, analysis.costs, "zh")
    cost = next(e for e in register if e.category == "cost")
    assert cost.level == 5 and cost.title == "所有用例"  # more than twice the budget
    assert any("量化" in m for m in cost.mitigations) and any("蒸馏" in m for m in cost.mitigations)
    regulation = next(e for e in register if e.category == "regulation")
    assert any("个人信息保护法" in m for m in regulation.mitigations)
    assert any("模型风险管理" in m for m in regulation.mitigations)
    privacy = next(e for e in register if e.category == "privacy")
    assert any("个人信息保护法" in m for m in privacy.mitigations)  # PIPL adds to privacy mitigations


def test_knowledge_base_covers_the_source_material_in_both_languages():
    for category in ("privacy", "explainability", "fairness", "security", "cost", "regulation"):
        assert len(mitigations(category, "en")) == len(mitigations(category, "zh")) >= 3
    assert any("SHAP" in m for m in mitigations("explainability")) and any("LIME" in m for m in mitigations("explainability"))
    assert any("anonymis" in m.lower() for m in mitigations("privacy"))
    assert any("encrypt" in m.lower() for m in mitigations("privacy"))
    assert any("audit" in m.lower() for m in mitigations("fairness"))
    assert any("compression" in m.lower() for m in mitigations("cost"))
