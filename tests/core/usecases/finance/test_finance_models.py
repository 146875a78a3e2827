"""Credit models: raw rows in, P(bad) out; safe-mode save/load round trip; unseen categories; the pipeline."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from core.usecases.finance.adapter import ADAPTER, score_applicant, unseen_categories
from core.usecases.finance.data import table_dataset
from core.usecases.finance.models import build_gradient_boosting, build_scorecard, build_wide_and_deep, predict_bad


def _tiny(seed=0, n=240):
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, n)
    home = rng.choice(["rent", "own", "parents"], n)
    risk = -0.08 * (income - 50) + np.where(home == "rent", 1.0, -0.5)
    bad = rng.uniform(size=n) < 1 / (1 + np.exp(-risk))
    income[::17] = np.nan
    return pd.DataFrame({"Income": income, "Home": home, "Status": np.where(bad, "bad", "good")})


@pytest.fixture(scope="module")
def tiny():
    return table_dataset(_tiny(), target="Status", bad_value="bad", seed=0, dataset_id="tiny", title="tiny",
                         source_kind="bundled")


@pytest.fixture(scope="module")
def wide_deep(tiny):
    import keras

    keras.utils.set_random_seed(0)
    model = build_wide_and_deep(tiny.extra["features"], tiny.x_train, units=(8,))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy", metrics=[])
    from core.usecases.finance.models import keras_inputs

    model.fit(keras_inputs(model, tiny.x_train), tiny.y_train.astype("float32"), epochs=3, batch_size=32, verbose=0)
    return model


@pytest.mark.slow
def test_wide_and_deep_round_trip_in_safe_mode_gives_the_same_probabilities(tiny, wide_deep, tmp_path):
    from core.models.io import load_model, save_model

    before = predict_bad(wide_deep, tiny.x_test)
    loaded = load_model(save_model(wide_deep, tmp_path))
    after = predict_bad(loaded, tiny.x_test)
    np.testing.assert_allclose(after, before, atol=1e-6)
    assert np.all((before > 0) & (before < 1))


def test_raw_row_with_missing_number_and_unseen_category_is_scored(tiny, wide_deep):
    keys = {f["name"]: f["key"] for f in tiny.extra["features"]}
    row = {keys["Income"]: np.array([np.nan], dtype="float32"), keys["Home"]: np.array(["boat"], dtype=object)}
    score = predict_bad(wide_deep, row)
    assert score.shape == (1,) and 0 < score[0] < 1
    assert unseen_categories(tiny, row) == [("Home", "boat")]
    # Learned risk goes up with lower income (the rule that made the data).
    low = predict_bad(wide_deep, {keys["Income"]: np.array([10.0], "float32"), keys["Home"]: np.array(["own"], object)})
    high = predict_bad(wide_deep, {keys["Income"]: np.array([90.0], "float32"), keys["Home"]: np.array(["own"], object)})
    assert low[0] > high[0]


def test_scorecard_and_boosting_take_raw_columns_and_unseen_categories(tiny, tmp_path):
    from core.models.io import load_model, save_model

    for builder in (build_scorecard, build_gradient_boosting):
        model = builder(tiny.extra["features"], random_state=0).fit(tiny.x_train, tiny.y_train)
        scores = predict_bad(model, tiny.x_test)
        reloaded = load_model(save_model(model, tmp_path / builder.__name__))
        np.testing.assert_allclose(predict_bad(reloaded, tiny.x_test), scores)
        keys = [f["key"] for f in tiny.extra["features"]]
        odd = {keys[0]: np.array([np.nan], "float32"), keys[1]: np.array(["boat"], object)}
        assert 0 < predict_bad(model, odd)[0] < 1
        assert model.count_params() > 0


def test_applicant_reasons_add_up_to_the_log_odds(tiny):
    from core.usecases.finance.explain import logit

    model = build_scorecard(tiny.extra["features"], random_state=0).fit(tiny.x_train, tiny.y_train)
    applicant = {k: v[:1] for k, v in tiny.x_test.items()}
    result = score_applicant(model, tiny, applicant, threshold=0.5)
    total = sum(r["contribution"] for r in result["reasons"])
    assert total == pytest.approx(float(logit(np.array([result["score"]]))[0]) - result["base_logit"], abs=1e-6)
    assert result["decision"] == ("reject" if result["score"] >= 0.5 else "approve")
    assert {r["name"] for r in result["reasons"]} == {"Income", "Home"}


@pytest.mark.slow
def test_pipeline_trains_logs_and_reloads_finance_runs(tiny, tmp_path, monkeypatch):
    from core.config import get_settings
    from core.tracking.store import Tracker
    from core.data import cache as data_cache
    from core.training.pipeline import run_training, TrainingSpec
    from core.training.saved_runs import load_run_model
    from core.training.runner import TrainConfig
    from core.contract import registry
    from core.contract.usecase import DatasetSource
    from core.usecases.finance import USE_CASE

    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    source = DatasetSource("tiny", "finance.datasets.credit_data.title", "bundled",
                           f"{__name__}:load_tiny")
    monkeypatch.setitem(registry.USE_CASES, "finance", dataclasses.replace(USE_CASE, datasets=(source,)))
    monkeypatch.setattr(data_cache, "_DATASET_CACHE", {})
    settings = get_settings()
    tracker = Tracker(settings.tracking_uri, settings.artifact_dir)
    for candidate in ("scorecard", "wide_deep"):
        outcome = run_training(TrainingSpec("finance", "tiny", candidate, TrainConfig(epochs=1, batch_size=64)),
                               tracker=tracker, settings=settings)
        assert outcome.status == "completed"
        for name in ("test_roc_auc", "test_gini", "test_ks", "test_pr_auc", "test_accuracy", "latency_p50_ms"):
            assert name in outcome.metrics
        assert outcome.metrics["test_gini"] == pytest.approx(2 * outcome.metrics["test_roc_auc"] - 1)
        model = load_run_model(tracker, outcome.run_id)
        np.testing.assert_allclose(predict_bad(model, tiny_dataset().x_test), outcome.evaluation["scores"], atol=1e-5)
    get_settings.cache_clear()


def tiny_dataset():
    return table_dataset(_tiny(), target="Status", bad_value="bad", seed=0, dataset_id="tiny", title="tiny",
                         source_kind="bundled")


def load_tiny(*, seed=0, **_):
    return tiny_dataset()


def test_adapter_metrics_names():
    evaluation = {"roc_auc": 0.8, "gini": 0.6, "ks": 0.5, "pr_auc": 0.4, "accuracy_at_half": 0.9, "brier": 0.1,
                  "optimal": {"expected_cost": 0.3}, "p50_ms": 1.0}
    metrics = ADAPTER.metrics(evaluation)
    assert metrics["test_roc_auc"] == 0.8 and metrics["latency_p50_ms"] == 1.0 and metrics["test_accuracy"] == 0.9
