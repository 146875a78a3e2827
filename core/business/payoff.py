"""The business case in money: what a measured model saves or earns per year at the company's volumes.

Per use case a payoff (editable, in the currency of the strategy page) turns the per-row test results a
run stored in evaluation.json into a yearly value, with a 90 % bootstrap interval from resampling the test rows:

credit risk     value = (expected cost of today's rule - expected cost with the model at its threshold)
                        x applications per year; cost per applicant = cost of a bad loan approved x [bad and
                        approved] + margin lost x [good and rejected]; today's rule is "approve everyone",
                        or the scorecard at its own threshold when a scorecard run on the same data exists.
                        The threshold is the cost-optimal one on the validation split (test split for runs
                        that predate stored validation scores, said so).
classification  the model decides the items whose top probability reaches a cut-off; the cut-off is the
                        lowest one whose precision on the VALIDATION split meets the target; on the test split
                        value = (automated items x manual cost - wrong automatic decisions x error cost)
                        / test rows x items per year.
recommendation  value = (HitRate@10 of the model - HitRate@10 of popularity) x sessions x value of a hit,
                        both on the same held-out users.

A model that is paid per decision (a large language model behind an endpoint: its run logs llm_cost_per_1000,
kept in evaluation.json's "llm" section) costs running_cost = cost per 1,000 decisions / 1,000 x the payoff's
yearly volume (items, applications or sessions). It is subtracted from the value, its interval and its curve,
and shown as its own number (BusinessCase.running_cost), so "2 points better but 4,000 a year more" reads off
the case. A run without that cost is unchanged (0).

Every per-row quantity takes a handful of distinct values, so the bootstrap draws how many rows of each
value a resample holds (a multinomial, exactly a resample of rows with replacement) instead of the rows.
Pure NumPy; no Streamlit, no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np

from core.contract import registry
from core.errors import DataError

CREDIT, CLASSIFICATION, RECOMMENDATION = "credit", "classification", "recommendation"
#: The payoff fields each kind uses (money per unit, volumes per year, a precision target).
FIELDS = {
    CREDIT: ("cost_bad_approved", "margin_good_rejected", "applications_per_year"),
    CLASSIFICATION: ("manual_cost", "error_cost", "items_per_year", "target_precision"),
    RECOMMENDATION: ("sessions_per_year", "value_per_hit"),
}
#: The payoff field that counts a kind's decisions per year (what a per-decision running cost is multiplied by).
VOLUME_FIELD = {CREDIT: "applications_per_year", CLASSIFICATION: "items_per_year", RECOMMENDATION: "sessions_per_year"}
MONEY_FIELDS = {"cost_bad_approved", "margin_good_rejected", "manual_cost", "error_cost", "value_per_hit"}
LEVEL = 0.90
RESAMPLES = 2000
K = 10
CURVE_POINTS = 101
MAX_K = 50


@dataclass
class Payoff:
    """What one decision is worth, per use case; only the fields of its kind are read."""

    enabled: bool = True
    cost_bad_approved: float = 5000.0
    margin_good_rejected: float = 800.0
    applications_per_year: float = 20000.0
    manual_cost: float = 1.0
    error_cost: float = 10.0
    items_per_year: float = 500000.0
    target_precision: float = 0.95
    sessions_per_year: float = 5_000_000.0
    value_per_hit: float = 0.8


def check_payoff(payoff: Payoff, kind: str) -> None:
    """DataError (translated) for a negative volume or price, a zero cost that makes a choice free, or a
    precision target outside (0, 1]."""
    for name in FIELDS[kind]:
        value = float(getattr(payoff, name))
        if not np.isfinite(value) or value < 0:
            raise DataError("business.errors.negative", field=name, value=value)
        if name in MONEY_FIELDS and value == 0:
            raise DataError(f"business.errors.zero_{name}")
    if kind == CLASSIFICATION and not 0 < float(payoff.target_precision) <= 1:
        raise DataError("business.errors.precision_range", value=payoff.target_precision)


def payoff_kind(use_case: str) -> str | None:
    """The payoff formula a registered use case declares (UseCase.payoff: CREDIT, CLASSIFICATION,
    RECOMMENDATION); None for one of the company's own or one that declares none."""
    declared = registry.USE_CASES.get(str(use_case))
    return (declared.payoff or None) if declared is not None else None


# ---- bootstrap ----------------------------------------------------------------------------------

def bootstrap_mean(values: Any, *, level: float = LEVEL, resamples: int = RESAMPLES,
                   random_state: int = 0) -> tuple[float, float, float]:
    """(mean, low, high): percentile interval of the mean of `values` over resamples of its rows."""
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    if data.size == 0:
        raise DataError("business.errors.no_rows")
    distinct, counts = np.unique(data, return_counts=True)
    rng = np.random.default_rng(random_state)
    if len(distinct) <= 64:
        drawn = rng.multinomial(data.size, counts / data.size, size=resamples)  # rows of each value per resample
        means = drawn @ distinct / data.size
    else:
        means = np.array([data[rng.integers(0, data.size, data.size)].mean() for _ in range(resamples)])
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(data.mean()), float(low), float(high)


# ---- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BusinessCase:
    """The yearly value of one run under a payoff, its interval, its operating point and profit curve."""

    use_case: str
    kind: str
    value: float  # per year, in the currency
    low: float
    high: float
    run_id: str
    baseline: str  # approve_all | scorecard | manual | popularity
    baseline_run_id: str
    operating_point: float  # threshold, confidence cut-off or list length
    chosen_on: str  # validation | test
    n_test: int
    curve_x: tuple[float, ...]
    curve_y: tuple[float, ...]
    details: Mapping[str, float] = field(default_factory=dict)
    running_cost: float = 0.0  # per year, already subtracted from value, low, high and the curve (an LLM's calls)
    cost_per_1000: float = 0.0  # the run's running cost per 1,000 decisions it was priced at

    @property
    def value_before_running_cost(self) -> float:
        return self.value + self.running_cost

    @property
    def covers_zero(self) -> bool:
        """True when the interval holds 0: the value is not different from zero."""
        return self.low <= 0 <= self.high


# ---- credit risk --------------------------------------------------------------------------------

def expected_credit_cost(evaluation: Mapping[str, Any], payoff: Payoff, threshold: float | None = None) -> float:
    """Mean cost per test applicant, in the payoff's currency, at `threshold` (default: the operating point)."""
    y, scores = _credit_rows(evaluation)
    if threshold is None:
        threshold, _ = credit_operating_point(evaluation, payoff)
    return float(credit_costs(y, scores, threshold, payoff).mean())


def credit_costs(y_true: Any, scores: Any, threshold: float, payoff: Payoff) -> np.ndarray:
    """Cost of each applicant's decision (approved when score < threshold), in the currency."""
    y = np.asarray(y_true).astype(np.int64).reshape(-1)
    approved = np.asarray(scores, dtype=np.float64).reshape(-1) < threshold
    return (payoff.cost_bad_approved * (approved & (y == 1)) + payoff.margin_good_rejected * (~approved & (y == 0)))


def _grid() -> np.ndarray:
    grid = np.linspace(0.0, 1.0, CURVE_POINTS)
    grid[-1] = 1.0 + 1e-9  # the last threshold approves everyone
    return grid


def credit_cost_curve(y_true: Any, scores: Any, thresholds: Any, payoff: Payoff) -> np.ndarray:
    """Mean cost per applicant at each threshold (credit_costs(...).mean() for every one, from sorted scores)."""
    y = np.asarray(y_true).astype(np.int64).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    bad, good = np.sort(s[y == 1]), np.sort(s[y == 0])
    bad_approved = np.searchsorted(bad, thresholds, side="left")  # scores strictly below the threshold
    good_rejected = len(good) - np.searchsorted(good, thresholds, side="left")
    return (payoff.cost_bad_approved * bad_approved + payoff.margin_good_rejected * good_rejected) / len(y)


def cost_optimal_threshold(y_true: Any, scores: Any, payoff: Payoff) -> float:
    """The threshold of the 0..1 grid with the lowest expected cost on these rows (the first on ties)."""
    grid = _grid()
    return float(grid[int(np.argmin(np.round(credit_cost_curve(y_true, scores, grid, payoff), 9)))])


def credit_case(evaluation: Mapping[str, Any], payoff: Payoff, *, run_id: str = "",
                baseline: Mapping[str, Any] | None = None, baseline_run_id: str = "",
                use_case: str = "finance", random_state: int = 0, threshold: float | None = None) -> BusinessCase:
    """The model at its cost-optimal threshold (or at `threshold`, one a person set) against approve-all (or the
    scorecard run given as baseline, always at its own cost-optimal threshold)."""
    check_payoff(payoff, CREDIT)
    y, scores = _credit_rows(evaluation)
    optimal, chosen_on = credit_operating_point(evaluation, payoff)
    if threshold is None or abs(float(threshold) - optimal) < 1e-9:
        threshold = optimal
    else:
        threshold, chosen_on = float(threshold), "person"  # moved away from the optimum on the page
    if baseline is not None:
        base_y, base_scores = _credit_rows(baseline)
        if not np.array_equal(base_y, y):
            raise DataError("business.errors.other_test_rows", baseline=baseline_run_id[:8])
        base_threshold, _ = credit_operating_point(baseline, payoff)
        today = credit_costs(y, base_scores, base_threshold, payoff)
        rule = "scorecard"
    else:
        today = credit_costs(y, np.zeros(len(y)), 1.0 + 1e-9, payoff)  # approve everyone
        rule, baseline_run_id = "approve_all", ""
    volume = float(payoff.applications_per_year)
    saving = today - credit_costs(y, scores, threshold, payoff)
    mean, low, high = bootstrap_mean(saving, random_state=random_state)
    grid = _grid()
    curve = (today.mean() - credit_cost_curve(y, scores, grid, payoff)) * volume
    approved = scores < threshold
    return BusinessCase(use_case, CREDIT, mean * volume, low * volume, high * volume, run_id, rule, baseline_run_id,
                        threshold if threshold <= 1 else 1.0, chosen_on, len(y),
                        tuple(float(min(t, 1.0)) for t in grid), tuple(float(v) for v in curve),
                        {"approval_rate": float(approved.mean()), "cost_today": float(today.mean() * volume),
                         "cost_model": float((today.mean() - mean) * volume), "optimal_threshold": float(min(optimal, 1.0))})


def _credit_rows(evaluation: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    if "scores" not in evaluation or "y_true" not in evaluation:
        raise DataError("business.errors.no_predictions")
    return (np.asarray(evaluation["y_true"]).astype(np.int64).reshape(-1),
            np.asarray(evaluation["scores"], dtype=np.float64).reshape(-1))


def credit_operating_point(evaluation: Mapping[str, Any], payoff: Payoff) -> tuple[float, str]:
    """(threshold, "validation" | "test"): the cost-optimal threshold under the payoff's costs, chosen on the
    validation split (the test split for runs that predate stored validation scores). The one operating point the
    finance lab's threshold panel, its business case and its try-it tab start from."""
    validation = evaluation.get("validation") or {}
    if "scores" in validation and "y_true" in validation:
        return cost_optimal_threshold(validation["y_true"], validation["scores"], payoff), "validation"
    y, scores = _credit_rows(evaluation)
    return cost_optimal_threshold(y, scores, payoff), "test"


# ---- text and image classification ----------------------------------------------------------------

def automation_cutoff(correct: Any, confidence: Any, target_precision: float) -> float:
    """The lowest confidence cut-off whose automated rows (confidence >= cut-off) reach the target precision;
    DataError when no cut-off does."""
    right = np.asarray(correct, dtype=bool).reshape(-1)
    sure = np.asarray(confidence, dtype=np.float64).reshape(-1)
    if right.size == 0:
        raise DataError("business.errors.no_rows")
    order = np.argsort(-sure, kind="stable")
    sorted_sure = sure[order]
    hits = np.cumsum(right[order])
    taken = np.arange(1, right.size + 1)
    last_of_value = np.r_[sorted_sure[1:] != sorted_sure[:-1], True]  # a cut-off takes every row at its value
    last_of_value &= np.isfinite(sorted_sure)  # no cut-off automates an answer that is not one (an LLM's invalid)
    precision = hits / taken
    meets = last_of_value & (precision >= float(target_precision) - 1e-12)
    if not meets.any():
        best = float(precision[last_of_value].max()) if last_of_value.any() else 0.0
        raise DataError("business.errors.precision_unreachable", target=f"{float(target_precision):.0%}",
                        best=f"{best:.1%}")
    return float(sorted_sure[np.flatnonzero(meets)[-1]])


def automation_values(correct: Any, confidence: Any, cutoff: float, payoff: Payoff) -> np.ndarray:
    """Money per item: manual cost saved when automated, less the error cost when automated and wrong."""
    right = np.asarray(correct, dtype=bool).reshape(-1)
    automated = np.asarray(confidence, dtype=np.float64).reshape(-1) >= cutoff
    return payoff.manual_cost * automated - payoff.error_cost * (automated & ~right)


def _classification_rows(part: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """(right, confidence) per row. An invalid answer (an LLM's y_pred -1, outside the labels) is wrong and gets
    confidence -inf: below every cut-off, so it is never automated; a person decides it (no saving, no error)."""
    if "confidence" not in part or "y_true" not in part or "y_pred" not in part:
        return None
    predicted = np.asarray(part["y_pred"]).reshape(-1)
    sure = np.asarray(part["confidence"], dtype=np.float64).reshape(-1)
    invalid = predicted < 0 if np.issubdtype(predicted.dtype, np.number) else np.zeros(predicted.shape, dtype=bool)
    return np.asarray(part["y_true"]).reshape(-1) == predicted, np.where(invalid, -np.inf, sure)


def answers_only(confidence: np.ndarray) -> bool:
    """Whether these confidences are an answer's, not a probability's: 1 for every valid answer (an LLM asked for a
    label answers one-hot), -inf for an invalid one."""
    valid = confidence[np.isfinite(confidence)]
    return bool(valid.size) and bool(np.all(valid == 1.0))


def classification_case(evaluation: Mapping[str, Any], payoff: Payoff, *, run_id: str = "",
                        use_case: str = "", random_state: int = 0) -> BusinessCase:
    """Automate the items the model is sure of: cut-off on the validation split, value on the test split."""
    check_payoff(payoff, CLASSIFICATION)
    test = _classification_rows(evaluation)
    validation = _classification_rows(evaluation.get("validation") or {})
    chosen_on = "validation"
    if test is not None and validation is None and answers_only(test[1]):
        # an LLM asked for a label gives no probability (every valid answer is "sure"): there is no cut-off to
        # choose, so none is chosen on the test rows; every valid answer is automated, an invalid one goes to a person
        cutoff, chosen_on = 1.0, "answers"
    elif test is None or validation is None:
        raise DataError("business.errors.no_validation")
    else:
        cutoff = automation_cutoff(*validation, payoff.target_precision)
    right, sure = test
    volume = float(payoff.items_per_year)
    per_item = automation_values(right, sure, cutoff, payoff)
    mean, low, high = bootstrap_mean(per_item, random_state=random_state)
    grid = np.linspace(0.0, 1.0, CURVE_POINTS)
    automated_at = right.size - np.searchsorted(np.sort(sure), grid, side="left")  # rows with confidence >= cut-off
    wrong_at = (~right).sum() - np.searchsorted(np.sort(sure[~right]), grid, side="left")
    curve = (payoff.manual_cost * automated_at - payoff.error_cost * wrong_at) / right.size * volume
    automated = sure >= cutoff
    return BusinessCase(use_case, CLASSIFICATION, mean * volume, low * volume, high * volume, run_id, "manual", "",
                        cutoff, chosen_on, int(right.size), tuple(float(c) for c in grid),
                        tuple(float(v) for v in curve),
                        {"automation_rate": float(automated.mean()),
                         "test_precision": float(right[automated].mean()) if automated.any() else float("nan"),
                         "target_precision": float(payoff.target_precision)})


# ---- recommendation -----------------------------------------------------------------------------

def recommendation_case(evaluation: Mapping[str, Any], popularity: Mapping[str, Any] | None, payoff: Payoff, *,
                        run_id: str = "", baseline_run_id: str = "", use_case: str = "recommendation",
                        k: int = K, random_state: int = 0) -> BusinessCase:
    """Extra hits over the popularity list, per session, on the same held-out users."""
    check_payoff(payoff, RECOMMENDATION)
    if popularity is None:
        raise DataError("business.errors.no_popularity")
    ranks = np.asarray(evaluation.get("ranks", []), dtype=np.float64).reshape(-1)
    base = np.asarray(popularity.get("ranks", []), dtype=np.float64).reshape(-1)
    if ranks.size == 0 or base.size == 0:
        raise DataError("business.errors.no_predictions")
    if ranks.size != base.size:
        raise DataError("business.errors.other_test_rows", baseline=baseline_run_id[:8])
    scale = float(payoff.sessions_per_year) * float(payoff.value_per_hit)
    gain = (ranks <= k).astype(np.float64) - (base <= k)
    mean, low, high = bootstrap_mean(gain, random_state=random_state)
    lengths = np.arange(1, MAX_K + 1)
    curve = (np.searchsorted(np.sort(ranks), lengths, side="right")
             - np.searchsorted(np.sort(base), lengths, side="right")) / ranks.size * scale
    return BusinessCase(use_case, RECOMMENDATION, mean * scale, low * scale, high * scale, run_id, "popularity",
                        baseline_run_id, float(k), "test", int(ranks.size), tuple(float(n) for n in lengths),
                        tuple(float(v) for v in curve),
                        {"hit_rate": float((ranks <= k).mean()), "baseline_hit_rate": float((base <= k).mean())})


def business_case(use_case: str, evaluation: Mapping[str, Any], payoff: Payoff, *, run_id: str = "",
                  baseline: Mapping[str, Any] | None = None, baseline_run_id: str = "",
                  random_state: int = 0, threshold: float | None = None,
                  cost_per_1000: float | None = None) -> BusinessCase:
    """The business case of one run of a registered use case (its declared payoff kind picks the formula);
    `threshold` is a credit decision threshold the person chose (default: the cost-optimal one).

    cost_per_1000: the run's running cost per 1,000 decisions (its llm_cost_per_1000 metric); default: what its
    evaluation records (evaluation_cost_per_1000), else 0. The yearly running cost is subtracted (with_running_cost).
    """
    kind = payoff_kind(use_case)
    if kind == CREDIT:
        case = credit_case(evaluation, payoff, run_id=run_id, baseline=baseline, baseline_run_id=baseline_run_id,
                           use_case=use_case, random_state=random_state, threshold=threshold)
    elif kind == CLASSIFICATION:
        case = classification_case(evaluation, payoff, run_id=run_id, use_case=use_case, random_state=random_state)
    elif kind == RECOMMENDATION:
        case = recommendation_case(evaluation, baseline, payoff, run_id=run_id, baseline_run_id=baseline_run_id,
                                   use_case=use_case, random_state=random_state)
    else:
        raise DataError("business.errors.no_payoff_kind", use_case=use_case)
    if cost_per_1000 is None:
        cost_per_1000 = evaluation_cost_per_1000(evaluation)
    return with_running_cost(case, payoff, cost_per_1000)


def evaluation_cost_per_1000(evaluation: Mapping[str, Any]) -> float:
    """The running cost per 1,000 decisions an evaluation records: evaluation.json's llm.cost_per_1000 (or the
    compact form's llm_cost_per_1000, core.business.evidence.compact); 0 when it records none."""
    found = evaluation.get("llm_cost_per_1000")
    if found is None and isinstance(evaluation.get("llm"), Mapping):
        found = evaluation["llm"].get("cost_per_1000")
    try:
        number = float(found) if found is not None else 0.0
    except (TypeError, ValueError):
        return 0.0
    return number if np.isfinite(number) and number > 0 else 0.0


def running_cost(payoff: Payoff, kind: str, cost_per_1000: float) -> float:
    """Money per year for running the model on every decision: cost per 1,000 / 1,000 x the kind's yearly volume."""
    cost = float(cost_per_1000 or 0.0)
    if not np.isfinite(cost) or cost <= 0:
        return 0.0
    return cost / 1000.0 * float(getattr(payoff, VOLUME_FIELD[kind]))


def with_running_cost(case: BusinessCase, payoff: Payoff, cost_per_1000: float) -> BusinessCase:
    """The case with the yearly running cost subtracted from its value, interval and curve (unchanged at 0)."""
    yearly = running_cost(payoff, case.kind, cost_per_1000)
    if yearly == 0:
        return case
    return replace(case, value=case.value - yearly, low=case.low - yearly, high=case.high - yearly,
                   curve_y=tuple(value - yearly for value in case.curve_y), running_cost=yearly,
                   cost_per_1000=float(cost_per_1000))


# ---- economics ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Economics:
    """Value against the projected twelve-month cost: net benefit, ROI and payback, with the value's interval."""

    value: float
    low: float
    high: float
    cost: float
    net: float
    net_low: float
    net_high: float
    roi: float | None  # (value - cost) / cost; None when nothing is spent
    payback_months: float | None  # months of value that pay the year's cost; None when value <= 0


def economics(case: BusinessCase, cost_per_year: float) -> Economics:
    cost = float(cost_per_year)
    roi = (case.value - cost) / cost if cost > 0 else None
    payback = 12.0 * cost / case.value if case.value > 0 else None
    return Economics(case.value, case.low, case.high, cost, case.value - cost, case.low - cost, case.high - cost,
                     roi, payback)


#: ROI bands of the measured value criterion; the score is at most 2 when the value's interval covers 0.
ROI_BANDS = ((4.0, 5), (1.0, 4), (0.0, 3), (-0.5, 2))


def value_band(figures: Economics, covers_zero: bool) -> int:
    """A 1-5 value score from the return on the projected cost (no cost: 5 for a positive value)."""
    if figures.roi is None:
        score = 5 if figures.value > 0 else 1
    else:
        score = next((s for limit, s in ROI_BANDS if figures.roi >= limit), 1)
    return min(score, 2) if covers_zero else score


def payoff_fields(use_case: str) -> Sequence[str]:
    """The payoff fields a person edits for a use case (none for a custom one)."""
    kind = payoff_kind(use_case)
    return FIELDS[kind] if kind else ()
