"""Metrics a stakeholder can read: accuracy, macro-F1, confusion matrix, per-class scores; RMSE and MAE of ratings.

NumPy and scikit-learn (no TensorFlow), so the Runs and Strategy pages can recompute them cheaply.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def _as_probabilities(y_prob: np.ndarray, num_classes: int) -> np.ndarray:
    """(n, k) probabilities; a 1-D array is read as P(class 1) of a binary task."""
    probabilities = np.asarray(y_prob, dtype=np.float64)
    if probabilities.ndim == 1:
        if num_classes != 2:
            raise ValueError(
                f"y_prob is 1-D but there are {num_classes} classes; pass an (n, {num_classes}) probability array."
            )
        probabilities = np.stack([1.0 - probabilities, probabilities], axis=1)
    if probabilities.ndim != 2 or probabilities.shape[1] != num_classes:
        raise ValueError(
            f"y_prob has shape {probabilities.shape} but there are {num_classes} class names; "
            f"pass one probability column per class, shape (n, {num_classes})."
        )
    return probabilities


def _as_labels(y_true: np.ndarray, n: int, num_classes: int) -> np.ndarray:
    labels = np.asarray(y_true).reshape(-1)
    if len(labels) != n:
        raise ValueError(f"y_true has {len(labels)} labels but y_prob has {n} rows; pass one label per row.")
    if n == 0:
        raise ValueError("No samples to evaluate; pass at least one labelled example.")
    labels = labels.astype(np.int64)
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"y_true holds class indices outside 0..{num_classes - 1}; pass indices into class_names."
        )
    return labels


NO_ANSWER = -1  # the predicted class of a row with no probability at all (an LLM's answer outside the labels)


def predicted_classes(probabilities: np.ndarray) -> np.ndarray:
    """The most likely class of each row; NO_ANSWER where a row gives no class any probability (counted wrong)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    predicted = probabilities.argmax(axis=1)
    predicted[probabilities.sum(axis=1) <= 0] = NO_ANSWER
    return predicted


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts with rows = true class, columns = predicted class (every class, even an absent one); a row without
    an answer (NO_ANSWER) is in no column, so the diagonal over all rows is the accuracy."""
    from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

    return sklearn_confusion_matrix(np.asarray(y_true, dtype=np.int64).reshape(-1),
                                    np.asarray(y_pred, dtype=np.int64).reshape(-1),
                                    labels=np.arange(num_classes)).astype(np.int64)


def classification_metrics(y_true, y_prob, class_names: Sequence[str]) -> dict:
    """Accuracy, macro-F1, confusion matrix and per-class precision/recall/F1/support.

    Macro-F1 averages over the classes that occur in y_true or in the predictions (as
    scikit-learn does without `labels`), so a class absent from a small test set does not
    count as a zero. Undefined precision/recall (no predictions / no support) is 0.
    """
    names = [str(name) for name in class_names]
    k = len(names)
    probabilities = _as_probabilities(y_prob, k)
    labels = _as_labels(y_true, len(probabilities), k)
    predicted = predicted_classes(probabilities)
    from sklearn.metrics import precision_recall_fscore_support

    matrix = confusion_matrix(labels, predicted, k)
    precision, recall, f1, support = precision_recall_fscore_support(labels, predicted, labels=np.arange(k),
                                                                     zero_division=0)
    present = (support > 0) | (matrix.sum(axis=0) > 0)
    return {
        "accuracy": float(np.trace(matrix) / len(labels)),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "confusion_matrix": matrix.tolist(),
        "per_class": [
            {
                "class": names[index],
                "precision": float(precision[index]),
                "recall": float(recall[index]),
                "f1": float(f1[index]),
                "support": int(support[index]),
            }
            for index in range(k)
        ],
        "n_samples": int(len(labels)),
    }


def top_k(probabilities_row, class_names: Sequence[str], k: int = 3) -> list[tuple[str, float]]:
    """The k most likely classes of one prediction, most likely first (ties: lower index first)."""
    row = np.asarray(probabilities_row, dtype=np.float64).reshape(-1)
    if len(row) != len(class_names):
        raise ValueError(f"Got {len(row)} probabilities for {len(class_names)} class names; pass one per class.")
    order = np.argsort(-row, kind="stable")[: max(0, int(k))]
    return [(str(class_names[index]), float(row[index])) for index in order]


def misclassified(y_true, y_prob, *, limit: int = 24) -> list[int]:
    """Indices of wrong predictions, most confident mistakes first: the ones worth showing."""
    probabilities = np.asarray(y_prob, dtype=np.float64)
    if probabilities.ndim == 1:
        probabilities = np.stack([1.0 - probabilities, probabilities], axis=1)
    labels = _as_labels(y_true, len(probabilities), probabilities.shape[1]) if len(probabilities) else np.array([])
    if not len(probabilities):
        return []
    predicted = predicted_classes(probabilities)
    wrong = np.flatnonzero(predicted != labels)
    confidence = np.where(predicted[wrong] == NO_ANSWER, 0.0, probabilities[wrong, np.maximum(predicted[wrong], 0)])
    order = np.argsort(-confidence, kind="stable")
    return [int(index) for index in wrong[order][: max(0, int(limit))]]


def classification_evaluation(y_true, probabilities, class_names: Sequence[str], *, mistakes: int) -> dict:
    """What a run stores about a classifier's test split: metrics, both label lists, its surest mistakes.

    probabilities is (n, classes); each mistake is {index, true, predicted, confidence}; "confidence" holds
    every row's top probability (what the business case automates on).
    """
    probabilities = np.asarray(probabilities)
    report = classification_metrics(y_true, probabilities, class_names)
    predicted = predicted_classes(probabilities)
    return {
        "accuracy": float(report["accuracy"]),
        "macro_f1": float(report["macro_f1"]),
        "confusion_matrix": [[int(v) for v in row] for row in report["confusion_matrix"]],
        "per_class": report["per_class"],
        "class_names": list(class_names),
        "y_true": [int(v) for v in y_true],
        "y_pred": [int(v) for v in predicted],
        "no_answer": int(np.sum(predicted == NO_ANSWER)),
        "confidence": [round(float(v), 5) for v in probabilities.max(axis=1)],
        "misclassified": [
            {"index": int(i), "true": int(y_true[i]), "predicted": int(predicted[i]),
             "confidence": float(probabilities[i, predicted[i]]) if predicted[i] != NO_ANSWER else 0.0}
            for i in misclassified(y_true, probabilities, limit=mistakes)
        ],
    }


def split_predictions(y_true, probabilities) -> dict:
    """One split's labels, predictions and top probabilities (stored as evaluation["validation"], so the
    business case picks its automation cut-off on data the test figures never saw)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    return {"y_true": [int(v) for v in np.asarray(y_true).reshape(-1)],
            "y_pred": [int(v) for v in predicted_classes(probabilities)],
            "confidence": [round(float(v), 5) for v in probabilities.max(axis=1)]}


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error of predicted ratings."""
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"rmse needs two equally long non-empty arrays, got {y_true.shape} and {y_pred.shape}.")
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error of predicted ratings."""
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"mae needs two equally long non-empty arrays, got {y_true.shape} and {y_pred.shape}.")
    return float(np.mean(np.abs(y_true - y_pred)))


def wilson_interval(successes: int, total: int, *, level: float = 0.90) -> tuple[float, float]:
    """The Wilson score interval of a proportion (accuracy on `total` scored rows): how sure a figure measured on a
    sample is. (0, 1) when nothing was scored."""
    from scipy import stats

    if total <= 0:
        return 0.0, 1.0
    z = float(stats.norm.ppf(0.5 + level / 2))
    share = successes / total
    centre = (share + z * z / (2 * total)) / (1 + z * z / total)
    half = z * np.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))
