"""The recommendation adapter in the real pipeline (MLflow tracker), recommendations, reasons and cold start."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from core.training.pipeline import build_candidate
from core.config import get_settings
from core.errors import DataError
from core.contract import registry
from core.contract.usecase import DatasetSource
from core.usecases.recommendation import recommend as rec
from core.usecases.recommendation import USE_CASE
from core.usecases.recommendation.adapter import ADAPTER, ranking_report
from core.usecases.recommendation.data import build_rating_dataset

GENRES = ["Action|Thriller", "Comedy", "Drama|Romance"]


def toy_ratings(seed: int = 0, **_: object):
    """40 users, 30 items in 3 genres; users love one genre (5) and dislike the others (1-2)."""
    rng = np.random.default_rng(0)
    rows = []
    for user in range(40):
        taste = user % 3
        for item in rng.choice(30, 18, replace=False):
            rating = 5.0 if item % 3 == taste else float(rng.choice([1.0, 2.0]))
            rows.append((f"u{user}", f"i{item}", rating, int(rng.integers(0, 10**6))))
    frame = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"])
    frame["rating"] = frame["rating"].astype(np.float32)
    frame.attrs.update(implicit=False, has_timestamp=True)
    info = pd.DataFrame({"title": [f"Movie {i}" for i in range(30)], "genres": [GENRES[i % 3] for i in range(30)],
                         "year": [2000 + i for i in range(30)]}, index=[f"i{i}" for i in range(30)])
    return build_rating_dataset(frame, seed=seed, dataset_id="toy", title="toy", source_kind="bundled",
                                provenance="generated", licence="CC0", scale=(0.5, 5.0), item_info=info)


@pytest.fixture(scope="module")
def toy():
    return toy_ratings()


@pytest.fixture()
def tracked(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    use_case = dataclasses.replace(USE_CASE, datasets=(
        DatasetSource("toy", "recommendation.datasets.movielens.title", "bundled", f"{__name__}:toy_ratings"),))
    monkeypatch.setitem(registry.USE_CASES, "recommendation", use_case)
    from core.tracking.store import tracker_from_settings

    yield tracker_from_settings(get_settings())
    get_settings.cache_clear()


@pytest.mark.slow
@pytest.mark.parametrize("candidate, side_columns", [("mf", 0), ("mf_side", 37)])
def test_pipeline_trains_logs_and_reloads_matrix_factorisation(tracked, candidate, side_columns):
    from core.training.pipeline import run_training, TrainingSpec
    from core.training.saved_runs import load_run_model
    from core.training.runner import TrainConfig

    spec = TrainingSpec("recommendation", "toy", candidate, TrainConfig(epochs=2, batch_size=64, learning_rate=0.01))
    outcome = run_training(spec, tracker=tracked)
    assert outcome.status == "completed"
    for name in ("test_rmse", "test_mae", "test_hit_rate_at_10", "test_ndcg_at_10", "test_coverage_at_10",
                 "latency_p50_ms", "train_seconds", "parameters"):
        assert name in outcome.metrics
    assert {"rmse", "val_rmse", "loss", "val_loss"} <= set(outcome.history)
    run = tracked.get_run(outcome.run_id)
    assert run.data.params["num_users"] == "40" and run.data.params["num_items"] == "30"
    model = load_run_model(tracked, outcome.run_id)
    evaluation = tracked.load_dict(outcome.run_id, "evaluation.json")
    assert evaluation["rank_users"] == 40 and len(evaluation["ranks"]) == 40
    assert evaluation["rmse"] == pytest.approx(outcome.metrics["test_rmse"])
    assert evaluation["item_side_features"] == side_columns
    assert rec.embedding_map(model, toy_ratings(), top_n=10)["titles"]


def test_pipeline_fits_the_bias_baseline_with_rmse_curves(tracked):
    from core.training.pipeline import run_training, TrainingSpec

    outcome = run_training(TrainingSpec("recommendation", "toy", "bias"), tracker=tracked)
    assert outcome.history["rmse"][0] == pytest.approx(np.sqrt(outcome.history["loss"][0]))
    assert outcome.metrics["test_rmse"] < 1.9  # the toy ratings' spread around their mean is ~1.9
    assert outcome.metrics["parameters"] == 40 + 30 + 1


def test_ranking_report_by_hand_with_an_oracle_model(toy):
    class Oracle:
        """Scores the held-out item of each user highest: every rank is 1."""

        def __init__(self, dataset):
            self.held = dict(zip(dataset.extra["rank_users"].tolist(), dataset.extra["rank_items"].tolist()))

        def score_items(self, users):
            scores = np.zeros((len(users), 30), dtype=np.float32)
            for row, user in enumerate(users):
                scores[row, self.held[int(user)]] = 1.0
            return scores

        def predict(self, x):
            return np.full(len(x["user"]), 3.0)

    report = ranking_report(Oracle(toy), toy)
    assert report["hit_rate"] == 1.0 and report["ndcg"] == 1.0 and set(report["ranks"]) == {1}
    evaluation = ADAPTER.evaluate(Oracle(toy), "sklearn", toy, latency=False)
    assert ADAPTER.metrics(evaluation)["test_ndcg_at_10"] == 1.0


def test_recommendations_exclude_rated_items_and_explain_with_liked_items(toy):
    import keras

    from core.usecases.recommendation.models import build_matrix_factorization

    keras.utils.set_random_seed(0)
    model = build_matrix_factorization(40, 30, embedding_dim=8, l2=0.01, global_mean=3.0)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mean_squared_error")
    model.fit(toy.x_train, toy.y_train, epochs=30, batch_size=128, verbose=0)
    user = rec.user_index(toy, "u0")  # loves genre 0: Action|Thriller
    rated = set(rec.rated_items(toy)[user].tolist())
    items = rec.recommend(model, toy, user, k=5)
    assert len(items) == 5 and not rated & {entry["item"] for entry in items}
    assert sum(entry["genres"] == GENRES[0] for entry in items) >= 3
    reason = items[0]["reason"]
    assert reason["kind"] == "similar" and reason["liked"]["genres"] == GENRES[0]
    assert rec.predict_rating(model, toy, "u0", items[0]["id"]) <= 5.0


def test_unknown_ids_raise_a_clear_data_error(toy):
    with pytest.raises(DataError, match="User 'nobody' was never seen.*cold-start"):
        rec.user_index(toy, "nobody")
    with pytest.raises(DataError, match="Item 'i99' was never seen"):
        rec.item_index(toy, "i99")


def test_cold_start_is_popularity_optionally_by_genre(toy):
    everyone = rec.cold_start(toy, k=5, min_ratings=1)
    counts = [entry["train_ratings"] for entry in everyone["items"]]
    assert counts == sorted(counts, reverse=True) and len(counts) == 5
    drama = rec.cold_start(toy, genre="Romance", k=3, min_ratings=1)
    assert all("Romance" in entry["genres"] for entry in drama["items"])
    with pytest.raises(DataError, match="No item has the genre 'Western'"):
        rec.cold_start(toy, genre="Western")
    assert rec.genres(toy) == ["Action", "Comedy", "Drama", "Romance", "Thriller"]


def test_baseline_reasons_are_popularity(toy):
    from core.usecases.recommendation.models import build_popularity

    model = build_popularity(40, 30).fit(toy.x_train, toy.y_train)
    items = rec.recommend(model, toy, 0, k=3)
    assert [entry["reason"]["kind"] for entry in items] == ["popular"] * 3
    assert rec.embedding_map(model, toy) is None


def test_bias_baseline_reasons_name_the_item_bias(toy):
    from core.usecases.recommendation.models import build_bias_baseline

    model = build_bias_baseline(40, 30).fit(toy.x_train, toy.y_train)
    items = rec.recommend(model, toy, 0, k=3)
    assert [entry["reason"]["kind"] for entry in items] == ["well_liked"] * 3
    assert items[0]["reason"]["bias"] == pytest.approx(float(model.item_bias_[items[0]["item"]]))


def test_a_rating_floor_leaves_rarely_rated_items_out(toy):
    from core.usecases.recommendation.models import build_bias_baseline

    model = build_bias_baseline(40, 30).fit(toy.x_train, toy.y_train)
    counts = np.bincount(toy.x_train["item"], minlength=30)
    floor = int(np.median(counts)) + 1
    items = rec.recommend(model, toy, 0, k=30, min_train_ratings=floor)
    assert items and all(entry["train_ratings"] >= floor for entry in items)
    assert len(rec.recommend(model, toy, 0, k=30)) > len(items)


def test_a_known_user_without_training_ratings_is_sent_to_cold_start():
    frame = pd.DataFrame({"user": ["a"] * 6 + ["b"] * 6 + ["c"], "item": [f"i{i}" for i in range(6)] * 2 + ["i0"],
                          "rating": np.float32([4, 3, 5, 2, 1, 4] * 2 + [5]), "timestamp": np.arange(13)})
    frame.attrs.update(implicit=False, has_timestamp=True)
    for seed in range(50):  # a seed that puts c's single rating into test or validation
        dataset = build_rating_dataset(frame, seed=seed, dataset_id="t", title="t", source_kind="uploaded",
                                       provenance="", licence="", scale=(1, 5))
        if not np.any(dataset.x_train["user"] == 2):
            break
    from core.usecases.recommendation.models import build_popularity

    model = build_popularity(3, 6).fit(dataset.x_train, dataset.y_train)
    with pytest.raises(DataError, match="User 'c' has no ratings in the training split.*cold-start"):
        rec.recommend(model, dataset, 2)


def test_adapter_gives_matrix_factorisation_the_datasets_genres_and_years(toy):
    from core.usecases.recommendation.adapter import side_feature_count, side_features, side_summary

    candidate = USE_CASE.candidate("mf_side")
    model = build_candidate(candidate, ADAPTER, toy, seed=0)
    table = model.get_layer("item_side_table").get_weights()[0]
    # 5 genres + unknown year + 31 year buckets; item i has GENRES[i % 3] and year 2000 + i
    assert table.shape == (30, 5 + 1 + 31) and side_feature_count(model) == 37
    assert table == pytest.approx(side_features(toy))
    row = list(toy.extra["item_ids"]).index("i0")  # "Action|Thriller", 2000
    assert table[row, :5].tolist() == [0.5, 0.0, 0.0, 0.0, 0.5]  # Action, Comedy, Drama, Romance, Thriller
    assert side_summary(toy) == (5, 30)
    plain = build_candidate(USE_CASE.candidate("mf"), ADAPTER, toy, seed=0)
    assert side_feature_count(plain) == 0


def test_side_feature_model_is_plain_matrix_factorisation_without_item_info(toy):
    from core.usecases.recommendation.adapter import side_feature_count, side_summary

    bare = dataclasses.replace(toy, extra={**toy.extra, "genres": np.array(["(unknown)"] * 30, dtype=object),
                                           "years": np.full(30, np.nan)})
    model = build_candidate(USE_CASE.candidate("mf_side"), ADAPTER, bare, seed=0)
    assert side_feature_count(model) == 0 and side_summary(bare) == (0, 0)
    evaluation = ADAPTER.evaluate(model, "keras", bare, latency=False)
    assert evaluation["item_side_features"] == 0
