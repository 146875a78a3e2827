"""The guidance rules language (assets/guidance.yaml): parse and validate the file, test a rule's conditions."""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from core.config import ASSETS_DIR
from core.i18n import catalog
from core.selection.compare import SelectionError

GUIDANCE_FILE = ASSETS_DIR / "guidance.yaml"
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
    "latency_p95_ms", "batch_throughput", "peak_rss_mb", "device", "has_explainer", "sends_to", "leaves_premises",
})
SETTING_DEFAULTS = {"baseline_margin_points": 1.0, "alpha": 0.05, "quality_weight": 1.0, "day_seconds": 86400,
                    "explainable_kinds": ["sklearn"], "data_kinds": {}}


@dataclass(frozen=True)
class GuidanceRules:
    """Validated contents of guidance.yaml."""

    settings: dict[str, Any]
    rules: list[dict[str, Any]]
    notes: list[dict[str, Any]]


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


def holds(condition: list[Any], values: Mapping[str, Any]) -> bool:
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


def all_hold(conditions: list[list[Any]], values: Mapping[str, Any]) -> bool:
    return all(holds(condition, values) for condition in conditions)
