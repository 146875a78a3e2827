"""Which stored runs a business case is measured on: the use case's own run and, where the payoff compares
against one, the baseline run (scorecard, popularity) trained on the same data.

Reads evaluation.json through the tracker; never imports TensorFlow or core.training (the Strategy page uses it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from core.business.payoff import CREDIT, RECOMMENDATION, evaluation_cost_per_1000, payoff_kind
from core.contract import registry
from core.i18n import StudioError
from core.tracking.run_files import EVALUATION_FILE

if TYPE_CHECKING:
    from core.tracking.store import Tracker

PRICED_AGAINST_BASELINE = (CREDIT, RECOMMENDATION)  # payoff kinds whose business case compares with a baseline run
HIT_RATE = "test_hit_rate_at_10"


@dataclass(frozen=True)
class RunEvidence:
    """One run's stored evaluation and its baseline run's (None where there is none)."""

    use_case: str
    run_id: str
    evaluation: Mapping[str, Any] | None
    baseline_run_id: str = ""
    baseline: Mapping[str, Any] | None = None


ROW_FIELDS = ("y_true", "y_pred", "confidence", "scores", "ranks")


def compact(evaluation: Mapping[str, Any]) -> dict[str, Any]:
    """What a business case reads of an evaluation (per-row lists as NumPy arrays, validation included, an LLM's
    running cost per 1,000 decisions as llm_cost_per_1000), so a
    page cache that copies its value on every rerun copies arrays, not tens of thousands of Python numbers."""
    kept: dict[str, Any] = {name: np.asarray(evaluation[name]) for name in ROW_FIELDS
                            if isinstance(evaluation.get(name), list)}
    if "dataset_fingerprint" in evaluation:
        kept["dataset_fingerprint"] = evaluation["dataset_fingerprint"]
    cost = evaluation_cost_per_1000(evaluation)
    if cost > 0:  # an LLM's running cost per 1,000 decisions: the business case subtracts it per year
        kept["llm_cost_per_1000"] = cost
    if isinstance(evaluation.get("validation"), Mapping):
        kept["validation"] = compact(evaluation["validation"])
    return kept


def evaluation_loader(tracker: Tracker) -> Callable[[str], Mapping[str, Any] | None]:
    """run id -> the compact evaluation.json it stored, or None when it stored none (or it cannot be read)."""

    def load(run_id: str) -> Mapping[str, Any] | None:
        try:
            stored = tracker.load_dict(run_id, EVALUATION_FILE)
        except (StudioError, OSError, ValueError):
            return None
        return compact(stored) if isinstance(stored, Mapping) else None
    return load


def _completed(runs: Any, use_case: str) -> list[dict[str, Any]]:
    if runs is None or len(runs) == 0 or "use_case" not in runs.columns:
        return []
    return [row for row in runs[runs["use_case"] == use_case].to_dict("records") if row.get("status") == "completed"]


def _baseline_model(use_case: str) -> str:
    """The use case's declared baseline candidate where its payoff is priced against one, else ''."""
    if payoff_kind(use_case) not in PRICED_AGAINST_BASELINE:
        return ""
    return registry.get_use_case(use_case).baseline


def find_baseline(runs: Any, use_case: str, evaluation: Mapping[str, Any], load: Callable, *,
                  exclude: str = "") -> tuple[str, Mapping[str, Any] | None]:
    """(run id, evaluation) of the newest completed baseline run whose test data are this evaluation's; ('', None)."""
    model = _baseline_model(use_case)
    if not model:
        return "", None
    fingerprint = evaluation.get("dataset_fingerprint")
    for row in _completed(runs, use_case):
        if row.get("model") != model or str(row["run_id"]) == exclude:
            continue
        candidate = load(str(row["run_id"]))
        if candidate and candidate.get("dataset_fingerprint") == fingerprint:
            return str(row["run_id"]), candidate
    return "", None


def evidence_run_id(runs: Any, use_case: str, best_run_id: str) -> str:
    """The run a use case's business case is measured on: its best run, or for recommendation the
    completed run with the highest HitRate@10 that is not the popularity baseline itself."""
    if payoff_kind(use_case) != RECOMMENDATION:
        return best_run_id
    rows = [row for row in _completed(runs, use_case)
            if row.get("model") != _baseline_model(use_case) and _finite(row.get(HIT_RATE))]
    if not rows:
        return best_run_id
    return str(max(rows, key=lambda row: float(row[HIT_RATE]))["run_id"])


def _finite(value: Any) -> bool:
    try:
        return float(value) == float(value)
    except (TypeError, ValueError):
        return False


def run_evidence(runs: Any, use_case: str, run_id: str, load: Callable) -> RunEvidence:
    """The stored evaluation of `run_id` and of its baseline run."""
    evaluation = load(run_id)
    if not evaluation:
        return RunEvidence(use_case, run_id, None)
    baseline_id, baseline = find_baseline(runs, use_case, evaluation, load, exclude=run_id)
    return RunEvidence(use_case, run_id, evaluation, baseline_id, baseline)


def collect(runs: Any, measured: Mapping[str, Any], load: Callable) -> dict[str, RunEvidence]:
    """{use case id: RunEvidence} for every measured registered use case that declares a payoff."""
    return {use_case: run_evidence(runs, use_case, evidence_run_id(runs, use_case, found.run_id), load)
            for use_case, found in measured.items() if payoff_kind(use_case)}
