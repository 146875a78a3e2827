"""The NLP adapter inside the real pipeline (MLflow tracker), explanations by occlusion, attention, serving."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import get_settings
from core.errors import DataError
from core.data.cache import load_dataset
from core.data.uploads import store_upload
from core.tracking.run_files import EVALUATION_FILE
from core.training.saved_runs import load_run_dataset, load_run_model
from core.training.pipeline import build_candidate, fit_candidate, run_training, TrainingSpec
from core.training.runner import TrainConfig
from core.contract import registry
from core.usecases.nlp import USE_CASE
from core.usecases.nlp.data import load_text_csv

POSITIVE = ["great tasty food", "really good tea", "lovely fresh cake", "good value great taste", "tasty and good"]
NEGATIVE = ["awful stale food", "really bad tea", "horrible old cake", "bad value awful taste", "stale and bad"]


def _csv_bytes(repeat: int = 4) -> bytes:
    rows = [f'"{text} {i}",pos' for i in range(repeat) for text in POSITIVE]
    rows += [f'"{text} {i}",neg' for i in range(repeat) for text in NEGATIVE]
    return ("text,label\n" + "\n".join(rows) + "\n").encode("utf-8")


def dataset_y(spec):
    return load_dataset(spec.use_case, spec.dataset, seed=spec.config.seed, **spec.dataset_kwargs).y_test


@pytest.fixture(scope="module")
def toy_dataset():
    return load_text_csv(data=_csv_bytes(), seed=0)


@pytest.fixture()
def nlp_registered(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    monkeypatch.setitem(registry.USE_CASES, "nlp", USE_CASE)
    yield
    get_settings.cache_clear()


@pytest.mark.slow
def test_pipeline_trains_logs_and_reloads_a_keras_text_model(nlp_registered, tmp_path):
    from core.tracking.store import tracker_from_settings

    path = store_upload(_csv_bytes(), suffix=".csv")
    tracker = tracker_from_settings(get_settings())
    spec = TrainingSpec("nlp", "upload_csv", "fasttext", TrainConfig(epochs=2, batch_size=8, learning_rate=0.01),
                        {"path": str(path), "text_column": "text", "label_column": "label"})
    outcome = run_training(spec, tracker=tracker)
    assert outcome.status == "completed"
    assert 0.0 <= outcome.metrics["test_accuracy"] <= 1.0 and outcome.metrics["latency_p50_ms"] > 0
    run = tracker.get_run(outcome.run_id)
    assert run.data.params["token_split"] == "whitespace" and run.data.params["language"] == "en"
    evaluation = tracker.load_dict(outcome.run_id, EVALUATION_FILE)
    assert len(evaluation["y_true"]) == sum(sum(row) for row in evaluation["confusion_matrix"]) == len(dataset_y(spec))
    assert all("text" in mistake for mistake in evaluation["misclassified"])
    model = load_run_model(tracker, outcome.run_id)  # safe mode, raw strings in
    dataset = load_run_dataset(tracker, outcome.run_id)
    from core.usecases.nlp.serving import predict_text_proba

    reloaded = predict_text_proba(model, list(dataset.x_test)).argmax(axis=1).tolist()
    assert reloaded == evaluation["y_pred"]


def test_pipeline_trains_the_tfidf_baseline(nlp_registered):
    from core.tracking.store import tracker_from_settings

    path = store_upload(_csv_bytes(), suffix=".csv")
    tracker = tracker_from_settings(get_settings())
    outcome = run_training(TrainingSpec("nlp", "upload_csv", "tfidf_logreg", TrainConfig(epochs=1),
                                        {"path": str(path)}), tracker=tracker)
    assert outcome.status == "completed" and outcome.metrics["test_accuracy"] == 1.0  # words separate the classes


@pytest.fixture(scope="module")
def baseline(toy_dataset):
    from core.usecases.nlp.baseline import build_tfidf_logreg

    return build_tfidf_logreg(language="en").fit(toy_dataset.x_train, toy_dataset.y_train)


def test_occlusion_matches_a_hand_computed_reference(baseline, toy_dataset):
    from core.usecases.nlp.explain import explain_text

    result = explain_text(baseline, "Really GOOD tea!", kind="sklearn", class_names=toy_dataset.class_names)
    assert result["tokens"] == ["really", "good", "tea"] and result["method"] == "occlusion"
    full = baseline.predict_proba(np.array(["Really GOOD tea!"], dtype=object))[0]
    predicted = int(np.argmax(full))
    assert toy_dataset.class_names[predicted] == "pos" and result["predicted"] == predicted
    without_good = baseline.predict_proba(np.array(["really tea"], dtype=object))[0, predicted]
    assert result["contributions"][1] == pytest.approx(full[predicted] - without_good)
    assert result["contributions"][1] > result["contributions"][0]  # "good" matters more than "really"
    assert result["oov_share"] == 0.0 and not result["truncated"]


def test_try_it_bad_inputs(baseline, toy_dataset):
    from core.usecases.nlp.explain import explain_text

    with pytest.raises(DataError, match="box is empty"):
        explain_text(baseline, "  \n\t ", kind="sklearn", class_names=toy_dataset.class_names)
    unknown = explain_text(baseline, "zzz qqq 😀", kind="sklearn", class_names=toy_dataset.class_names)
    assert unknown["oov_share"] == 1.0 and unknown["unknown_tokens"] == ["zzz", "qqq", "😀"]
    assert sum(unknown["probabilities"]) == pytest.approx(1.0)
    stop_words = explain_text(baseline, "the and of", kind="sklearn", class_names=toy_dataset.class_names)
    assert stop_words["oov_share"] == pytest.approx(2 / 3)  # "and" was seen in training
    html = explain_text(baseline, "<b>good</b> &amp; tasty", kind="sklearn", class_names=toy_dataset.class_names)
    assert html["tokens"] == ["good", "tasty"] and html["changed_by_cleaning"]


@pytest.mark.slow
def test_keras_explanations_truncate_and_read_attention(toy_dataset):
    import keras

    from core.usecases.nlp.explain import attention_weights, explain_text
    from core.usecases.nlp.models import build_transformer, make_vectorizer
    from core.usecases.nlp.serving import predict_text_proba, text_latency

    keras.utils.set_random_seed(0)
    model = build_transformer(make_vectorizer(toy_dataset.x_train, sequence_length=16), 2)
    long_text = "good " * 20_000  # 100k characters
    result = explain_text(model, long_text, kind="keras", class_names=toy_dataset.class_names)
    assert result["truncated"] and result["used_tokens"] == 16 and result["token_count"] == 20_000
    direct = predict_text_proba(model, [long_text])[0]
    np.testing.assert_allclose(result["probabilities"], direct, rtol=1e-5)
    attention = attention_weights(model, "great tasty food and really good tea", max_tokens=5)
    assert attention["tokens"] == ["great", "tasty", "food", "and", "really"] and attention["truncated"]
    assert np.asarray(attention["weights"]).shape == (5, 5)
    assert text_latency(model, "good tea", repeats=5, warmup=1)["p50_ms"] > 0


def test_imported_models_must_take_raw_text_and_match_the_classes(toy_dataset):
    import keras

    from core.errors import ModelLoadError
    from core.usecases.nlp.adapter import ADAPTER
    from core.usecases.nlp.models import build_fasttext, make_vectorizer

    image_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    with pytest.raises(ModelLoadError, match="does not take raw text"):
        ADAPTER.check_imported(image_model, toy_dataset)
    three_classes = build_fasttext(make_vectorizer(toy_dataset.x_train, sequence_length=8), 3)
    with pytest.raises(ModelLoadError, match="3"):
        ADAPTER.check_imported(three_classes, toy_dataset)
    ADAPTER.check_imported(build_fasttext(make_vectorizer(toy_dataset.x_train, sequence_length=8), 2), toy_dataset)


def _rare_class_dataset():
    """Two large classes and a 3 % class ("mixed") whose only sign is one of three words among noise."""
    rng = np.random.default_rng(0)
    words = {"pos": ["good", "tasty", "fresh", "lovely", "great"], "neg": ["bad", "stale", "awful", "burnt", "old"],
             "mixed": ["okay", "average", "fine"]}
    rows = []
    for label, count in (("pos", 300), ("neg", 300), ("mixed", 18)):
        for i in range(count):
            text = " ".join([str(rng.choice(words[label])), *rng.choice(words["pos"] + words["neg"], size=4)])
            rows.append(f"{text} {i},{label}")
    return load_text_csv(data=("text,label\n" + "\n".join(rows) + "\n").encode(), seed=0)


def test_balanced_class_weights_reach_the_baseline_and_raise_the_rare_class_recall():
    import threading

    from core.usecases.nlp.adapter import ADAPTER

    dataset = _rare_class_dataset()
    rare = dataset.class_names.index("mixed")
    assert dataset.minority_class()["name"] == "mixed" and dataset.minority_class()["share"] < 0.05
    texts = list(dataset.x_val) + list(dataset.x_test)
    truth = np.concatenate([dataset.y_val, dataset.y_test])
    candidate = USE_CASE.candidate("tfidf_logreg")
    recall = {}
    for weight in (None, "balanced"):
        model = build_candidate(candidate, ADAPTER, dataset, seed=0)
        fit_candidate(model, candidate, ADAPTER, dataset, TrainConfig(class_weight=weight),
                      cancel_event=threading.Event())
        assert model.named_steps["logistic_regression"].class_weight == weight
        predicted = np.asarray(model.predict(texts))
        recall[weight] = float(np.mean(predicted[truth == rare] == rare))
    assert recall[None] == 0.0  # unweighted, the 3 % class is never predicted
    assert recall["balanced"] > 0.25


def test_balanced_class_weights_reach_the_keras_fit(toy_dataset, monkeypatch):
    import threading

    from core.training import runner
    from core.usecases.nlp.adapter import ADAPTER

    seen = {}
    def fake_fit_keras(*args, **kwargs):
        seen["config"] = args[5]
        return runner.FitResult({"loss": [0.5]}, 1, "completed", 0.1, 100.0)

    monkeypatch.setattr(runner, "fit_keras", fake_fit_keras)
    fit_candidate(None, USE_CASE.candidate("fasttext"), ADAPTER, toy_dataset, TrainConfig(class_weight="balanced"),
                  cancel_event=threading.Event())
    assert seen["config"].class_weight == "balanced"  # fit_keras turns it into n / (k * count) per class
