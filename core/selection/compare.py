"""Side-by-side comparison table of a use case's tracked runs, refused when runs used different test splits."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import pandas as pd

from core.contract.registry import get_use_case, variant_id
from core.evaluation.catalogue import task_metrics
from core.i18n import StudioError
from core.tracking.records import endpoint_host

if TYPE_CHECKING:
    from core.contract.usecase import UseCase
    from core.tracking.store import Tracker

LLM = "llm"  # the starting point of a large language model prompted with k examples (core.strategy.starting_points)
SHOTS_PARAM = "hp_k"  # an LLM run's examples in the prompt; the table's "shots" column
#: Columns added when any compared run is an LLM: money per 1,000 decisions at its prices, invalid answers' share.
LLM_COLUMNS = ("llm_cost_per_1000", "test_invalid_rate", "test_items")  # test_items: rows scored (a sample?)
TAIL_COLUMNS = ("device", "run_id", "dataset", "seed", "train_size", "test_size", "num_classes", "dataset_fingerprint")
NUMERIC_TAIL = ("seed", "train_size", "test_size", "num_classes")


class SelectionError(StudioError):
    """Candidates cannot be compared or advised on as asked (no runs, different splits, contradictions)."""


def _use_case(use_case: str | UseCase) -> UseCase:
    if isinstance(use_case, str):
        return get_use_case(use_case)
    return use_case


def quality_columns(use_case: str | UseCase) -> list[str]:
    """The use case's quality metrics: its primary metric first, then the task's other metrics."""
    case = _use_case(use_case)
    columns = [case.primary_metric]
    columns += [name for name in task_metrics(case.task) if name != case.primary_metric]
    return columns


def significance_applies(metric: str) -> bool:
    """McNemar and the bootstrap compare per-example correctness, so they speak for accuracy only."""
    return metric == "test_accuracy"


def fingerprints_from_tracker(tracker: Tracker, run_ids: Iterable[str]) -> dict[str, str]:
    """{run_id: dataset fingerprint} read from the runs' records (list_runs does not carry it), all at once where
    the tracker can (Tracker.records: one look at the store, not one get_run per run)."""
    run_ids = list(run_ids)
    batch = getattr(tracker, "records", None)
    records = batch(run_ids) if batch is not None else {run_id: tracker.record(run_id) for run_id in run_ids}
    return {run_id: record.fingerprint for run_id, record in records.items() if record.fingerprint}


def _fallback_fingerprint(row: Mapping[str, Any]) -> str:
    """Without the tag, dataset id + seed + test size stand in for the split."""
    return f"{row.get('dataset', '')}|seed={_plain(row.get('seed'))}|test={_plain(row.get('test_size'))}"


def _plain(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "?"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_same_split(fingerprints: Mapping[str, str], *, details: Mapping[str, str] | None = None) -> str:
    """The one fingerprint all labelled runs share; SelectionError naming the groups when they differ.

    fingerprints: {label (e.g. model name): fingerprint}; details: {label: "dataset, seed"} for the message.
    """
    if not fingerprints:
        raise SelectionError("errors.selection.no_runs")
    groups: dict[str, list[str]] = {}
    for label, fingerprint in fingerprints.items():
        groups.setdefault(str(fingerprint), []).append(str(label))
    if len(groups) == 1:
        return next(iter(groups))
    details = details or {}
    parts = []
    for fingerprint, labels in groups.items():
        where = details.get(labels[0], "")
        parts.append(f"{', '.join(labels)}: {where + ' ' if where else ''}[{fingerprint[:12]}]")
    raise SelectionError("errors.selection.different_splits", groups="; ".join(parts))


def comparison_table(
    runs: pd.DataFrame,
    *,
    use_case: str | UseCase,
    latest_only: bool = True,
    fingerprints: Mapping[str, str] | None = None,
    dataset_fingerprint: str | None = None,
) -> pd.DataFrame:
    """Completed runs of a use case side by side (latest per model unless latest_only=False), one split only.

    Missing measurements (an LLM logs no parameters or model size) stay NaN, never 0. When any run is an LLM the
    table gains "shots" (its hp_k) and LLM_COLUMNS (NaN for the other runs).

    runs: Tracker.list_runs(use_case) output. fingerprints: {run_id: fingerprint} (fingerprints_from_tracker);
    without them a "dataset_fingerprint" column, else dataset + seed + test size, identifies the split.
    dataset_fingerprint: keep only runs on that split (to compare one split when several were used).
    """
    case = _use_case(use_case)
    if runs is None or len(runs) == 0:
        raise SelectionError("errors.selection.no_runs")
    frame = runs.copy()
    if "use_case" in frame.columns:
        frame = frame[(frame["use_case"] == case.id) | (frame["use_case"].fillna("") == "")]
    if "status" in frame.columns:
        frame = frame[frame["status"] == "completed"]
    if len(frame) == 0:
        raise SelectionError("errors.selection.no_runs")
    if "started" in frame.columns:
        frame = frame.sort_values("started", ascending=False, kind="stable")
    prints = []
    for _, row in frame.iterrows():
        value = (fingerprints or {}).get(row.get("run_id"))
        if not value and "dataset_fingerprint" in frame.columns and isinstance(row.get("dataset_fingerprint"), str):
            value = row["dataset_fingerprint"]
        prints.append(value or _fallback_fingerprint(row))
    frame = frame.assign(dataset_fingerprint=prints)
    if dataset_fingerprint is not None:
        frame = frame[frame["dataset_fingerprint"] == dataset_fingerprint]
        if len(frame) == 0:
            raise SelectionError("errors.selection.no_runs")
    kinds = {candidate.id: candidate.kind for candidate in case.candidates}
    if latest_only:
        frame = _latest_per_variant(frame, kinds)
    labels = {}
    details = {}
    for _, row in frame.iterrows():
        label = str(row["model"]) if latest_only else f"{row['model']} ({str(row.get('run_id', ''))[:8]})"
        labels[label] = row["dataset_fingerprint"]
        details[label] = f"{row.get('dataset', '')}, seed {_plain(row.get('seed'))}"
    check_same_split(labels, details=details)

    table = pd.DataFrame({"model": frame["model"].astype(str).to_numpy()})
    model_kind = frame["model_kind"] if "model_kind" in frame.columns else pd.Series([None] * len(frame))
    table["kind"] = [kind if isinstance(kind, str) and kind else kinds.get(model, "")
                     for kind, model in zip(model_kind.to_numpy(), table["model"])]
    recorded = frame["starting_point"] if "starting_point" in frame.columns else pd.Series([""] * len(frame))
    table["start"] = [starting_point(case, model, kind, start)
                      for model, kind, start in zip(table["model"], table["kind"], recorded.to_numpy())]

    def column(name: str) -> list[Any]:
        if name in frame.columns:
            return pd.to_numeric(frame[name], errors="coerce").to_numpy()
        return [math.nan] * len(frame)

    for metric in quality_columns(case):
        table[metric] = column(metric)
    table["train_seconds"] = column("train_seconds")
    table["parameters"] = column("parameters")
    table["size_mb"] = [value / 1e6 for value in column("model_size_bytes")]
    for name in ("latency_p50_ms", "latency_p95_ms", "batch_throughput", "peak_rss_mb"):
        table[name] = column(name)
    priced = "llm_cost_per_1000" in frame.columns and pd.to_numeric(frame["llm_cost_per_1000"],
                                                                      errors="coerce").notna().any()
    # an LLM runs up a bill per decision (asked, or embedding each text) and may answer outside the labels
    if (table["start"] == LLM).any() or priced:
        table["shots"] = column(SHOTS_PARAM)
        for name in LLM_COLUMNS:
            table[name] = column(name)
        table["sends_to"] = _endpoint_hosts(frame)
    for name in TAIL_COLUMNS:
        if name in NUMERIC_TAIL:
            table[name] = column(name)
        else:
            table[name] = frame[name].to_numpy() if name in frame.columns else [""] * len(frame)
    return table.reset_index(drop=True)


def _endpoint_hosts(frame: pd.DataFrame) -> list[str]:
    """Where each run's items were sent: an endpoint LLM's host[:port] (from its hp_base_url), else ""."""
    hosts = []
    for _, row in frame.iterrows():
        url = row.get("hp_base_url")
        endpoint = row.get("hp_transport") == "endpoint" and isinstance(url, str) and url
        hosts.append(endpoint_host(url) if endpoint else "")
    return hosts


def _latest_per_variant(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """The newest run (frame is newest first) of each model, and of an LLM candidate the newest of each k: its
    zero-shot and 8-shot runs sit side by side, named by variant_id ("llm_endpoint#8") where one candidate has
    several. kinds: {candidate id: kind} of the use case (a run's own model_kind comes first)."""
    recorded = frame["model_kind"] if "model_kind" in frame.columns else pd.Series([None] * len(frame), index=frame.index)
    shots = pd.to_numeric(frame[SHOTS_PARAM], errors="coerce") if SHOTS_PARAM in frame.columns else None
    keys = []
    for (index, row), kind in zip(frame.iterrows(), recorded):
        kind = kind if isinstance(kind, str) and kind else kinds.get(str(row["model"]), "")
        k = shots[index] if shots is not None and kind == LLM else math.nan
        keys.append(variant_id(row["model"], int(k)) if math.isfinite(k) else str(row["model"]))
    frame = frame.assign(_variant=keys).drop_duplicates(subset="_variant", keep="first")
    several = frame["model"].map(frame["model"].value_counts()) > 1
    frame["model"] = frame["model"].where(~several, frame["_variant"])
    return frame.drop(columns="_variant")


def starting_point(use_case: str | UseCase, model: str, kind: str = "", recorded: Any = "") -> str:
    """Where a run's weights started: "pretrained", "scratch", "baseline" (scikit-learn) or "llm" (a large language
    model prompted with k examples: no weights trained).

    `recorded` is what the run logged when it trained (its starting_point param); runs from before that param
    ask the candidate's declaration, and an imported or retired model is read from its kind.
    """
    if isinstance(recorded, str) and recorded:
        return recorded
    case = _use_case(use_case)
    candidate = next((c for c in case.candidates if c.id == model), None)
    if candidate is not None:
        return candidate.starting_point
    return "baseline" if kind == "sklearn" else "scratch"


def to_csv(table: pd.DataFrame) -> str:
    """The comparison as CSV text (UTF-8, no index) for a download button."""
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue()
