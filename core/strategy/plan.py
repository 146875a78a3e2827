"""The plan: a pilot -> MVP -> scale roadmap for the top use cases and a risk register with mitigations.

Mitigations come from assets/strategy/mitigations.yaml (the source material's challenges: privacy,
explainability, fairness, security, computing cost, regulation) in English and Chinese.
A risk enters the register when its score reaches the threshold set by the risk appetite
(low appetite: 2 and above, medium: 3, high: 4); the cost risk enters when the cheaper device's
twelve-month total of all use cases exceeds the cloud budget.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Mapping, Sequence

import yaml

from core.i18n import translate
from core.strategy.cost import CostLine, cheaper_device
from core.strategy.model import RISKS, STRATEGY_ASSETS, Assessment, load_defaults
from core.strategy.scoring import Ranked

PHASES = ("pilot", "mvp", "scale")
APPETITE_THRESHOLD = {"low": 2, "medium": 3, "high": 4}
ALL_USE_CASES = "*"


@dataclass(frozen=True)
class Phase:
    """One bar of the roadmap."""

    use_case: str
    title: str
    phase: str  # pilot | mvp | scale
    start: date
    end: date


def roadmap(ranking: Sequence[Ranked], *, start: date, top_n: int | None = None,
            weeks: Mapping[str, int] | None = None, stagger_weeks: int | None = None) -> list[Phase]:
    """Pilot, MVP and scale back to back for the top use cases; each next one starts `stagger_weeks` later."""
    defaults = load_defaults()["roadmap"]
    top_n = defaults["top_n"] if top_n is None else top_n
    weeks = dict(defaults["weeks"]) if weeks is None else dict(weeks)
    stagger_weeks = defaults["stagger_weeks"] if stagger_weeks is None else stagger_weeks
    phases: list[Phase] = []
    for index, ranked in enumerate(list(ranking)[:max(int(top_n), 0)]):
        begin = start + timedelta(weeks=index * int(stagger_weeks))
        for phase in PHASES:
            end = begin + timedelta(weeks=int(weeks[phase]))
            phases.append(Phase(ranked.id, ranked.title, phase, begin, end))
            begin = end
    return phases


@functools.lru_cache(maxsize=1)
def _knowledge() -> dict:
    with open(STRATEGY_ASSETS / "mitigations.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def mitigations(category: str, lang: str = "en") -> list[str]:
    """The knowledge base's mitigations for a risk category (privacy, explainability, fairness, security, cost, regulation)."""
    entry = _knowledge()[category]
    return list(entry.get(lang) or entry["en"])


def regulation_mitigation(regulation: str, lang: str = "en") -> str:
    entry = _knowledge()["regulations"][regulation]
    return entry.get(lang) or entry["en"]


@dataclass(frozen=True)
class RiskEntry:
    """One row of the risk register."""

    use_case: str  # an id, or "*" for the whole portfolio
    title: str
    category: str  # privacy | explainability | fairness | security | cost | regulation
    level: int  # 1..5
    mitigations: tuple[str, ...]


def risk_register(assessment: Assessment, ranking: Sequence[Ranked], costs: Mapping[str, Mapping[str, CostLine]],
                  lang: str = "en") -> list[RiskEntry]:
    """Risks at or above the appetite's threshold, the portfolio's cost risk and each named regulation, with mitigations."""
    threshold = APPETITE_THRESHOLD.get(assessment.company.risk_appetite, 3)
    by_id = {use_case.id: use_case for use_case in assessment.use_cases}
    everyone = translate("strategy.register.all_use_cases", lang)
    entries: list[RiskEntry] = []
    for ranked in ranking:
        use_case = by_id[ranked.id]
        for category in RISKS:
            level = int(use_case.risks[category])
            if level >= threshold:
                extra: list[str] = []
                if category == "privacy":
                    extra = [regulation_mitigation(r, lang) for r in assessment.company.regulations
                             if r in ("pipl", "gdpr")]
                entries.append(RiskEntry(ranked.id, ranked.title, category, level,
                                         tuple(mitigations(category, lang) + extra)))
    totals = [lines[cheaper_device(lines)].total for lines in costs.values()] if costs else []
    budget = float(assessment.company.cloud_budget)
    if totals and sum(totals) > budget:
        level = 5 if sum(totals) > 2 * budget else 4
        entries.append(RiskEntry(ALL_USE_CASES, everyone, "cost", level, tuple(mitigations("cost", lang))))
    if assessment.company.regulations:
        level = 4 if assessment.company.risk_appetite == "low" else 3
        specific = [regulation_mitigation(r, lang) for r in assessment.company.regulations]
        entries.append(RiskEntry(ALL_USE_CASES, everyone, "regulation", level,
                                 tuple(mitigations("regulation", lang) + specific)))
    entries.sort(key=lambda entry: -entry.level)
    return entries
