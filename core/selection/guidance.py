"""Turn stated requirements and measured runs into a ranked, reasoned recommendation (rules in assets/guidance.yaml)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from core.evaluation.catalogue import higher_is_better
from core.selection.compare import SelectionError, _use_case, quality_columns, significance_applies
from core.selection.rules import SETTING_DEFAULTS, GuidanceRules, all_hold, load_rules

if TYPE_CHECKING:
    from core.contract.usecase import UseCase

COMPUTE_CHOICES = ("cpu", "one_gpu", "cluster")
# Per task, metrics of how a model ranks what people see (the top-10 list of a recommender), which the
# ranking by the primary metric (rating error) does not weigh: a candidate best on one is named beside
# the recommendation (popularity can lead on HitRate@10 while matrix factorisation leads on RMSE).
SECONDARY_METRICS = {"rating": ("test_hit_rate_at_10",)}
RETRAIN_CHOICES = ("rarely", "monthly", "weekly", "daily")


@dataclass(frozen=True)
class Requirements:
    """What the business needs: data, latency, explanations, compute, privacy, retraining cadence."""

    labelled_examples: int
    latency_target_ms: float | None = None
    explanations_required: bool = False
    compute: str = "cpu"  # cpu | one_gpu | cluster
    on_premises_only: bool = False
    retrain: str = "rarely"  # rarely | monthly | weekly | daily


@dataclass
class CandidateAdvice:
    """One candidate's place in the ranking with its reasons: (i18n key, params) quoting measured numbers."""

    model: str
    kind: str
    score: float
    meets_all: bool
    is_baseline: bool
    reasons: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # requirement keys this candidate does not meet


@dataclass
class Recommendation:
    """Ranked candidates (best first), requirements nobody meets, whether the simple baseline comes first."""

    use_case: str
    metric: str
    requirements: Requirements
    ranked: list[CandidateAdvice]
    unmet: list[str]
    baseline: str | None
    baseline_wins: bool
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Another candidate best on a secondary ranking metric (SECONDARY_METRICS): {metric, model, value,
    # recommended, recommended_value}, so the page can say so beside the recommendation.
    leaders: list[dict[str, Any]] = field(default_factory=list)

    @property
    def best(self) -> CandidateAdvice:
        return self.ranked[0]


# ---------------------------------------------------------------- requirements

def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def retrain_seconds(train_seconds: float, train_size: float, labelled_examples: int) -> float:
    """Measured training time scaled linearly to the stated number of labelled examples."""
    if not _finite(train_seconds):
        return math.nan
    if _finite(train_size) and train_size > 0:
        return float(train_seconds) * labelled_examples / float(train_size)
    return float(train_seconds)


def validate_requirements(requirements: Requirements, *, num_classes: int | None = None,
                          table: pd.DataFrame | None = None, rules: GuidanceRules | None = None) -> None:
    """Refuse impossible or contradictory requirements with a SelectionError that names the conflict."""
    r = requirements
    if isinstance(r.labelled_examples, bool) or not isinstance(r.labelled_examples, int) or r.labelled_examples < 0:
        raise SelectionError("errors.selection.bad_labelled", value=r.labelled_examples)
    if r.compute not in COMPUTE_CHOICES:
        raise SelectionError("errors.selection.bad_choice", field="compute", value=r.compute,
                             choices=", ".join(COMPUTE_CHOICES))
    if r.retrain not in RETRAIN_CHOICES:
        raise SelectionError("errors.selection.bad_choice", field="retrain", value=r.retrain,
                             choices=", ".join(RETRAIN_CHOICES))
    if r.latency_target_ms is not None and (not _finite(r.latency_target_ms) or r.latency_target_ms <= 0):
        raise SelectionError("errors.selection.bad_latency_target", value=r.latency_target_ms)
    if num_classes and r.labelled_examples < 2 * num_classes:
        raise SelectionError("errors.selection.too_few_labels", examples=r.labelled_examples,
                             classes=num_classes, needed=2 * num_classes)
    if table is not None and len(table) and r.retrain == "daily" and r.compute == "cpu":
        day = float((rules.settings if rules else SETTING_DEFAULTS)["day_seconds"])
        times = {
            str(row["model"]): retrain_seconds(row.get("train_seconds"), row.get("train_size"), r.labelled_examples)
            for _, row in table.iterrows()
        }
        measured = {model: seconds for model, seconds in times.items() if _finite(seconds)}
        if measured and min(measured.values()) > day:
            fastest = min(measured, key=measured.get)
            raise SelectionError("errors.selection.daily_on_cpu", model=fastest,
                                 hours=measured[fastest] / 3600, examples=r.labelled_examples)


# ---------------------------------------------------------------- recommendation

def _float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def _score_points(gap: float, best: float, higher: bool) -> float:
    """A quality gap in score points: percentage points for ratio metrics; for error metrics (RMSE) the gap as a
    percentage of the best error, the unit the baseline margin uses. A raw RMSE gap (0.03 star) would weigh
    nothing against any rule's penalty, and the worse model could come first."""
    if higher or not math.isfinite(best) or best == 0:
        return gap
    return gap / abs(best) * 100.0


def pick_baseline(table: pd.DataFrame, case: Any, baseline: str | None) -> str | None:
    """The candidate others are measured against: `baseline` when given, else the use case's declared
    baseline; when that has no run here, the first scikit-learn candidate (in declaration order) that has."""
    models = list(table["model"].astype(str))
    if baseline is not None:
        return baseline if baseline in models else None
    simple = [case.baseline] + [c.id for c in case.candidates if c.starting_point == "baseline"]
    return next((model for model in simple if model and model in models), None)


def recommend(
    table: pd.DataFrame,
    requirements: Requirements,
    *,
    use_case: str | UseCase,
    rules: GuidanceRules | None = None,
    significance: Mapping[str, Any] | None = None,
    baseline: str | None = None,
) -> Recommendation:
    """Rank the candidates of a comparison table for these requirements, with measured reasons and unmet flags.

    significance: {model: core.selection.significance.BaselineComparison} (accuracy, McNemar) or
    MetricComparison (ROC-AUC, RMSE: paired bootstrap) against the baseline, when the runs recorded
    per-example outputs; without it only the margin decides whether the baseline is as good.
    """
    case = _use_case(use_case)
    if table is None or len(table) == 0:
        raise SelectionError("errors.selection.no_runs")
    rules = rules or load_rules()
    settings = rules.settings
    metric = quality_columns(case)[0]
    num_classes = None
    if "num_classes" in table.columns:
        num_classes = int(_float(table["num_classes"].iloc[0])) if _finite(_float(table["num_classes"].iloc[0])) else None
    validate_requirements(requirements, num_classes=num_classes, table=table, rules=rules)
    table = table.drop_duplicates(subset="model", keep="first").reset_index(drop=True)
    significance = significance or {}
    sign = 1.0 if higher_is_better(metric) else -1.0
    scale = 100.0 if sign > 0 else 1.0  # ratio metrics in percentage points; error metrics as they are

    quality = {str(row["model"]): _float(row.get(metric)) * scale for _, row in table.iterrows()}
    measured = {model: value for model, value in quality.items() if math.isfinite(value)}
    if not measured:
        raise SelectionError("errors.selection.no_metric", metric=metric)
    best_model = max(measured, key=lambda model: sign * measured[model])
    best = measured[best_model]
    base = pick_baseline(table, case, baseline)
    base_quality = quality.get(base, math.nan) if base else math.nan

    baseline_as_good = False
    if base is not None and math.isfinite(base_quality):
        # Ratio metrics: a margin in percentage points. Error metrics (RMSE): the same number as a
        # percentage of the baseline's error, so "1 point" means 1 % lower RMSE, not 1.0 star.
        margin = settings["baseline_margin_points"] if sign > 0 else settings["baseline_margin_points"] / 100 * abs(base_quality)
        within = sign * (best - base_quality) <= margin
        contenders = {model: value for model, value in measured.items() if model != base}
        not_better = False
        if contenders:
            top = max(contenders, key=lambda model: sign * contenders[model])
            result = significance.get(top)
            not_better = result is not None and result.verdict != "better"
        baseline_as_good = within or not_better or not contenders

    context = {**asdict(requirements), "use_case": case.id, "data_kind": settings["data_kinds"].get(case.id, ""),
               "num_classes": num_classes, "baseline_as_good": baseline_as_good, "has_baseline": base is not None,
               "day_seconds": float(settings["day_seconds"])}
    explainable = set(settings.get("explainable_kinds") or [])

    advice = []
    for _, row in table.iterrows():
        model = str(row["model"])
        result = significance.get(model)
        seconds = retrain_seconds(_float(row.get("train_seconds")), _float(row.get("train_size")),
                                  requirements.labelled_examples)
        values = {
            **context,
            "model": model, "kind": str(row.get("kind") or ""), "is_baseline": model == base,
            "quality_pct": quality[model], "best_pct": best, "best_model": best_model,
            "baseline": base or "", "baseline_pct": base_quality,
            "gap_to_best_points": sign * (quality[model] - best),
            "gap_to_baseline_points": sign * (quality[model] - base_quality),
            "verdict": result.verdict if result is not None else ("baseline" if model == base else "unknown"),
            "p_value": float(result.p_value) if result is not None else math.nan,
            "train_seconds": _float(row.get("train_seconds")), "retrain_seconds": seconds,
            "retrain_hours": seconds / 3600 if math.isfinite(seconds) else math.nan,
            "parameters": _float(row.get("parameters")), "size_mb": _float(row.get("size_mb")),
            "latency_p50_ms": _float(row.get("latency_p50_ms")), "latency_p95_ms": _float(row.get("latency_p95_ms")),
            "batch_throughput": _float(row.get("batch_throughput")), "peak_rss_mb": _float(row.get("peak_rss_mb")),
            "device": str(row.get("device") or ""), "has_explainer": str(row.get("kind") or "") in explainable,
            "sends_to": _text(row.get("sends_to")), "leaves_premises": leaves_premises(_text(row.get("sends_to"))),
            "metric": metric, "margin_points": float(settings["baseline_margin_points"]),
        }
        sampled = 0 < getattr(result, "rows", 0) < _float(row.get("test_size"))  # an accuracy comparison on a sample
        if sampled:  # a sample (an LLM's): its gap to the baseline on the rows both scored, in every reason
            values.update(gap_to_baseline_points=result.difference * scale, rows=f"{result.rows:,}")
        quality_key = "selection.reasons.quality_best" if model == best_model else "selection.reasons.quality"
        if sampled:
            quality_key += "_sample"
        reasons: list[tuple[str, dict[str, Any]]] = [(quality_key, dict(values))]
        if model != base and base is not None and math.isfinite(base_quality):
            if not significance_applies(metric) and result is not None:  # paired bootstrap on the metric itself
                reasons.append(("selection.reasons.vs_baseline_bootstrap", {
                    **values, "ci_low_text": f"{result.ci_low:+.3f}", "ci_high_text": f"{result.ci_high:+.3f}",
                    "confidence_pct": result.confidence * 100}))
            elif not significance_applies(metric):
                reasons.append(("selection.reasons.vs_baseline_no_test", dict(values)))
            elif result is not None:
                tested = {**values, "ci_low_points": result.ci_low * 100, "ci_high_points": result.ci_high * 100,
                          "confidence_pct": result.confidence * 100}
                key = "selection.reasons.vs_baseline_tested"
                if sampled:  # both on its rows
                    key = "selection.reasons.vs_baseline_tested_sample"
                    tested.update(quality_pct=result.accuracy * scale, baseline_pct=result.baseline_accuracy * scale,
                                  gap_to_baseline_points=result.difference * scale, rows=f"{result.rows:,}")
                reasons.append((key, tested))
            else:
                reasons.append(("selection.reasons.vs_baseline_untested", dict(values)))
        score = (settings["quality_weight"] * _score_points(values["gap_to_best_points"], best, sign > 0)
                 if math.isfinite(quality[model]) else -100.0)
        flags: list[str] = []
        for rule in rules.rules:
            if all_hold(rule["when"], values) and all_hold(rule["candidate"], values):
                score += rule["score"]
                reasons.append((rule["reason"], dict(values)))
                if rule["flag"] and rule["flag"] not in flags:
                    flags.append(rule["flag"])
        advice.append(CandidateAdvice(model=model, kind=values["kind"], score=round(score, 3),
                                      meets_all=not flags, is_baseline=model == base, reasons=reasons, flags=flags))

    advice.sort(key=lambda item: (not item.meets_all, -item.score, -sign * quality[item.model]))
    unmet = []
    for item in advice:
        for flag in item.flags:
            if flag not in unmet and all(flag in other.flags for other in advice):
                unmet.append(flag)
    notes = [(note["reason"], dict(context)) for note in rules.notes if all_hold(note["when"], context)]
    return Recommendation(use_case=case.id, metric=metric, requirements=requirements, ranked=advice, unmet=unmet,
                          baseline=base, baseline_wins=base is not None and advice[0].model == base, notes=notes,
                          leaders=secondary_leaders(table, case.task, advice[0].model))


def secondary_leaders(table: pd.DataFrame, task: str, recommended: str) -> list[dict[str, Any]]:
    """For each of the task's SECONDARY_METRICS: the candidate best on it when that is not `recommended` and it
    measures strictly better (one row per model in `table`)."""
    leaders = []
    for name in SECONDARY_METRICS.get(task, ()):
        if name not in table.columns:
            continue
        values = {str(row["model"]): _float(row[name]) for _, row in table.iterrows()}
        values = {model: value for model, value in values.items() if math.isfinite(value)}
        if not values:
            continue
        sign = 1.0 if higher_is_better(name) else -1.0
        leader = max(values, key=lambda model: sign * values[model])
        mine = values.get(recommended, math.nan)
        if leader != recommended and not (math.isfinite(mine) and sign * (values[leader] - mine) <= 0):
            leaders.append({"metric": name, "model": leader, "value": values[leader], "recommended": recommended,
                            "recommended_value": mine})
    return leaders


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def leaves_premises(host: str) -> bool:
    """Whether items sent to this endpoint host ("api.openai.com", "10.0.0.5:8000") leave the premises: False for
    no endpoint, this machine, a private or link-local address, or a single-label intranet name ("vllm"); True
    for any other name or address (the reason names the host: "unless that server is yours")."""
    import ipaddress

    name = host.strip().lower()
    if not name:
        return False
    if name.startswith("["):  # [::1]:8080
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name == "localhost" or name.endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return "." in name
    return not (address.is_loopback or address.is_private or address.is_link_local)
