"""The recommendation task adapter: builds, fits and evaluates rating models inside the shared pipeline.

Protocol (see core.usecases.recommendation.data): RMSE/MAE on a random 20% of ratings; HitRate@10/NDCG@10 on each
user's last rating, which no split contains, ranked against every item the user has not rated
(their train, validation and test items are excluded). Both come from the one model trained on
x_train, so neither evaluation has seen its answers.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from core.data.dataset import Dataset
from core.errors import ModelLoadError
from core.evaluation.metrics import mae, rmse
from core.training.adapters import ClassificationAdapter
from core.usecases.recommendation import metrics as rec_metrics
from core.usecases.recommendation.data import rated_items
from core.usecases.recommendation.models import genre_names, item_side_features
from core.usecases.recommendation.recommend import is_keras, predict_pairs, score_items

if TYPE_CHECKING:
    from core.contract.usecase import Candidate

K = 10
MAX_RANK_USERS = 1000  # ranking is evaluated on at most this many users (a seeded sample)
MAX_STORED_PREDICTIONS = 20_000


def rank_users(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """The (user, held-out item) pairs ranking is evaluated on: all, or a seeded sample of MAX_RANK_USERS."""
    users, items = dataset.extra["rank_users"], dataset.extra["rank_items"]
    if len(users) > MAX_RANK_USERS:
        chosen = np.sort(np.random.default_rng(dataset.seed).choice(len(users), MAX_RANK_USERS, replace=False))
        users, items = users[chosen], items[chosen]
    return users, items


def ranking_report(model: Any, dataset: Dataset, *, k: int = K) -> dict[str, Any]:
    """Ranks of held-out items, HitRate@k, NDCG@k and catalogue coverage of everyone's top-k."""
    users, held = rank_users(dataset)
    num_items = dataset.extra["num_items"]
    if len(users) == 0:
        return {"ranks": [], "hit_rate": None, "ndcg": None, "coverage": None, "rank_users": 0}
    rated = rated_items(dataset)
    ranks, recommended = [], []
    for start in range(0, len(users), 128):
        block = users[start:start + 128]
        scores = score_items(model, block, num_items)
        for row, user, target in zip(scores, block, held[start:start + 128]):
            ranks.append(rec_metrics.rank_of(row, int(target), exclude=rated[int(user)]))
            recommended.append(rec_metrics.top_k(row, k, exclude=rated[int(user)]))
    return {"ranks": [int(r) for r in ranks], "hit_rate": rec_metrics.hit_rate_at_k(ranks, k),
            "ndcg": rec_metrics.ndcg_at_k(ranks, k), "coverage": rec_metrics.coverage(recommended, num_items),
            "rank_users": int(len(users)), "k": k}


def _single_pair_latency(model: Any, dataset: Dataset, repeats: int = 200) -> dict[str, float]:
    """p50/p95 ms of one user-item pair through a traced serving function (Keras) or predict (baselines)."""
    user = np.asarray(dataset.x_test["user"][:1], dtype=np.int32)
    item = np.asarray(dataset.x_test["item"][:1], dtype=np.int32)
    if is_keras(model):
        import tensorflow as tf

        @tf.function(input_signature=[{"user": tf.TensorSpec((None,), tf.int32, name="user"),
                                       "item": tf.TensorSpec((None,), tf.int32, name="item")}])
        def serve(inputs):
            return model(inputs, training=False)

        call = lambda: serve({"user": tf.constant(user), "item": tf.constant(item)}).numpy()  # noqa: E731
    else:
        call = lambda: model.predict({"user": user, "item": item})  # noqa: E731
    for _ in range(20):
        call()
    timings = np.empty(repeats)
    for index in range(repeats):
        start = time.perf_counter()
        call()
        timings[index] = (time.perf_counter() - start) * 1000.0
    return {"p50_ms": float(np.percentile(timings, 50)), "p95_ms": float(np.percentile(timings, 95))}


SIDE_FEATURES = "genres_year"  # a candidate's item_features hparam: use the dataset's genres and release years


def side_features(dataset: Dataset) -> np.ndarray | None:
    """The dataset's item genres and years as a side-information table, None when it has neither."""
    extra = dataset.extra
    n = extra["num_items"]
    genres = extra.get("genres")
    years = extra.get("years")
    return item_side_features(genres if genres is not None else [""] * n,
                              years if years is not None else np.full(n, np.nan))


def side_summary(dataset: Dataset) -> tuple[int, int]:
    """(distinct genres, items with a release year): what side information the dataset offers."""
    extra = dataset.extra
    genres = extra.get("genres")
    years = extra.get("years")
    names = {name for value in (genres if genres is not None else []) for name in genre_names(value)}
    with_year = int(np.isfinite(np.asarray(years, dtype=np.float64)).sum()) if years is not None else 0
    return len(names), with_year


def side_feature_count(model: Any) -> int:
    """Columns of side information a Keras model scores with (0 for plain matrix factorisation)."""
    for layer in getattr(model, "layers", []):
        if layer.name == "item_side_table":
            return int(layer.get_weights()[0].shape[1])
    return 0


class RecommendationAdapter(ClassificationAdapter):
    """Rating models: build(num_users, num_items), MSE loss, RMSE/MAE and ranking metrics."""

    loss = "mean_squared_error"

    def describe(self, dataset: Dataset) -> dict[str, Any]:
        extra = dataset.extra
        return {"num_users": extra["num_users"], "num_items": extra["num_items"],
                "num_ratings": extra["num_ratings"], "implicit": extra["implicit"],
                "rating_scale": f"{extra['rating_scale'][0]}-{extra['rating_scale'][1]}",
                "rank_users": int(min(len(extra["rank_users"]), MAX_RANK_USERS)),
                "protocol": "rmse: random 80/20 (val 10% of 80); ranking: leave-last-out, unrated items"}

    metrics_per_epoch = ("rmse", "mae")

    def builder_args(self, dataset: Dataset) -> dict[str, Any]:
        """Rating models take the id ranges; networks start their bias at the training mean rating."""
        extra = dataset.extra
        return {"num_users": extra["num_users"], "num_items": extra["num_items"],
                "global_mean": float(np.mean(dataset.y_train))}

    def hparams(self, candidate: Candidate, dataset: Dataset) -> dict[str, Any]:
        """item_features="genres_year" names the dataset's side information: the builder gets the table."""
        hparams = dict(candidate.hparams)
        if hparams.get("item_features") == SIDE_FEATURES:
            hparams["item_features"] = side_features(dataset)
        return hparams

    def curves(self, history: dict[str, list[float]]) -> dict[str, list[float]]:
        """Baselines report MSE as loss; add rmse/val_rmse where a fit has none, so every candidate has the same
        curve names (a network reports its own)."""
        return _add_rmse(history)

    def evaluate(self, model: Any, kind: str, dataset: Dataset, *, latency: bool = True) -> dict[str, Any]:
        started = time.perf_counter()
        low, high = dataset.extra["rating_scale"]
        predicted = np.clip(predict_pairs(model, dataset.x_test["user"], dataset.x_test["item"]), low, high)
        truth = dataset.y_test.astype(np.float64)
        ranking = ranking_report(model, dataset)
        by_rating = []
        for value in np.unique(truth):
            mask = truth == value
            by_rating.append({"rating": float(value), "count": int(mask.sum()), "mean_predicted": float(predicted[mask].mean())})
        stored = min(len(truth), MAX_STORED_PREDICTIONS)
        evaluation: dict[str, Any] = {
            "task": "rating",
            "rmse": rmse(truth, predicted),
            "mae": mae(truth, predicted),
            "hit_rate_at_10": ranking["hit_rate"],
            "ndcg_at_10": ranking["ndcg"],
            "coverage_at_10": ranking["coverage"],
            "rank_users": ranking["rank_users"],
            "ranks": ranking["ranks"],
            "by_rating": by_rating,
            # not y_true/y_pred: those names mean class labels to the selection page's McNemar test
            "ratings_true": [round(float(v), 3) for v in truth[:stored]],
            "ratings_pred": [round(float(v), 3) for v in predicted[:stored]],
            "rating_scale": [float(low), float(high)],
            "implicit": bool(dataset.extra["implicit"]),
            "item_side_features": side_feature_count(model),
            "predict_seconds": time.perf_counter() - started,
            "dataset_fingerprint": dataset.fingerprint,
        }
        if latency:
            evaluation.update(_single_pair_latency(model, dataset))
        return evaluation

    def metrics(self, evaluation: dict[str, Any]) -> dict[str, float]:
        names = {"rmse": "test_rmse", "mae": "test_mae", "hit_rate_at_10": "test_hit_rate_at_10",
                 "ndcg_at_10": "test_ndcg_at_10", "coverage_at_10": "test_coverage_at_10",
                 "p50_ms": "latency_p50_ms", "p95_ms": "latency_p95_ms"}
        return {metric: float(evaluation[key]) for key, metric in names.items() if evaluation.get(key) is not None}

    def throughput(self, model: Any, kind: str, dataset: Dataset) -> float | None:
        """User-item pairs scored per second over the test split."""
        started = time.perf_counter()
        predict_pairs(model, dataset.x_test["user"], dataset.x_test["item"])
        return float(len(dataset.y_test) / max(time.perf_counter() - started, 1e-9))

    def check_imported(self, model: Any, dataset: Dataset) -> None:
        """An uploaded model must take "user" and "item" inputs sized for this dataset's ids."""
        names = sorted(getattr(model, "input_names", None) or [i.name.split(":")[0] for i in model.inputs])
        if names != ["item", "user"]:
            raise ModelLoadError("errors.recommendation.model_inputs", inputs=", ".join(names))
        try:
            predict_pairs(model, np.array([dataset.extra["num_users"] - 1]), np.array([dataset.extra["num_items"] - 1]))
        except Exception as error:  # noqa: BLE001 - any failure means the id ranges do not fit
            raise ModelLoadError("errors.recommendation.model_size", users=dataset.extra["num_users"],
                                 items=dataset.extra["num_items"]) from error


def _add_rmse(history: dict[str, list[float]]) -> dict[str, list[float]]:
    """rmse/val_rmse as the square root of an MSE loss, where the history has none of its own."""
    history = dict(history)
    for prefix in ("", "val_"):
        if history.get(f"{prefix}loss") and f"{prefix}rmse" not in history:
            history[f"{prefix}rmse"] = [float(np.sqrt(v)) for v in history[f"{prefix}loss"]]
    return history


ADAPTER = RecommendationAdapter()
