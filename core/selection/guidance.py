"""Turn stated requirements and measured runs into a ranked, reasoned recommendation (rules in assets/guidance.yaml)."""

from __future__ import annotations

import math
import operator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import yaml

from core.config import ASSETS_DIR
from core.i18n import translate
from core.usecases.registry import model_title
from core.evaluation.catalogue import higher_is_better
from core.selection.compare import SelectionError, _use_case, quality_columns, significance_applies

GUIDANCE_FILE = ASSETS_DIR / "guidance.yaml"
COMPUTE_CHOICES = ("cpu", "one_gpu", "cluster")
RETRAIN_CHOICES = ("rarely", "monthly", "weekly", "daily")
OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
       ">=": operator.ge}
UNARY_OPS = ("is_set", "is_missing")
CONTEXT_FIELDS = frozenset({
    "labelled_examples", "latency_target_ms", "explanations_required", "compute", "on_premises_only",
    "retrain", "use_case", "data_kind", "num_classes", "baseline_as_good", "has_baseline", "day_seconds",
})
CANDIDATE_FIELDS = frozenset({
    "model", "kind", "is_baseline", "quality_pct", "gap_to_best_points", "gap_to_baseline_points", "verdict",
    "p_value", "train_seconds", "retrain_seconds", "retrain_hours", "parameters", "size_mb", "latency_p50_ms",
    "latency_p95_ms", "batch_throughput", "peak_rss_mb", "device", "has_explainer",
})
SETTING_DEFAULTS = {"baseline_margin_points": 1.0, "alpha": 0.05, "quality_weight": 1.0, "day_seconds": 86400,
                    "explainable_kinds": ["sklearn"], "data_kinds": {}}


@dataclass(frozen=True)
class Requirements:
    """What the business needs: data, latency, explanations, compute, privacy, retraining cadence."""

    labelled_examples: int
    latency_target_ms: float | None = None
    explanations_required: bool = False
    compute: str = "cpu"  # cpu | one_gpu | cluster
    on_premises_only: bool = False
    retrain: str = "rarely"  # rarely | monthly | weekly | daily


@dataclass(frozen=True)
class GuidanceRules:
    """Validated contents of guidance.yaml."""

    settings: dict[str, Any]
    rules: list[dict[str, Any]]
    notes: list[dict[str, Any]]


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

    @property
    def best(self) -> CandidateAdvice:
        return self.ranked[0]


# ---------------------------------------------------------------- rules file

def _bad(detail: str) -> SelectionError:
    return SelectionError("errors.selection.bad_rules", detail=detail)


def _check_conditions(where: str, conditions: Any, fields: frozenset) -> list[list[Any]]:
    if conditions is None:
        return []
    if not isinstance(conditions, list):
        raise _bad(f"{where}: conditions must be a list of [field, op, value]")
    checked = []
    for condition in conditions:
        if not isinstance(condition, list) or len(condition) not in (2, 3):
            raise _bad(f"{where}: {condition!r} is not [field, op, value]")
        name, op = condition[0], condition[1]
        if name not in fields:
            raise _bad(f"{where}: unknown field {name!r}")
        if op in UNARY_OPS:
            if len(condition) != 2:
                raise _bad(f"{where}: {op} takes no value")
        elif op in OPS or op == "in":
            if len(condition) != 3:
                raise _bad(f"{where}: {op} needs a value")
            if op == "in" and not isinstance(condition[2], list):
                raise _bad(f"{where}: 'in' needs a list value")
            ref = condition[2]
            if isinstance(ref, str) and ref.startswith("@") and ref[1:] not in CONTEXT_FIELDS | CANDIDATE_FIELDS:
                raise _bad(f"{where}: unknown reference {ref!r}")
        else:
            raise _bad(f"{where}: unknown op {op!r}; use one of {', '.join([*OPS, 'in', *UNARY_OPS])}")
        checked.append(list(condition))
    return checked


def parse_rules(data: Any) -> GuidanceRules:
    """Validate a parsed guidance document; SelectionError names the first problem."""
    from core.i18n import catalog

    if not isinstance(data, dict) or data.get("version") != 1:
        raise _bad("top level must be a mapping with version: 1")
    settings = {**SETTING_DEFAULTS, **(data.get("settings") or {})}
    for name in ("baseline_margin_points", "alpha", "quality_weight", "day_seconds"):
        if isinstance(settings[name], bool) or not isinstance(settings[name], (int, float)):
            raise _bad(f"settings.{name} must be a number")
    if not 0 < settings["alpha"] < 1:
        raise _bad("settings.alpha must be between 0 and 1")
    english = catalog("en")
    rules, seen = [], set()
    for section, with_score in (("rules", True), ("notes", False)):
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise _bad(f"{section} must be a list")
        parsed = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not entry.get("id"):
                raise _bad(f"{section}[{index}] needs an id")
            where = f"{section} {entry['id']!r}"
            if entry["id"] in seen:
                raise _bad(f"{where}: id used twice")
            seen.add(entry["id"])
            reason = entry.get("reason")
            if not isinstance(reason, str) or reason not in english:
                raise _bad(f"{where}: reason {reason!r} is not a key of assets/i18n/en/selection.yaml")
            rule = {"id": entry["id"], "reason": reason,
                    "when": _check_conditions(where, entry.get("when"), CONTEXT_FIELDS)}
            if with_score:
                rule["candidate"] = _check_conditions(where, entry.get("candidate"), CONTEXT_FIELDS | CANDIDATE_FIELDS)
                score = entry.get("score", 0)
                if isinstance(score, bool) or not isinstance(score, (int, float)):
                    raise _bad(f"{where}: score must be a number")
                rule["score"] = float(score)
                flag = entry.get("flag")
                if flag is not None and not isinstance(flag, str):
                    raise _bad(f"{where}: flag must be a requirement name")
                rule["flag"] = flag
            parsed.append(rule)
        if with_score:
            rules = parsed
        else:
            notes = parsed
    return GuidanceRules(settings=settings, rules=rules, notes=notes)


def load_rules(path: str | Path = GUIDANCE_FILE) -> GuidanceRules:
    """Read and validate guidance rules; unreadable or malformed YAML raises SelectionError naming the problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as error:
        raise SelectionError("errors.selection.bad_rules", detail=f"{Path(path).name}: {error}") from None
    return parse_rules(data)


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

def _holds(condition: list[Any], values: Mapping[str, Any]) -> bool:
    name, op = condition[0], condition[1]
    value = values.get(name)
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if op == "is_set":
        return not missing
    if op == "is_missing":
        return missing
    if missing:
        return False
    target = condition[2]
    if isinstance(target, str) and target.startswith("@"):
        target = values.get(target[1:])
        if target is None or (isinstance(target, float) and math.isnan(target)):
            return False
    if op == "in":
        return value in target
    try:
        return bool(OPS[op](value, target))
    except TypeError:
        return False


def _all_hold(conditions: list[list[Any]], values: Mapping[str, Any]) -> bool:
    return all(_holds(condition, values) for condition in conditions)


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


def _pick_baseline(table: pd.DataFrame, case: Any, baseline: str | None) -> str | None:
    """The candidate others are measured against: `baseline` when given, else the use case's declared
    baseline; when that has no run here, the first scikit-learn candidate (in declaration order) that has."""
    models = list(table["model"].astype(str))
    if baseline is not None:
        return baseline if baseline in models else None
    simple = [case.baseline] + [candidate.id for candidate in case.candidates if candidate.kind == "sklearn"]
    return next((model for model in simple if model and model in models), None)


def recommend(
    table: pd.DataFrame,
    requirements: Requirements,
    *,
    use_case: Any,
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
    base = _pick_baseline(table, case, baseline)
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
            "metric": metric, "margin_points": float(settings["baseline_margin_points"]),
        }
        quality_key = "selection.reasons.quality_best" if model == best_model else "selection.reasons.quality"
        reasons: list[tuple[str, dict[str, Any]]] = [(quality_key, dict(values))]
        if model != base and base is not None and math.isfinite(base_quality):
            if not significance_applies(metric) and result is not None:  # paired bootstrap on the metric itself
                reasons.append(("selection.reasons.vs_baseline_bootstrap", {
                    **values, "ci_low_text": f"{result.ci_low:+.3f}", "ci_high_text": f"{result.ci_high:+.3f}",
                    "confidence_pct": result.confidence * 100}))
            elif not significance_applies(metric):
                reasons.append(("selection.reasons.vs_baseline_no_test", dict(values)))
            elif result is not None:
                reasons.append(("selection.reasons.vs_baseline_tested", {
                    **values, "ci_low_points": result.ci_low * 100, "ci_high_points": result.ci_high * 100,
                    "confidence_pct": result.confidence * 100}))
            else:
                reasons.append(("selection.reasons.vs_baseline_untested", dict(values)))
        score = (settings["quality_weight"] * _score_points(values["gap_to_best_points"], best, sign > 0)
                 if math.isfinite(quality[model]) else -100.0)
        flags: list[str] = []
        for rule in rules.rules:
            if _all_hold(rule["when"], values) and _all_hold(rule["candidate"], values):
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
    notes = [(note["reason"], dict(context)) for note in rules.notes if _all_hold(note["when"], context)]
    return Recommendation(use_case=case.id, metric=metric, requirements=requirements, ranked=advice, unmet=unmet,
                          baseline=base, baseline_wins=base is not None and advice[0].model == base, notes=notes)


# ---------------------------------------------------------------- rendering

def format_quality(metric: str, value: float) -> str:
    """A quality value as guidance holds it (ratio metrics x100) the way people read it: 97.2%, AUC 0.835, RMSE 0.891."""
    value = _float(value)
    if not math.isfinite(value):
        return "–"
    if not higher_is_better(metric):
        return f"{value:.3f}"
    if "auc" in metric:
        return f"{value / 100:.3f}"
    return f"{value:.1f}%"


def format_gap(metric: str, value: float, lang: str = "en") -> str:
    """A difference in the metric's own unit: percentage points for ratios, plain numbers for AUC and errors.

    value is signed "positive = better" as guidance computes it; for error metrics the raw change is shown
    (RMSE 0.852 vs 0.891 reads "-0.039").
    """
    value = _float(value)
    if not math.isfinite(value):
        return "–"
    if not higher_is_better(metric):
        return f"{-value:+.3f}"  # guidance signs gaps "better is positive"; an error is shown as it moved
    if "auc" in metric:
        return f"{value / 100:+.3f}"
    return translate("selection.points", lang, value=f"{value:+.1f}")


def render_reason(key: str, params: Mapping[str, Any], lang: str = "en") -> str:
    """One reason or note in the reader's language (the metric name translated too)."""
    values = dict(params)
    if values.get("use_case"):  # candidates by name ("Bias baseline"), not by id ("bias")
        for name in ("model", "best_model", "baseline"):
            if isinstance(values.get(name), str) and values[name]:
                values[name] = model_title(values["use_case"], values[name], lang)
    if "metric" in values:
        metric = values["metric"]
        for name in ("quality", "best", "baseline"):
            values[f"{name}_text"] = format_quality(metric, values.get(f"{name}_pct", math.nan))
        for name in ("gap_to_best", "gap_to_baseline", "ci_low", "ci_high"):
            if f"{name}_text" not in values:  # a reason may bring its own (bootstrap CIs in the metric's unit)
                values[f"{name}_text"] = format_gap(metric, values.get(f"{name}_points", math.nan), lang)
        values["metric"] = translate(f"selection.metrics.{metric}", lang)
    p_value = _float(values.get("p_value", math.nan))
    values.setdefault("test_text", f"McNemar p={p_value:.3f}" if math.isfinite(p_value)
                      else translate("selection.bootstrap_test", lang))
    for name in ("retrain", "compute"):
        if isinstance(values.get(name), str):
            values[name] = translate(f"selection.{name}.{values[name]}", lang)
    return translate(key, lang, **values)


def _requirement_lines(requirements: Requirements, lang: str) -> list[str]:
    r = requirements
    yes, no = translate("selection.md.yes", lang), translate("selection.md.no", lang)
    latency = (translate("selection.md.latency_value", lang, value=r.latency_target_ms)
               if r.latency_target_ms is not None else translate("selection.md.none", lang))
    return [
        f"- {translate('selection.requirements.labelled_examples', lang)}: {r.labelled_examples:,}",
        f"- {translate('selection.requirements.latency_target_ms', lang)}: {latency}",
        f"- {translate('selection.requirements.explanations_required', lang)}: {yes if r.explanations_required else no}",
        f"- {translate('selection.requirements.compute', lang)}: {translate(f'selection.compute.{r.compute}', lang)}",
        f"- {translate('selection.requirements.on_premises_only', lang)}: {yes if r.on_premises_only else no}",
        f"- {translate('selection.requirements.retrain', lang)}: {translate(f'selection.retrain.{r.retrain}', lang)}",
    ]


def to_markdown(recommendation: Recommendation, lang: str = "en") -> str:
    """The recommendation as a Markdown report (English or Chinese) for download."""
    rec = recommendation
    title = rec.use_case
    try:
        from core.usecases.registry import get_use_case

        title = translate(get_use_case(rec.use_case).title_key, lang)
    except KeyError:
        pass
    lines = [f"# {translate('selection.md.title', lang, use_case=title)}", ""]
    top = rec.ranked[0]
    summary_key = "selection.md.baseline_wins" if rec.baseline_wins else "selection.md.winner"
    lines += [translate(summary_key, lang, model=model_title(rec.use_case, top.model, lang),
                        baseline=model_title(rec.use_case, rec.baseline, lang) if rec.baseline else "-"), ""]
    lines += [f"## {translate('selection.md.requirements', lang)}", "", *_requirement_lines(rec.requirements, lang), ""]
    if rec.unmet:
        lines += [f"## {translate('selection.md.unmet', lang)}", ""]
        lines += [f"- **{translate(f'selection.unmet.{flag}', lang)}**" for flag in rec.unmet]
        lines.append("")
    lines += [f"## {translate('selection.md.ranking', lang)}", ""]
    for rank, item in enumerate(rec.ranked, start=1):
        status = (translate("selection.md.meets_all", lang) if item.meets_all else
                  translate("selection.md.misses", lang,
                            requirements=", ".join(translate(f"selection.unmet.{flag}", lang) for flag in item.flags)))
        tag = f" ({translate('selection.md.baseline', lang)})" if item.is_baseline else ""
        lines.append(f"{rank}. **{model_title(rec.use_case, item.model, lang)}**{tag}: {translate('selection.md.score', lang, score=item.score)}; {status}")
        lines += [f"   - {render_reason(key, params, lang)}" for key, params in item.reasons]
    if rec.notes:
        lines += ["", f"## {translate('selection.md.notes', lang)}", ""]
        lines += [f"- {render_reason(key, params, lang)}" for key, params in rec.notes]
    return "\n".join(lines) + "\n"
