"""Measured evidence: the studio's completed runs turned into 1-5 scores that carry their run ids.

Rules (documented here and on the page):
- Feasibility from the use case's primary metric of its best completed run:
  accuracy: >= 0.95 -> 5, >= 0.90 -> 4, >= 0.80 -> 3, >= 0.70 -> 2, else 1;
  ROC-AUC:  >= 0.90 -> 5, >= 0.80 -> 4, >= 0.70 -> 3, >= 0.60 -> 2, else 1;
  RMSE relative to the rating scale (0.5-5 stars: range 4.5), rmse / 4.5:
            <= 0.15 -> 5, <= 0.20 -> 4, <= 0.25 -> 3, <= 0.30 -> 2, else 1.
- Compute from the same run: the lower of a latency band (p50 <= 5 ms -> 5, <= 20 -> 4, <= 100 -> 3,
  <= 500 -> 2, else 1) and a training-time band for the company's own data volume on a CPU
  (rows x epochs / measured samples per second: <= 0.1 h -> 5, <= 1 h -> 4, <= 8 h -> 3, <= 24 h -> 2, else 1).
- Value and data resources are the executive's judgement: always "assumed". So are feasibility and
  compute when the use case has no completed run, or when its evidence is switched off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from core.evaluation.catalogue import find, finite_value, higher_is_better
from core.strategy.model import CRITERIA, Assessment, UseCaseAssessment
from core.strategy.starting_points import LLM, SHOTS_PARAM, shots, start_of

MEASURED = "measured"
ASSUMED = "assumed"
RATING_RANGE = 4.5  # MovieLens stars run from 0.5 to 5
ACCURACY_BANDS = ((0.95, 5), (0.90, 4), (0.80, 3), (0.70, 2))
AUC_BANDS = ((0.90, 5), (0.80, 4), (0.70, 3), (0.60, 2))
RELATIVE_RMSE_BANDS = ((0.15, 5), (0.20, 4), (0.25, 3), (0.30, 2))
LATENCY_BANDS_MS = ((5.0, 5), (20.0, 4), (100.0, 3), (500.0, 2))
TRAINING_BANDS_H = ((0.1, 5), (1.0, 4), (8.0, 3), (24.0, 2))


ROWS_BANDS = ((1_000_000, 5), (100_000, 4), (10_000, 3), (1_000, 2))


def data_readiness(rows: int, labelled: bool, quality: int) -> int:
    """A suggested 1-5 data-resources score from the data profile: the mean of a volume band
    (>= 1M rows -> 5, >= 100k -> 4, >= 10k -> 3, >= 1k -> 2, else 1) and the stated quality,
    rounded half up, one point less when the data is not labelled; never below 1."""
    volume = next((score for limit, score in ROWS_BANDS if rows >= limit), 1)
    suggestion = int((volume + int(quality)) / 2 + 0.5) - (0 if labelled else 1)
    return max(1, min(5, suggestion))


def device_kind(device: Any) -> str:
    """'GPU' or 'CPU' from a run's device tag ("CPU (2 cores)", "NVIDIA H100 ..."); '' when not recorded."""
    text = str(device or "").strip()
    if not text or text == "-" or text.lower() == "nan":
        return ""
    return "CPU" if text.upper().startswith("CPU") else "GPU"


def quality_band(metric: str, value: float, *, rating_range: float = RATING_RANGE) -> int:
    """A 1-5 score for a primary metric value by the bands in the module docstring."""
    entry = find(metric)
    if entry is not None and entry.format == "stars":  # rating errors, in stars
        relative = round(value / rating_range, 9)  # 0.675 / 4.5 is 0.15000000000000002 in floating point
        for limit, score in RELATIVE_RMSE_BANDS:
            if relative <= limit:
                return score
        return 1
    bands = AUC_BANDS if "auc" in metric.lower() else ACCURACY_BANDS
    for limit, score in bands:
        if value >= limit:
            return score
    return 1


def _upper_band(value: float, bands) -> int:
    for limit, score in bands:
        if value <= limit:
            return score
    return 1


def latency_band(p50_ms: float) -> int:
    return _upper_band(p50_ms, LATENCY_BANDS_MS)


def training_band(hours: float) -> int:
    return _upper_band(hours, TRAINING_BANDS_H)


@dataclass(frozen=True)
class Throughput:
    """Speeds measured by one run: training samples/s, single-request p50 latency, batch samples/s."""

    run_id: str
    device: str  # GPU | CPU
    samples_per_second: float | None
    latency_p50_ms: float | None
    batch_throughput: float | None


@dataclass(frozen=True)
class Measured:
    """What the studio has measured for one use case: its best completed run and the fastest per device."""

    use_case: str
    metric: str
    value: float
    run_id: str
    model: str
    dataset: str
    run_ids: tuple[str, ...]
    best: Throughput
    cpu: Throughput | None
    gpu: Throughput | None
    train_seconds: float | None
    start: str = ""  # the best run's starting point: pretrained | scratch | baseline | llm (core.strategy.starting_points)
    data: DataSet | None = None  # the data set these runs share (when chosen: core.strategy.evidence.data_sets)
    shots: int | None = None  # an LLM best run's examples in the prompt (hp_k); None for other starts


@dataclass(frozen=True)
class DataSet:
    """One data set a use case has completed runs on: a bundled/online source, or one uploaded file (by name and size).

    The Strategy planner measures a use case on one of them, chosen by the person (default: see data_sets).
    """

    key: str
    dataset: str  # the source id ("credit_data", "upload_csv")
    source_name: str  # an upload's file name; "" for a bundled or online source
    rows: int | None  # examples in the file or source (train + validation + test)
    runs: int  # completed runs on it
    newest: Any  # start time of its newest completed run
    has_baseline: bool  # the use case's baseline was run on it (a business case compares against it)


def data_key(row: Mapping[str, Any]) -> str:
    """Which data set a run used: its source id, and for an upload also the file's name and row count."""
    dataset = str(row.get("dataset") or "")
    if row.get("source_kind") != "uploaded":
        return dataset
    rows = finite_value(row.get("dataset_rows"))
    return f"{dataset}|{row.get('source_name') or ''}|{int(rows) if rows is not None else ''}"


def data_sets(runs: Any, use_case: str, *, baseline: str = "") -> list[DataSet]:
    """The data sets of a use case's completed runs, the default first: the newest data set on which the baseline
    ran too (so its value is priced against it), else the one with the newest run."""
    if runs is None or len(runs) == 0 or "use_case" not in runs.columns:
        return []
    rows = [row for row in runs[runs["use_case"] == use_case].to_dict("records") if row.get("status") == "completed"]
    found: dict[str, DataSet] = {}
    for row in rows:
        key = data_key(row)
        known = found.get(key)
        rows_count = finite_value(row.get("dataset_rows"))
        found[key] = DataSet(
            key=key, dataset=str(row.get("dataset") or ""),
            source_name=str(row.get("source_name") or "") if row.get("source_kind") == "uploaded" else "",
            rows=int(rows_count) if rows_count is not None else (known.rows if known else None),
            runs=(known.runs if known else 0) + 1,
            newest=max(row.get("started"), known.newest, key=_timestamp) if known else row.get("started"),
            has_baseline=bool(known and known.has_baseline) or (bool(baseline) and row.get("model") == baseline))
    return sorted(found.values(), key=lambda data: (not data.has_baseline, -_timestamp(data.newest)))


def _timestamp(value: Any) -> float:
    try:
        return float(value.timestamp())
    except (AttributeError, TypeError, ValueError, OverflowError):
        return 0.0


def runs_on_chosen_data(runs: Any, choice: Mapping[str, str], baselines: Mapping[str, str]) -> Any:
    """The runs with each use case's rows kept to one data set: `choice[use case]` where it names one of its data
    sets, else the default of data_sets(). Runs of other use cases pass unchanged."""
    if runs is None or len(runs) == 0 or "use_case" not in runs.columns:
        return runs
    chosen = {use_case: chosen_data(runs, use_case, choice, baselines) for use_case in baselines}
    keep = [row.get("use_case") not in chosen or data_key(row) == chosen[row.get("use_case")]
            for row in runs.to_dict("records")]
    return runs[keep]


def chosen_data(runs: Any, use_case: str, choice: Mapping[str, str], baselines: Mapping[str, str]) -> str:
    """The key of the data set that stands for `use_case`: the person's choice when it still exists, else the default."""
    options = data_sets(runs, use_case, baseline=baselines.get(use_case, ""))
    keys = [data.key for data in options]
    wanted = choice.get(use_case)
    return wanted if wanted in keys else (keys[0] if keys else "")


def _throughput(row: Mapping[str, Any]) -> Throughput:
    return Throughput(run_id=str(row["run_id"]), device=device_kind(row.get("device")) or "CPU",
                      samples_per_second=finite_value(row.get("samples_per_second")),
                      latency_p50_ms=finite_value(row.get("latency_p50_ms")),
                      batch_throughput=finite_value(row.get("batch_throughput")))


def measured_from_runs(runs, primary_metrics: Mapping[str, str]) -> dict[str, Measured]:
    """{use case id: Measured} from Tracker.list_runs(): completed runs with the use case's primary metric."""
    result: dict[str, Measured] = {}
    if runs is None or len(runs) == 0 or "use_case" not in runs.columns:
        return result
    for use_case_id, metric in primary_metrics.items():
        if metric not in runs.columns:
            continue
        rows = [row for row in runs[runs["use_case"] == use_case_id].to_dict("records")
                if row.get("status") == "completed" and finite_value(row.get(metric)) is not None]
        if not rows:
            continue
        better = higher_is_better(metric)
        rows.sort(key=lambda row: (-1 if better else 1) * finite_value(row[metric]))
        best = rows[0]

        def fastest(kind: str) -> Throughput | None:
            on_device = [row for row in rows if device_kind(row.get("device")) == kind
                         or (kind == "CPU" and device_kind(row.get("device")) == "")]
            with_speed = [row for row in on_device if finite_value(row.get("samples_per_second"))]
            if not with_speed:
                return None
            return _throughput(max(with_speed, key=lambda row: finite_value(row["samples_per_second"])))

        shared = data_sets(runs, use_case_id)
        start = start_of(use_case_id, str(best.get("model", "")), best.get("starting_point"))
        result[use_case_id] = Measured(
            use_case=use_case_id, metric=metric, value=float(finite_value(best[metric])), run_id=str(best["run_id"]),
            model=str(best.get("model", "")), dataset=str(best.get("dataset", "")),
            run_ids=tuple(str(row["run_id"]) for row in rows), best=_throughput(best),
            cpu=fastest("CPU"), gpu=fastest("GPU"), train_seconds=finite_value(best.get("train_seconds")),
            start=start, data=shared[0] if len(shared) == 1 else None,
            shots=shots(best.get(SHOTS_PARAM)) if start == LLM else None)
    return result


@dataclass(frozen=True)
class CriterionScore:
    """One criterion's score with where it came from: measured (with run ids) or assumed."""

    score: float
    source: str  # measured | assumed
    run_ids: tuple[str, ...] = ()
    metric: str = ""
    value: float | None = None


def training_hours(rows: float, epochs: int, samples_per_second: float) -> float:
    """Hours one retrain takes: every row seen `epochs` times at the measured speed."""
    return float(rows) * float(epochs) / float(samples_per_second) / 3600.0


def scores_for(use_case: UseCaseAssessment, measured: Measured | None, *, epochs: int) -> dict[str, CriterionScore]:
    """Effective criterion scores of one use case: measured where the studio has runs, else the typed ones."""
    scores = {name: CriterionScore(float(use_case.scores[name]), ASSUMED) for name in CRITERIA}
    if measured is None or not use_case.use_evidence:
        return scores
    scores["feasibility"] = CriterionScore(float(quality_band(measured.metric, measured.value)), MEASURED,
                                           (measured.run_id,), measured.metric, measured.value)
    bands: list[tuple[int, str, float, str]] = []
    if measured.best.latency_p50_ms is not None:
        bands.append((latency_band(measured.best.latency_p50_ms), "latency_p50_ms", measured.best.latency_p50_ms,
                      measured.best.run_id))
    cpu = measured.cpu or measured.best
    if cpu.samples_per_second:
        hours = training_hours(use_case.data.rows, epochs, cpu.samples_per_second)
        bands.append((training_band(hours), "training_hours", hours, cpu.run_id))
    if bands:
        score, metric, value, _ = min(bands, key=lambda band: band[0])
        run_ids = tuple(dict.fromkeys(band[3] for band in bands))
        scores["compute"] = CriterionScore(float(score), MEASURED, run_ids, metric, value)
    return scores


def effective_scores(assessment: Assessment, measured: Mapping[str, Measured]) -> dict[str, dict[str, CriterionScore]]:
    """{use case id: {criterion: CriterionScore}} for every use case of the assessment."""
    return {use_case.id: scores_for(use_case, measured.get(use_case.id), epochs=assessment.cost.epochs)
            for use_case in assessment.use_cases}


def primary_metrics() -> dict[str, str]:
    """{use case id: primary metric} from the registry (which never imports TensorFlow)."""
    from core.contract.registry import USE_CASES

    return {use_case_id: use_case.primary_metric for use_case_id, use_case in USE_CASES.items()}


def baselines() -> dict[str, str]:
    """{use case id: its declared baseline candidate} from the registry (which never imports TensorFlow)."""
    from core.contract.registry import USE_CASES

    return {use_case_id: use_case.baseline for use_case_id, use_case in USE_CASES.items()}
