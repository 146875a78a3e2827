"""Does a model really beat the baseline on the same test set? McNemar's test and a paired bootstrap CI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from core.selection.compare import SelectionError

EXACT_BELOW = 25  # b + c below this: exact binomial test; otherwise chi-square with continuity correction


@dataclass(frozen=True)
class McNemarResult:
    """Discordant pairs and the test: b = A right & B wrong, c = A wrong & B right."""

    b: int
    c: int
    statistic: float
    p_value: float
    method: str  # exact | chi2
    n: int


@dataclass(frozen=True)
class BaselineComparison:
    """A model against the baseline on one test set: accuracies, difference with CI, McNemar, verdict."""

    model: str
    baseline: str
    accuracy: float
    baseline_accuracy: float
    difference: float  # accuracy - baseline_accuracy, as a fraction
    ci_low: float
    ci_high: float
    confidence: float
    mcnemar: McNemarResult
    alpha: float
    verdict: str  # better | worse | no_difference

    @property
    def p_value(self) -> float:
        return self.mcnemar.p_value


def _arrays(y_true: Sequence[int], pred_a: Sequence[int], pred_b: Sequence[int]) -> tuple[np.ndarray, ...]:
    arrays = [np.asarray(values).reshape(-1) for values in (y_true, pred_a, pred_b)]
    if len({len(values) for values in arrays}) != 1:
        raise SelectionError("errors.selection.length_mismatch", sizes=", ".join(str(len(a)) for a in arrays))
    if len(arrays[0]) == 0:
        raise SelectionError("errors.selection.no_predictions")
    return tuple(arrays)


def mcnemar(y_true: Sequence[int], pred_a: Sequence[int], pred_b: Sequence[int]) -> McNemarResult:
    """McNemar's test on paired predictions: exact two-sided binomial when b + c < 25, else chi-square (corrected)."""
    from scipy import stats

    truth, a, b_pred = _arrays(y_true, pred_a, pred_b)
    right_a, right_b = a == truth, b_pred == truth
    b = int(np.sum(right_a & ~right_b))
    c = int(np.sum(~right_a & right_b))
    discordant = b + c
    if discordant == 0:
        return McNemarResult(b, c, 0.0, 1.0, "exact", len(truth))
    if discordant < EXACT_BELOW:
        p_value = min(1.0, 2.0 * float(stats.binom.cdf(min(b, c), discordant, 0.5)))
        return McNemarResult(b, c, float(min(b, c)), p_value, "exact", len(truth))
    statistic = (abs(b - c) - 1.0) ** 2 / discordant
    return McNemarResult(b, c, float(statistic), float(stats.chi2.sf(statistic, 1)), "chi2", len(truth))


def bootstrap_accuracy_difference(
    y_true: Sequence[int], pred_a: Sequence[int], pred_b: Sequence[int], *,
    n_resamples: int = 2000, confidence: float = 0.95, random_state: int = 0,
) -> tuple[float, float, float]:
    """(accuracy A - accuracy B, low, high): percentile CI from resampling test examples with replacement."""
    if not 0 < confidence < 1 or n_resamples < 1:
        raise ValueError("confidence must be in (0, 1) and n_resamples >= 1; pass e.g. confidence=0.95.")
    truth, a, b = _arrays(y_true, pred_a, pred_b)
    delta = (a == truth).astype(np.float64) - (b == truth).astype(np.float64)
    rng = np.random.default_rng(random_state)
    n = len(delta)
    diffs = np.empty(n_resamples)
    chunk = max(1, 2_000_000 // n)  # bound memory: at most ~2M indices at a time
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        diffs[start:stop] = delta[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(delta.mean()), float(low), float(high)


def beats_baseline(
    y_true: Sequence[int], pred_model: Sequence[int], pred_baseline: Sequence[int], *,
    model: str = "model", baseline: str = "baseline", alpha: float = 0.05,
    n_resamples: int = 2000, confidence: float = 0.95, random_state: int = 0,
) -> BaselineComparison:
    """Verdict "better" / "worse" when McNemar's p < alpha (sign from the accuracy difference), else "no_difference"."""
    truth, pred, base = _arrays(y_true, pred_model, pred_baseline)
    test = mcnemar(truth, pred, base)
    diff, low, high = bootstrap_accuracy_difference(truth, pred, base, n_resamples=n_resamples,
                                                    confidence=confidence, random_state=random_state)
    verdict = "no_difference"
    if test.p_value < alpha and diff != 0:
        verdict = "better" if diff > 0 else "worse"
    return BaselineComparison(
        model=model, baseline=baseline, accuracy=float(np.mean(pred == truth)),
        baseline_accuracy=float(np.mean(base == truth)), difference=diff, ci_low=low, ci_high=high,
        confidence=confidence, mcnemar=test, alpha=alpha, verdict=verdict,
    )


def compare_with_baseline(
    evaluations: Mapping[str, Mapping[str, Any]], baseline: str, **options: Any,
) -> dict[str, BaselineComparison]:
    """{model: BaselineComparison} from evaluation.json dicts ({model: evaluation}) holding y_true / y_pred.

    Models whose evaluation lacks y_pred (runs from before it was recorded) are left out; different
    test labels mean different splits and are refused.
    """
    if baseline not in evaluations or "y_pred" not in evaluations[baseline]:
        raise SelectionError("errors.selection.baseline_predictions_missing", baseline=baseline)
    reference = evaluations[baseline]
    truth = np.asarray(reference["y_true"])
    results = {}
    for model, evaluation in evaluations.items():
        if model == baseline or "y_pred" not in evaluation or "y_true" not in evaluation:
            continue
        if not np.array_equal(np.asarray(evaluation["y_true"]), truth):
            raise SelectionError("errors.selection.test_labels_differ", model=model, baseline=baseline)
        results[model] = beats_baseline(truth, evaluation["y_pred"], reference["y_pred"],
                                        model=model, baseline=baseline, **options)
    return results
