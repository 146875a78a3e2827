"""Classification metrics against a hand-worked 3-class example and scikit-learn as an independent reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.evaluation.metrics import classification_metrics, confusion_matrix, mae, misclassified, rmse, top_k

CLASSES = ["cat", "dog", "bird"]
Y_TRUE = np.array([0, 0, 0, 1, 1, 1, 2, 2])
Y_PRED = np.array([0, 0, 1, 1, 1, 2, 2, 0])


def _probabilities(predicted, confidence=None, k=3):
    """Rows whose argmax is `predicted`, with the given top probability."""
    confidence = np.full(len(predicted), 0.6) if confidence is None else np.asarray(confidence)
    rows = np.tile((1.0 - confidence)[:, None] / (k - 1), (1, k))
    rows[np.arange(len(predicted)), predicted] = confidence
    return rows


def test_hand_worked_three_class_example():
    # Confusion (rows true, cols predicted): cat [2,1,0], dog [0,2,1], bird [1,0,1].
    # Accuracy 5/8. Precision: cat 2/3, dog 2/3, bird 1/2; recall the same; F1 2/3, 2/3, 1/2.
    # Macro-F1 = (2/3 + 2/3 + 1/2) / 3 = 11/18.
    result = classification_metrics(Y_TRUE, _probabilities(Y_PRED), CLASSES)
    assert result["accuracy"] == 5 / 8
    assert result["macro_f1"] == pytest.approx(11 / 18, abs=1e-12)
    assert result["confusion_matrix"] == [[2, 1, 0], [0, 2, 1], [1, 0, 1]]
    assert result["n_samples"] == 8
    per_class = {row["class"]: row for row in result["per_class"]}
    assert [row["class"] for row in result["per_class"]] == CLASSES
    assert per_class["cat"] == pytest.approx({"class": "cat", "precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3,
                                              "support": 3})
    assert per_class["bird"]["precision"] == 0.5 and per_class["bird"]["recall"] == 0.5
    assert per_class["bird"]["support"] == 2
    assert isinstance(result["confusion_matrix"][0][0], int)


def test_matches_scikit_learn_on_random_data():
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
    from sklearn.metrics import confusion_matrix as sk_confusion

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 5, 300)
    y_prob = rng.dirichlet(np.ones(5), 300)
    y_pred = y_prob.argmax(axis=1)
    result = classification_metrics(y_true, y_prob, list("abcde"))
    assert result["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert result["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert result["confusion_matrix"] == sk_confusion(y_true, y_pred).tolist()
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    np.testing.assert_allclose([row["f1"] for row in result["per_class"]], f1)
    np.testing.assert_array_equal([row["support"] for row in result["per_class"]], support)


def test_absent_class_does_not_drag_macro_f1_and_undefined_scores_are_zero():
    result = classification_metrics(Y_TRUE, _probabilities(Y_PRED, k=4), CLASSES + ["fish"])
    assert result["macro_f1"] == pytest.approx(11 / 18)  # fish: no support, never predicted
    fish = result["per_class"][3]
    assert fish == {"class": "fish", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    # A class never predicted but present: precision 0 (undefined), recall 0, and it counts in the macro.
    never = classification_metrics([0, 1, 1], _probabilities(np.array([0, 0, 0]), k=2), ["a", "b"])
    assert never["per_class"][1]["precision"] == 0.0 and never["per_class"][1]["recall"] == 0.0
    # a: precision 1/3, recall 1 -> F1 0.5; b: 0 -> macro 0.25
    assert never["macro_f1"] == pytest.approx(0.25)


def test_binary_one_dimensional_probabilities():
    result = classification_metrics([0, 1, 1, 0], np.array([0.2, 0.9, 0.4, 0.7]), ["good", "bad"])
    assert result["confusion_matrix"] == [[1, 1], [1, 1]]
    assert result["accuracy"] == 0.5


@pytest.mark.parametrize(
    "y_true,y_prob,names,match",
    [
        ([0, 1], np.ones((2, 2)) / 2, ["a", "b", "c"], r"shape \(n, 3\)"),
        ([0, 1, 2], np.ones((2, 3)) / 3, ["a", "b", "c"], "one label per row"),
        ([0, 5], np.ones((2, 3)) / 3, ["a", "b", "c"], "outside 0..2"),
        ([], np.zeros((0, 3)), ["a", "b", "c"], "at least one"),
        ([0, 1], np.array([0.1, 0.2]), ["a", "b", "c"], "1-D"),
    ],
)
def test_bad_inputs_name_the_fix(y_true, y_prob, names, match):
    with pytest.raises(ValueError, match=match):
        classification_metrics(y_true, y_prob, names)


def test_confusion_matrix_rows_are_true_columns_predicted():
    assert confusion_matrix([0, 0, 1], [1, 1, 1], 2).tolist() == [[0, 2], [0, 1]]


def test_top_k_orders_by_probability():
    assert top_k([0.1, 0.6, 0.3], CLASSES) == [("dog", 0.6), ("bird", 0.3), ("cat", 0.1)]
    assert top_k(np.array([0.4, 0.2, 0.4]), CLASSES, k=2) == [("cat", 0.4), ("bird", 0.4)]  # ties: lower index
    assert top_k([0.1, 0.6, 0.3], CLASSES, k=10) == top_k([0.1, 0.6, 0.3], CLASSES, k=3)
    assert isinstance(top_k([0.5, 0.5], ["a", "b"])[0][1], float)
    with pytest.raises(ValueError, match="one per class"):
        top_k([0.5, 0.5], CLASSES)


def test_misclassified_most_confident_mistakes_first():
    confidence = [0.9, 0.5, 0.7, 0.9, 0.5, 0.95, 0.9, 0.8]
    probabilities = _probabilities(Y_PRED, confidence)
    # wrong: index 2 (0.7), 5 (0.95), 7 (0.8) -> 5, 7, 2
    assert misclassified(Y_TRUE, probabilities) == [5, 7, 2]
    assert misclassified(Y_TRUE, probabilities, limit=2) == [5, 7]
    assert misclassified(Y_PRED, probabilities) == []
    assert misclassified([], np.zeros((0, 3))) == []


def test_classification_evaluation_by_hand():
    from core.evaluation.metrics import classification_evaluation

    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    evaluation = classification_evaluation(np.array([0, 1, 1, 0]), probabilities, ["neg", "pos"], mistakes=5)
    assert evaluation["accuracy"] == 0.5 and evaluation["y_pred"] == [0, 1, 0, 1]
    assert evaluation["confusion_matrix"] == [[1, 1], [1, 1]]
    # the surer mistake first: row 2 said "neg" at 0.7, row 3 said "pos" at 0.6
    assert evaluation["misclassified"] == [{"index": 2, "true": 1, "predicted": 0, "confidence": 0.7},
                                           {"index": 3, "true": 0, "predicted": 1, "confidence": 0.6}]
    assert classification_evaluation(np.array([0, 1, 1, 0]), probabilities, ["neg", "pos"],
                                     mistakes=1)["misclassified"][0]["index"] == 2


def test_evaluation_stores_each_rows_top_probability_and_split_predictions():
    from core.evaluation.metrics import classification_evaluation, split_predictions

    probabilities = np.array([[0.7, 0.3], [0.2, 0.8], [0.55, 0.45]])
    stored = classification_evaluation(np.array([0, 0, 0]), probabilities, ["a", "b"], mistakes=5)
    assert stored["confidence"] == [0.7, 0.8, 0.55] and stored["y_pred"] == [0, 1, 0]
    assert split_predictions([1, 1, 0], probabilities) == {"y_true": [1, 1, 0], "y_pred": [0, 1, 0],
                                                            "confidence": [0.7, 0.8, 0.55]}


def test_rmse_and_mae_by_hand():
    # errors 1, -2, 0 -> squares 1, 4, 0 -> mean 5/3
    assert rmse([3, 2, 5], [4, 0, 5]) == pytest.approx(math.sqrt(5 / 3))
    assert mae([3, 2, 5], [4, 0, 5]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="equally long"):
        rmse([1, 2], [1])


def test_wilson_interval_by_hand():
    from core.evaluation.metrics import wilson_interval

    # 8 of 10 at 90 %: z = 1.6449; centre = (0.8 + z^2/20) / (1 + z^2/10) = 0.93529 / 1.27057 = 0.73612
    # half = z * sqrt(0.016 + z^2/400) / 1.27057 = 1.6449 * sqrt(0.022764) / 1.27057 = 0.24818 / 1.27057 = 0.19533
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.5408, abs=2e-4) and high == pytest.approx(0.9314, abs=2e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(500, 500)[1] == pytest.approx(1.0)
