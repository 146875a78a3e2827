"""The strategy assessment: company profile, use cases with 1-5 scores, weights and cost assumptions, plus validation.

One plain-data shape (dataclasses <-> dict) is shared by the page, the YAML file and the report, and
one validator names every problem field by field ("use_cases[2].scores.value: must be between 1 and 5").
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping

import yaml

from core.business.payoff import Payoff
from core.config import ASSETS_DIR
from core.contract import registry
from core.contract.usecase import StrategyDefaults
from core.i18n import StudioError, translate

SCHEMA_VERSION = 1
CRITERIA = ("value", "feasibility", "data", "compute")
RISKS = ("privacy", "explainability", "fairness", "security")
SIZES = ("small", "medium", "large", "enterprise")
COMPUTE_OPTIONS = ("cpu", "gpu", "cloud")
REGULATIONS = ("pipl", "gdpr", "financial", "health", "ai_act")
APPETITES = ("low", "medium", "high")
STRATEGY_ASSETS = ASSETS_DIR / "strategy"


class StrategyError(StudioError):
    """A strategy input cannot be used as given (all weights zero, negative cost, bad name...)."""


@dataclass(frozen=True)
class Problem:
    """One named problem in an assessment: where (dotted path), what (i18n key) and its parameters."""

    path: str
    key: str
    params: tuple[tuple[str, Any], ...] = ()

    def message(self, lang: str = "en") -> str:
        return f"{self.path}: {translate(self.key, lang, **dict(self.params))}"


class AssessmentError(StrategyError):
    """An assessment (usually a loaded file) breaks the schema; carries every problem, field by field."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("strategy.errors.invalid", count=len(self.problems),
                         details=self._details("en"))

    def _details(self, lang: str) -> str:
        return "\n".join(f"- {problem.message(lang)}" for problem in self.problems)

    def message(self, lang: str = "en") -> str:
        return translate(self.key, lang, count=len(self.problems), details=self._details(lang))


@dataclass
class Company:
    """Who the assessment is for: industry, size, compute at hand, regulation, appetite for risk."""

    name: str = ""
    industry: str = ""
    size: str = "medium"
    compute: str = "cpu"
    cloud_budget: float = 20000.0  # per year, in the cost currency
    regulations: list[str] = field(default_factory=list)
    risk_appetite: str = "medium"


@dataclass
class Weights:
    """Relative weights of the four criteria and four risks, and how much weighted risk costs in priority."""

    criteria: dict[str, float]
    risks: dict[str, float]
    risk_penalty: float


@dataclass
class CostAssumptions:
    """Editable prices and the assumptions used where nothing was measured."""

    currency: str = "USD"
    cpu_price_per_hour: float = 0.20
    gpu_price_per_hour: float = 2.50
    gpu_speedup: float = 8.0
    utilisation: float = 0.5
    epochs: int = 10
    assumed_train_samples_per_second: float = 2000.0
    assumed_serving_requests_per_second: float = 200.0
    always_on: bool = True  # one serving instance runs all year whenever the use case serves requests


@dataclass
class DataProfile:
    """The data a company holds for one use case."""

    rows: int = 10000
    labelled: bool = True
    quality: int = 3


@dataclass
class Load:
    """How hard the use case will work: requests served per day and retrains per year."""

    requests_per_day: float = 1000.0
    retrains_per_year: float = 4.0


@dataclass
class UseCaseAssessment:
    """One use case: built in (id from the registry) or the company's own (name typed by the user)."""

    id: str
    name: str = ""
    builtin: bool = False
    scores: dict[str, int] = field(default_factory=dict)
    risks: dict[str, int] = field(default_factory=dict)
    data: DataProfile = field(default_factory=DataProfile)
    load: Load = field(default_factory=Load)
    use_evidence: bool = True
    payoff: Payoff | None = None  # built-in use cases: what a decision is worth (core.business.payoff)


@dataclass
class Assessment:
    """The whole assessment, saved to and loaded from one YAML file."""

    company: Company
    weights: Weights
    cost: CostAssumptions
    use_cases: list[UseCaseAssessment]
    version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"version": data.pop("version"), **data}

    def use_case(self, use_case_id: str) -> UseCaseAssessment:
        for use_case in self.use_cases:
            if use_case.id == use_case_id:
                return use_case
        raise KeyError(f"No use case {use_case_id!r} in this assessment; known: {[u.id for u in self.use_cases]}.")


@functools.lru_cache(maxsize=1)
def _defaults_cached() -> dict[str, Any]:
    with open(STRATEGY_ASSETS / "defaults.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_defaults() -> dict[str, Any]:
    """assets/strategy/defaults.yaml (a copy: callers may change it)."""
    return copy.deepcopy(_defaults_cached())


def use_case_title(use_case: UseCaseAssessment, lang: str = "en") -> str:
    """What a person reads: the registry title of a built-in use case, the typed name of a custom one."""
    if use_case.builtin:
        declared = registry.USE_CASES.get(use_case.id)
        return translate(declared.title_key if declared else f"usecases.{use_case.id}.title", lang)
    return use_case.name


def _use_case_from_defaults(use_case_id: str, entry: Mapping[str, Any], *, name: str = "",
                            builtin: bool) -> UseCaseAssessment:
    return UseCaseAssessment(
        id=use_case_id, name=name, builtin=builtin,
        scores={key: int(entry["scores"][key]) for key in CRITERIA},
        risks={key: int(entry["risks"][key]) for key in RISKS},
        data=DataProfile(**entry["data"]), load=Load(**{k: float(v) for k, v in entry["load"].items()}),
        payoff=default_payoff(use_case_id) if builtin else None,
    )


def _declared_entry(defaults: StrategyDefaults) -> dict[str, Any]:
    """A registered use case's declared strategy defaults (UseCase.strategy) in the shape of a defaults entry."""
    return {"scores": dict(defaults.scores), "risks": dict(defaults.risks),
            "data": {"rows": int(defaults.rows), "labelled": bool(defaults.labelled), "quality": int(defaults.quality)},
            "load": {"requests_per_day": defaults.requests_per_day, "retrains_per_year": defaults.retrains_per_year}}


def default_payoff(use_case_id: str, *, enabled: bool = True) -> Payoff | None:
    """The payoff a registered use case declares (UseCase.strategy.payoff over Payoff's defaults) when it declares a
    payoff kind; None for a custom one."""
    declared = registry.USE_CASES.get(use_case_id)
    if declared is None or not declared.payoff:
        return None
    return Payoff(enabled=enabled, **{key: float(value) for key, value in declared.strategy.payoff.items()})


def _payoff_from_dict(use_case_id: str, raw: Any, builtin: bool) -> Payoff | None:
    """A file's payoff over the defaults; a built-in use case whose file has none gets the defaults, switched off."""
    if not builtin:
        return None
    payoff = default_payoff(use_case_id, enabled=raw is not None)
    if payoff is not None and raw:
        for key, value in raw.items():
            setattr(payoff, key, bool(value) if key == "enabled" else float(value))
    return payoff


def default_assessment() -> Assessment:
    """The starting assessment: every registered use case with its declared strategy defaults, and the weights."""
    defaults = load_defaults()
    cost = {key: (value if key in {"currency", "epochs", "always_on"} else float(value))
            for key, value in defaults["cost"].items()}
    appetite = "medium"
    return Assessment(
        company=Company(risk_appetite=appetite),
        weights=Weights(criteria={k: float(v) for k, v in defaults["criteria_weights"].items()},
                        risks={k: float(v) for k, v in defaults["risk_weights"].items()},
                        risk_penalty=float(defaults["risk_penalty"][appetite])),
        cost=CostAssumptions(**cost),
        use_cases=[_use_case_from_defaults(uid, _declared_entry(use_case.strategy), builtin=True)
                   for uid, use_case in registry.USE_CASES.items()],
    )


def new_custom_use_case(assessment: Assessment, name: str) -> UseCaseAssessment:
    """A custom use case named `name` with neutral default scores; StrategyError if the name is empty or taken."""
    clean = (name or "").strip()
    if not clean:
        raise StrategyError("strategy.errors.name_empty")
    taken = {_fold(use_case_title(u, lang)) for u in assessment.use_cases for lang in ("en", "zh")}
    if _fold(clean) in taken:
        raise StrategyError("strategy.errors.name_duplicate", name=clean)
    ids = {u.id for u in assessment.use_cases}
    number = 1
    while f"custom_{number}" in ids:
        number += 1
    return _use_case_from_defaults(f"custom_{number}", load_defaults()["custom_use_case"], name=clean, builtin=False)


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


# ---- schema ----------------------------------------------------------------------------------------

_SCORE = {"type": "integer", "minimum": 1, "maximum": 5}
_NON_NEGATIVE = {"type": "number", "minimum": 0}
_PAYOFF_NUMBERS = ("cost_bad_approved", "margin_good_rejected", "applications_per_year", "manual_cost", "error_cost",
                   "items_per_year", "sessions_per_year", "value_per_hit")
_WEIGHT = {"type": "number", "minimum": 0, "maximum": 100}  # the page's weight inputs go up to 100


def _scores(names: tuple[str, ...], item: dict) -> dict:
    return {"type": "object", "properties": {name: item for name in names}, "required": list(names),
            "additionalProperties": False}


SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "company", "weights", "cost", "use_cases"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "integer", "enum": [SCHEMA_VERSION]},
        "company": {
            "type": "object", "additionalProperties": False,
            "required": ["name", "industry", "size", "compute", "cloud_budget", "regulations", "risk_appetite"],
            "properties": {
                "name": {"type": "string"}, "industry": {"type": "string"},
                "size": {"enum": list(SIZES)}, "compute": {"enum": list(COMPUTE_OPTIONS)},
                "cloud_budget": _NON_NEGATIVE,
                "regulations": {"type": "array", "items": {"enum": list(REGULATIONS)}},
                "risk_appetite": {"enum": list(APPETITES)},
            },
        },
        "weights": {
            "type": "object", "additionalProperties": False, "required": ["criteria", "risks", "risk_penalty"],
            "properties": {"criteria": _scores(CRITERIA, _WEIGHT), "risks": _scores(RISKS, _WEIGHT),
                           "risk_penalty": {"type": "number", "minimum": 0, "maximum": 2}},
        },
        "cost": {
            "type": "object", "additionalProperties": False,
            "required": ["currency", "cpu_price_per_hour", "gpu_price_per_hour", "gpu_speedup", "utilisation",
                         "epochs", "assumed_train_samples_per_second", "assumed_serving_requests_per_second",
                         "always_on"],
            "properties": {
                "currency": {"type": "string", "minLength": 1, "maxLength": 8},
                "cpu_price_per_hour": _NON_NEGATIVE, "gpu_price_per_hour": _NON_NEGATIVE,
                "gpu_speedup": {"type": "number", "exclusiveMinimum": 0},
                "utilisation": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "epochs": {"type": "integer", "minimum": 1, "maximum": 1000},
                "assumed_train_samples_per_second": {"type": "number", "exclusiveMinimum": 0},
                "assumed_serving_requests_per_second": {"type": "number", "exclusiveMinimum": 0},
                "always_on": {"type": "boolean"},
            },
        },
        "use_cases": {
            "type": "array", "minItems": 1,
            "items": {
                "type": "object", "additionalProperties": False,
                "required": ["id", "name", "builtin", "scores", "risks", "data", "load", "use_evidence"],
                "properties": {
                    "id": {"type": "string", "minLength": 1}, "name": {"type": "string"},
                    "builtin": {"type": "boolean"}, "use_evidence": {"type": "boolean"},
                    "scores": _scores(CRITERIA, _SCORE), "risks": _scores(RISKS, _SCORE),
                    "data": {"type": "object", "additionalProperties": False,
                             "required": ["rows", "labelled", "quality"],
                             "properties": {"rows": {"type": "integer", "minimum": 0},
                                            "labelled": {"type": "boolean"}, "quality": _SCORE}},
                    "load": {"type": "object", "additionalProperties": False,
                             "required": ["requests_per_day", "retrains_per_year"],
                             "properties": {"requests_per_day": _NON_NEGATIVE, "retrains_per_year": _NON_NEGATIVE}},
                    "payoff": {"type": ["object", "null"], "additionalProperties": False,
                               "properties": {"enabled": {"type": "boolean"},
                                              "target_precision": {"type": "number", "exclusiveMinimum": 0,
                                                                   "maximum": 1},
                                              **{name: _NON_NEGATIVE for name in _PAYOFF_NUMBERS}}},
                },
            },
        },
    },
}

_COST_FIELDS = {"cloud_budget", "cpu_price_per_hour", "gpu_price_per_hour"}


def _path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def _problem(error) -> Problem:
    """One jsonschema error as a Problem with an i18n key a person can act on."""
    where = _path(error.absolute_path)
    schema, kind = error.schema, error.validator
    last = error.absolute_path[-1] if error.absolute_path else ""
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else error.message
        return Problem(_path([*error.absolute_path, name]), "strategy.validation.required")
    if kind in {"minimum", "maximum"} and "minimum" in schema and "maximum" in schema:
        return Problem(where, "strategy.validation.range", (("min", schema["minimum"]), ("max", schema["maximum"])))
    if kind == "minimum" and schema["minimum"] == 0:
        key = "strategy.validation.negative_cost" if last in _COST_FIELDS else "strategy.validation.negative"
        return Problem(where, key)
    if kind in {"minimum", "exclusiveMinimum"}:
        return Problem(where, "strategy.validation.positive" if kind == "exclusiveMinimum"
                       else "strategy.validation.minimum", (("min", schema.get(kind)),))
    if kind == "maximum":
        return Problem(where, "strategy.validation.maximum", (("max", schema["maximum"]),))
    if kind == "type":
        expected = schema["type"] if isinstance(schema["type"], str) else "/".join(schema["type"])
        return Problem(where, "strategy.validation.type", (("expected", expected),
                                                           ("value", repr(error.instance)[:40])))
    if kind == "enum":
        return Problem(where, "strategy.validation.enum", (("allowed", ", ".join(map(str, schema["enum"]))),
                                                           ("value", repr(error.instance)[:40])))
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        return Problem(where, "strategy.validation.unknown", (("names", ", ".join(map(str, extra))),))
    if kind == "maxLength":
        return Problem(where, "strategy.validation.too_long", (("max", schema["maxLength"]),))
    if kind == "minLength":
        return Problem(where, "strategy.validation.empty")
    if kind == "minItems":
        return Problem(where, "strategy.validation.no_use_cases")
    return Problem(where, "strategy.validation.other", (("detail", error.message[:120]),))


def validate_dict(data: Any) -> list[Problem]:
    """Every problem in a raw assessment dict (schema first, then names, duplicates and weights)."""
    import jsonschema

    if not isinstance(data, dict):
        return [Problem("(file)", "strategy.validation.not_mapping")]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    problems = [_problem(error) for error in sorted(validator.iter_errors(data),
                                                     key=lambda e: [str(p) for p in e.absolute_path])]
    if problems:
        return problems
    seen_ids: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for index, use_case in enumerate(data["use_cases"]):
        where = f"use_cases[{index}]"
        if use_case["builtin"] and use_case["id"] not in registry.USE_CASES:
            problems.append(Problem(f"{where}.id", "strategy.validation.enum",
                                    (("allowed", ", ".join(registry.USE_CASES)), ("value", repr(use_case["id"])))))
        if not use_case["builtin"] and not use_case["name"].strip():
            problems.append(Problem(f"{where}.name", "strategy.validation.empty"))
        if use_case["id"] in seen_ids:
            problems.append(Problem(f"{where}.id", "strategy.validation.duplicate", (("name", use_case["id"]),)))
        seen_ids[use_case["id"]] = index
        label = _fold(use_case["name"] if not use_case["builtin"] else use_case["id"])
        if label and label in seen_names:
            problems.append(Problem(f"{where}.name", "strategy.validation.duplicate",
                                    (("name", use_case["name"] or use_case["id"]),)))
        seen_names[label] = index
    if not any(float(v) > 0 for v in data["weights"]["criteria"].values()):
        problems.append(Problem("weights.criteria", "strategy.errors.weights_zero"))
    return problems


def assessment_from_dict(data: Any) -> Assessment:
    """A validated Assessment from a raw dict; AssessmentError lists every problem, field by field."""
    problems = validate_dict(data)
    if problems:
        raise AssessmentError(problems)
    company = dict(data["company"])
    company["regulations"] = list(company["regulations"])
    company["cloud_budget"] = float(company["cloud_budget"])
    weights = data["weights"]
    cost = dict(data["cost"])
    for key in cost:
        if key not in {"currency", "epochs", "always_on"}:
            cost[key] = float(cost[key])
    cost["epochs"] = int(cost["epochs"])
    return Assessment(
        version=int(data["version"]),
        company=Company(**company),
        weights=Weights(criteria={k: float(weights["criteria"][k]) for k in CRITERIA},
                        risks={k: float(weights["risks"][k]) for k in RISKS},
                        risk_penalty=float(weights["risk_penalty"])),
        cost=CostAssumptions(**cost),
        use_cases=[UseCaseAssessment(
            id=str(u["id"]), name=str(u["name"]), builtin=bool(u["builtin"]),
            scores={k: int(u["scores"][k]) for k in CRITERIA}, risks={k: int(u["risks"][k]) for k in RISKS},
            data=DataProfile(rows=int(u["data"]["rows"]), labelled=bool(u["data"]["labelled"]),
                             quality=int(u["data"]["quality"])),
            load=Load(requests_per_day=float(u["load"]["requests_per_day"]),
                      retrains_per_year=float(u["load"]["retrains_per_year"])),
            use_evidence=bool(u["use_evidence"]),
            payoff=_payoff_from_dict(str(u["id"]), u.get("payoff"), bool(u["builtin"])),
        ) for u in data["use_cases"]],
    )


def validate(assessment: Assessment) -> Assessment:
    """The same checks on an Assessment built in the UI; returns it unchanged or raises AssessmentError."""
    assessment_from_dict(assessment.to_dict())
    return assessment
