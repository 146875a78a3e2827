"""Scoring, top-N recommendations with reasons, cold start and the item-embedding map.

Works for every candidate: the NumPy baselines score a catalogue directly (`score_items`),
Keras models are called on user-item pairs in large chunks (no Lambda layers, no model.predict
overhead). Ids a person types are original ids (e.g. MovieLens userId); unknown ones raise DataError.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.data.dataset import Dataset
from core.errors import DataError
from core.usecases.recommendation.data import main_genre, rated_items
from core.usecases.recommendation.metrics import top_k
from core.usecases.recommendation.models import item_embeddings

PAIRS_PER_CALL = 262_144
LIKED_THRESHOLD = 4.0  # ratings at or above this count as "liked" (implicit data: every positive)


def is_keras(model: Any) -> bool:
    """True for a Keras model (it has no score_items method)."""
    return not hasattr(model, "score_items")


def predict_pairs(model: Any, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Predicted ratings for aligned user and item index arrays (float64, shape (n,))."""
    users = np.asarray(users, dtype=np.int32)
    items = np.asarray(items, dtype=np.int32)
    if not is_keras(model):
        return np.asarray(model.predict({"user": users, "item": items}), dtype=np.float64)
    import keras

    out = np.empty(len(users), dtype=np.float64)
    for start in range(0, len(users), PAIRS_PER_CALL):
        stop = start + PAIRS_PER_CALL
        result = model({"user": users[start:stop], "item": items[start:stop]}, training=False)
        out[start:stop] = keras.ops.convert_to_numpy(result).reshape(-1)
    return out


def score_items(model: Any, users: np.ndarray, num_items: int) -> np.ndarray:
    """(len(users), num_items) scores: higher means recommend sooner."""
    users = np.asarray(users, dtype=np.int32)
    if not is_keras(model):
        return np.asarray(model.score_items(users), dtype=np.float32)
    scores = np.empty((len(users), num_items), dtype=np.float32)
    per_call = max(1, PAIRS_PER_CALL // max(num_items, 1))
    all_items = np.arange(num_items, dtype=np.int32)
    for start in range(0, len(users), per_call):
        chunk = users[start:start + per_call]
        pairs_users = np.repeat(chunk, num_items)
        pairs_items = np.tile(all_items, len(chunk))
        scores[start:start + len(chunk)] = predict_pairs(model, pairs_users, pairs_items).reshape(len(chunk), -1)
    return scores


def _position(ids: np.ndarray, key: str) -> int | None:
    """Where key stands in the sorted original ids, None when it is not there."""
    position = np.searchsorted(ids.astype(str), key)
    return int(position) if position < len(ids) and str(ids[position]) == key else None


def user_index(dataset: Dataset, user_id: Any) -> int:
    """The index of an original user id; DataError (with a fix) when the id was never seen."""
    ids = dataset.extra["user_ids"]
    key = str(user_id).strip()
    position = _position(ids, key)
    if position is None:
        raise DataError("errors.recommendation.unknown_user", user=key, count=len(ids))
    return position


def item_index(dataset: Dataset, item_id: Any) -> int:
    """The index of an original item id; DataError when the item was never seen."""
    ids = dataset.extra["item_ids"]
    key = str(item_id).strip()
    position = _position(ids, key)
    if position is None:
        raise DataError("errors.recommendation.unknown_item", item=key, count=len(ids))
    return position


def predict_rating(model: Any, dataset: Dataset, user_id: Any, item_id: Any) -> float:
    """A model's predicted rating for original ids, clipped to the rating scale."""
    low, high = dataset.extra["rating_scale"]
    value = predict_pairs(model, np.array([user_index(dataset, user_id)]), np.array([item_index(dataset, item_id)]))
    return float(np.clip(value[0], low, high))


def item_info(dataset: Dataset, item: int) -> dict[str, Any]:
    """Title, genres, year and id of an item index, JSON-able."""
    extra = dataset.extra
    year = extra["years"][item]
    return {"item": int(item), "id": str(extra["item_ids"][item]), "title": str(extra["titles"][item]),
            "genres": str(extra["genres"][item]), "year": None if not np.isfinite(year) else int(year)}


def user_history(dataset: Dataset, user: int, *, limit: int = 10) -> list[dict[str, Any]]:
    """What a user rated in the training split, highest first (what the model learned from)."""
    mask = dataset.x_train["user"] == user
    items, ratings = dataset.x_train["item"][mask], dataset.y_train[mask]
    order = np.lexsort((items, -ratings))[:limit]
    return [{**item_info(dataset, int(items[i])), "rating": float(ratings[i])} for i in order]


def _train_counts(dataset: Dataset) -> np.ndarray:
    return np.bincount(dataset.x_train["item"], minlength=dataset.extra["num_items"])


def item_vectors(model: Any) -> np.ndarray | None:
    """Learned item vectors of a Keras model, None for the baselines."""
    return item_embeddings(model) if is_keras(model) else None


def recommend(model: Any, dataset: Dataset, user: int, *, k: int = 10, explain: bool = True,
              min_train_ratings: int = 1) -> list[dict[str, Any]]:
    """Top-k items the user has not rated (in any split), with titles, genres, score and a reason.

    min_train_ratings > 1 leaves out items with fewer training ratings, whose scores rest on little
    evidence (the ranking metrics use 1: every unrated item competes).
    """
    num_items = dataset.extra["num_items"]
    if not 0 <= int(user) < dataset.extra["num_users"]:
        raise DataError("errors.recommendation.unknown_user", user=str(user), count=dataset.extra["num_users"])
    if not np.any(dataset.x_train["user"] == user):  # all their ratings fell into test/validation
        raise DataError("errors.recommendation.user_not_trained", user=str(dataset.extra["user_ids"][user]))
    scores = score_items(model, np.array([user]), num_items)[0]
    rated = rated_items(dataset)[int(user)]
    counts = _train_counts(dataset)
    if min_train_ratings > 1:
        rated = np.union1d(rated, np.flatnonzero(counts < min_train_ratings))
    best = top_k(scores, k, exclude=rated)
    low, high = dataset.extra["rating_scale"]
    results = []
    for item in best:
        entry = {**item_info(dataset, int(item)), "score": float(scores[item]),
                 "predicted": float(np.clip(scores[item], low, high)) if is_keras(model)
                 or hasattr(model, "user_bias_") else None,
                 "train_ratings": int(counts[item])}
        results.append(entry)
    if explain:
        for entry, reason in zip(results, because_you_liked(model, dataset, user, [e["item"] for e in results])):
            entry["reason"] = reason
    return results


def because_you_liked(model: Any, dataset: Dataset, user: int, items: list[int]) -> list[dict[str, Any]]:
    """Per recommended item, the liked training item most similar to it by item-embedding cosine.

    Baselines have no item vectors: the reason is the item's popularity (kind "popular") or, for the
    bias baseline, how much above average everyone rates it (kind "well_liked").
    """
    vectors = item_vectors(model)
    counts = _train_counts(dataset)
    mask = dataset.x_train["user"] == user
    liked_items, liked_ratings = dataset.x_train["item"][mask], dataset.y_train[mask]
    threshold = min(LIKED_THRESHOLD, float(np.max(liked_ratings))) if len(liked_ratings) else LIKED_THRESHOLD
    liked = liked_items[liked_ratings >= threshold]
    if vectors is None and hasattr(model, "item_bias_"):
        return [{"kind": "well_liked", "bias": float(model.item_bias_[item]), "count": int(counts[item])}
                for item in items]
    if vectors is None or len(liked) == 0:
        return [{"kind": "popular", "count": int(counts[item])} for item in items]
    normed = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    similarity = normed[np.asarray(items, dtype=np.int64)] @ normed[liked].T  # (len(items), len(liked))
    reasons = []
    for row, item in zip(similarity, items):
        best = int(np.argmax(row))
        reasons.append({"kind": "similar", "liked": item_info(dataset, int(liked[best])),
                        "similarity": float(row[best])})
    return reasons


def genres(dataset: Dataset) -> list[str]:
    """Every genre named in the catalogue, sorted (for the cold-start filter)."""
    names: set[str] = set()
    for value in dataset.extra["genres"]:
        names.update(part for part in str(value).split("|") if part and part not in ("(unknown)", "(no genres listed)"))
    return sorted(names)


def cold_start(dataset: Dataset, *, genre: str | None = None, k: int = 10, min_ratings: int = 20) -> dict[str, Any]:
    """What a brand-new user gets: the most-rated items (optionally of one genre), best average first.

    A new user has no embedding, so no personal model applies; popularity among items with at
    least `min_ratings` training ratings, ordered by count, is the honest fallback until they rate.
    """
    num_items = dataset.extra["num_items"]
    counts = _train_counts(dataset)
    sums = np.bincount(dataset.x_train["item"], weights=dataset.y_train, minlength=num_items)
    means = np.divide(sums, counts, out=np.zeros(num_items), where=counts > 0)
    eligible = counts > 0
    if genre:
        in_genre = np.array([genre in str(g).split("|") for g in dataset.extra["genres"]])
        if not in_genre.any():
            raise DataError("errors.recommendation.unknown_genre", genre=genre)
        eligible &= in_genre
    enough = eligible & (counts >= min(min_ratings, int(counts[eligible].max()) if eligible.any() else 0))
    pool = np.flatnonzero(enough if enough.any() else eligible)
    order = pool[np.lexsort((pool, -means[pool], -counts[pool]))][:k]
    return {"genre": genre, "min_ratings": int(min_ratings),
            "items": [{**item_info(dataset, int(i)), "train_ratings": int(counts[i]), "mean_rating": float(means[i])}
                      for i in order]}


def embedding_map(model: Any, dataset: Dataset, *, top_n: int = 300) -> dict[str, Any] | None:
    """2-D PCA of the item vectors of the top_n most-rated items, with titles and main genres; None for baselines."""
    vectors = item_vectors(model)
    if vectors is None:
        return None
    counts = _train_counts(dataset)
    chosen = np.argsort(-counts, kind="stable")[:top_n]
    chosen = chosen[counts[chosen] > 0]
    points = vectors[chosen].astype(np.float64)
    points = points - points.mean(axis=0)
    _, singular, components = np.linalg.svd(points, full_matrices=False)
    xy = points @ components[:2].T
    explained = (singular[:2] ** 2 / max(float((singular ** 2).sum()), 1e-12)).tolist()
    return {"x": xy[:, 0].tolist(), "y": xy[:, 1].tolist(),
            "titles": [str(dataset.extra["titles"][i]) for i in chosen],
            "genres": [main_genre(dataset.extra["genres"][i]) for i in chosen],
            "counts": [int(counts[i]) for i in chosen], "explained": explained}
