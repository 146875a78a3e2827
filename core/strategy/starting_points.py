"""Pretrained vs from scratch vs baseline vs a large language model, per use case, from the measured runs.

For each starting point (core.selection.compare.starting_point: a candidate with pretrained weights,
a network trained from scratch, the scikit-learn baseline, an LLM prompted with k examples) the best completed
run on the use case's primary metric, with what it costs: parameters, model size, p50 latency, training time,
the labelled examples it trained on (an LLM: the k examples in its prompt; each k is its own row: zero-shot and
8-shot are different starting points), its running cost per 1,000 decisions, and, when a learning curve of that
model exists, how many it needed (core.selection.learning_curve). Reads runs only: no TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from core.contract.registry import model_title
from core.evaluation.catalogue import finite_value, format_metric, higher_is_better
from core.i18n import translate
from core.selection.compare import LLM, SHOTS_PARAM
from core.selection.learning_curve import latest_curve, needed_by_model

STARTS = ("pretrained", "scratch", "baseline", LLM)
START_KEYS = {"pretrained": "pretrained.marker", "scratch": "pretrained.from_scratch", "baseline": "pretrained.baseline",
              LLM: "pretrained.llm.any"}
COST_METRIC = "llm_cost_per_1000"  # money per 1,000 decisions at the run's prices (an LLM run's metric)


def shots(value: Any) -> int | None:
    """An LLM run's k (hp_k) as an int; None when it is not recorded."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) else None


def start_label(start: str, k: Any = None, lang: str = "en") -> str:
    """A starting point as people read it: "pretrained", "from scratch", "baseline", "LLM, zero-shot",
    "LLM, 8-shot" ("LLM" when the run did not record its k); an unknown start reads "from scratch"."""
    if start == LLM:
        count = shots(k)
        if count is None:
            return translate(START_KEYS[LLM], lang)
        return (translate("pretrained.llm.zero_shot", lang) if count == 0
                else translate("pretrained.llm.k_shot", lang, k=count))
    return translate(START_KEYS.get(start, "pretrained.from_scratch"), lang)


def start_of(use_case_id: str, model: str, recorded: Any = "") -> str:
    """"pretrained", "scratch", "baseline" or "llm" for a run: what it recorded (its starting_point param) when it
    did, else its model's Candidate.starting_point; "" for a model the registry does not know (an imported one).
    Reads the registry only: never imports core.training."""
    if isinstance(recorded, str) and recorded:
        return recorded
    from core.contract.registry import USE_CASES

    case = USE_CASES.get(str(use_case_id))
    candidate = next((c for c in case.candidates if c.id == model), None) if case is not None else None
    return candidate.starting_point if candidate is not None else ""


@dataclass(frozen=True)
class StartingPoint:
    """The best measured run of one starting point of one use case."""

    use_case: str
    start: str  # pretrained | scratch | baseline | llm
    model: str
    run_id: str
    metric: str
    value: float
    parameters: float | None
    size_mb: float | None
    latency_p50_ms: float | None
    train_seconds: float | None
    train_size: int | None  # labelled examples it trained on
    examples_needed: int | None  # from the newest learning curve of this model, when there is one
    still_improving: bool = False  # only the curve's largest size came within the tolerance of its best
    shots: int | None = None  # an LLM's examples in the prompt (hp_k): 0 zero-shot; None for other starts
    cost_per_1000: float | None = None  # an LLM's running cost per 1,000 decisions (llm_cost_per_1000)

    @property
    def key(self) -> str:
        """The group this row stands for: the start, and for an LLM its k ("llm:0", "llm:8")."""
        return f"{self.start}:{self.shots}" if self.start == LLM else self.start


def compare_starting_points(runs: Any, primary_metrics: Mapping[str, str], curve_points: Any = None
                            ) -> dict[str, list[StartingPoint]]:
    """{use case id: [StartingPoint, ...] in the order pretrained, scratch, baseline, then LLM runs by k (fewest
    examples first)} from Tracker.list_runs(). A run's recorded starting_point param wins over its candidate's.

    curve_points: a core.selection.learning_curve.curve_points frame of any use cases (newest curve first).
    """
    result: dict[str, list[StartingPoint]] = {}
    if runs is None or len(runs) == 0 or "use_case" not in runs.columns:
        return result
    for use_case_id, metric in primary_metrics.items():
        if metric not in runs.columns:
            continue
        better = higher_is_better(metric)
        rows = [row for row in runs[runs["use_case"] == use_case_id].to_dict("records")
                if row.get("status") == "completed" and finite_value(row.get(metric)) is not None]
        needed: dict[str, int] = {}
        largest: dict[str, tuple[float, int]] = {}
        if curve_points is not None and len(curve_points) and "use_case" in curve_points:
            mine = latest_curve(curve_points[curve_points["use_case"] == use_case_id].reset_index(drop=True))
            needed = needed_by_model(mine, metric, higher_is_better=better)
            largest = {str(model): (rows["train_size"].max(), len(rows)) for model, rows in mine.groupby("model")}
        groups: dict[tuple[str, int | None], list[dict[str, Any]]] = {}
        for row in rows:
            start = start_of(use_case_id, str(row.get("model", "")), row.get("starting_point"))
            groups.setdefault((start, shots(row.get(SHOTS_PARAM)) if start == LLM else None), []).append(row)
        order = sorted((key for key in groups if key[0] in STARTS),
                       key=lambda key: (STARTS.index(key[0]), -1 if key[1] is None else key[1]))
        found = []
        for start, k in order:
            candidates = groups[(start, k)]
            best = max(candidates, key=lambda row: (1 if better else -1) * finite_value(row[metric]))
            size = finite_value(best.get("model_size_bytes"))
            train_size = finite_value(best.get("train_size"))
            found.append(StartingPoint(
                use_case=use_case_id, start=start, model=str(best["model"]), run_id=str(best["run_id"]),
                metric=metric, value=float(finite_value(best[metric])), parameters=finite_value(best.get("parameters")),
                size_mb=size / 1e6 if size is not None else None,
                latency_p50_ms=finite_value(best.get("latency_p50_ms")), train_seconds=finite_value(best.get("train_seconds")),
                train_size=int(train_size) if train_size is not None else None,
                examples_needed=needed.get(str(best["model"])),
                still_improving=_still_improving(needed.get(str(best["model"])), largest.get(str(best["model"]))),
                shots=k, cost_per_1000=finite_value(best.get(COST_METRIC))))  # an LLM, or its embeddings
        if found:
            result[use_case_id] = found
    return result


def _still_improving(needed: int | None, largest: tuple[float, int] | None) -> bool:
    return needed is not None and largest is not None and largest[1] > 1 and needed >= largest[0]


def starting_point_rows(comparison: Mapping[str, list[StartingPoint]], lang: str = "en",
                        titles: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The comparison as a table a person reads, in `lang`: one row per use case and starting point (an LLM: one
    per k). When a row is priced (an LLM asked, or its embeddings), a column of running cost per 1,000 decisions
    follows the quality."""
    def fmt(value: float | None, pattern: str) -> str:
        return pattern.format(value) if value is not None else "-"

    priced = any(point.cost_per_1000 is not None for points in comparison.values() for point in points)
    rows = []
    for use_case_id, points in comparison.items():
        for point in points:
            row = {
                translate("strategy.table.use_case", lang): (titles or {}).get(use_case_id, use_case_id),
                translate("pretrained.column", lang): start_label(point.start, point.shots, lang),
                translate("learning_curve.columns.model", lang): model_title(use_case_id, point.model, lang),
                translate("starting_points.quality", lang): (
                    f"{translate(f'selection.metrics.{point.metric}', lang)} {format_metric(point.metric, point.value)}"),
                translate("starting_points.trained_on", lang): (
                    _prompt_examples(point.shots, lang) if point.start == LLM else fmt(point.train_size, "{:,}")),
                translate("learning_curve.columns.needed", lang): (
                    translate("learning_curve.still_improving", lang, size=f"{point.examples_needed:,}")
                    if point.still_improving else fmt(point.examples_needed, "{:,}")),
                translate("selection.columns.parameters", lang): fmt(point.parameters, "{:,.0f}"),
                translate("selection.columns.size_mb", lang): fmt(point.size_mb, "{:.2f}"),
                translate("selection.columns.latency_p50_ms", lang): fmt(point.latency_p50_ms, "{:.2f}"),
                translate("selection.columns.train_seconds", lang): fmt(point.train_seconds, "{:.1f}"),
                translate("strategy.table.runs", lang): point.run_id[:8],
            }
            if priced:  # after the quality: what each decision costs to run (0 for a model of one's own)
                cost = translate("starting_points.cost_per_1000", lang)
                row = {**{name: value for name, value in list(row.items())[:4]},
                       cost: fmt(point.cost_per_1000, "{:,.2f}"),
                       **{name: value for name, value in list(row.items())[4:]}}
            rows.append(row)
    return rows


def _prompt_examples(k: int | None, lang: str) -> str:
    """What an LLM 'trained on': the labelled examples in its prompt ("8 examples in the prompt", "none: zero-shot")."""
    if k is None:
        return "-"
    return translate("starting_points.no_examples", lang) if k == 0 else translate(
        "starting_points.k_examples", lang, k=f"{k:,}")
