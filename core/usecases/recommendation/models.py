"""Recommendation candidates: two NumPy baselines (popularity, biases) and three Keras rating models.

Every candidate maps {"user": int indices, "item": int indices} to a predicted rating and can
score a whole catalogue for a set of users (`score_items`), which ranking metrics need.
Keras is imported inside the builders so the use-case registry stays light.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.errors import DataError


def _check_pairs(x: Any, num_users: int, num_items: int) -> tuple[np.ndarray, np.ndarray]:
    """User and item index columns as int arrays; DataError when missing or out of range."""
    if not isinstance(x, dict) or "user" not in x or "item" not in x:
        raise DataError("errors.recommendation.bad_pairs")
    users = np.asarray(x["user"]).astype(np.int64, copy=False)
    items = np.asarray(x["item"]).astype(np.int64, copy=False)
    if users.shape != items.shape or users.ndim != 1:
        raise DataError("errors.recommendation.bad_pairs")
    if len(users) and (users.min() < 0 or users.max() >= num_users):
        raise DataError("errors.recommendation.unknown_user_index", index=int(users.max()), count=num_users)
    if len(items) and (items.min() < 0 or items.max() >= num_items):
        raise DataError("errors.recommendation.unknown_item_index", index=int(items.max()), count=num_items)
    return users, items


def _check_targets(y: Any, n: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (n,) or not np.isfinite(y).all():
        raise DataError("errors.recommendation.bad_targets")
    if n == 0:
        raise DataError("errors.recommendation.too_few_ratings", count=0)
    return y


class PopularityRecommender:
    """Ranks items by how many training ratings they got; predicts the global mean rating for any pair."""

    def __init__(self, *, num_users: int, num_items: int, random_state: int | None = None):
        self.num_users = num_users
        self.num_items = num_items
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"num_users": self.num_users, "num_items": self.num_items, "random_state": self.random_state}

    def fit(self, x: dict[str, np.ndarray], y: np.ndarray) -> "PopularityRecommender":
        """Count ratings per item and take the mean rating."""
        users, items = _check_pairs(x, self.num_users, self.num_items)
        y = _check_targets(y, len(users))
        self.global_mean_ = float(y.mean())
        self.item_counts_ = np.bincount(items, minlength=self.num_items).astype(np.float64)
        return self

    def predict(self, x: dict[str, np.ndarray]) -> np.ndarray:
        """The global mean for every pair (popularity says nothing about a rating)."""
        users, _ = _check_pairs(x, self.num_users, self.num_items)
        return np.full(len(users), self.global_mean_, dtype=np.float64)

    def count_params(self) -> int:
        """One count per item plus the mean (what the fitted baseline stores)."""
        return int(self.num_items + 1)

    def score_items(self, users: np.ndarray) -> np.ndarray:
        """(len(users), num_items) ranking scores: the item's training rating count, for everyone."""
        users = np.asarray(users)
        return np.broadcast_to(self.item_counts_, (len(users), self.num_items)).astype(np.float32)


class BiasBaseline:
    """Global mean + user bias + item bias, fitted by alternating regularised least squares."""

    def __init__(self, *, num_users: int, num_items: int, user_reg: float = 5.0, item_reg: float = 5.0,
                 n_iter: int = 10, random_state: int | None = None):
        self.num_users = num_users
        self.num_items = num_items
        self.user_reg = user_reg
        self.item_reg = item_reg
        self.n_iter = n_iter
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"num_users": self.num_users, "num_items": self.num_items, "user_reg": self.user_reg,
                "item_reg": self.item_reg, "n_iter": self.n_iter, "random_state": self.random_state}

    def fit(self, x: dict[str, np.ndarray], y: np.ndarray) -> "BiasBaseline":
        """b_i = sum(r - mu - b_u) / (item_reg + n_i), b_u likewise, alternated n_iter times."""
        if self.user_reg < 0 or self.item_reg < 0 or int(self.n_iter) < 1:
            raise ValueError("BiasBaseline needs user_reg >= 0, item_reg >= 0 and n_iter >= 1; fix the settings.")
        users, items = _check_pairs(x, self.num_users, self.num_items)
        y = _check_targets(y, len(users))
        self.global_mean_ = float(y.mean())
        n_u = np.bincount(users, minlength=self.num_users)
        n_i = np.bincount(items, minlength=self.num_items)
        b_u = np.zeros(self.num_users)
        b_i = np.zeros(self.num_items)
        residual = y - self.global_mean_
        for _ in range(int(self.n_iter)):
            b_i = np.bincount(items, residual - b_u[users], minlength=self.num_items) / (self.item_reg + n_i)
            b_u = np.bincount(users, residual - b_i[items], minlength=self.num_users) / (self.user_reg + n_u)
        self.user_bias_, self.item_bias_ = b_u, b_i
        return self

    def predict(self, x: dict[str, np.ndarray]) -> np.ndarray:
        """mu + b_u + b_i per pair."""
        users, items = _check_pairs(x, self.num_users, self.num_items)
        return self.global_mean_ + self.user_bias_[users] + self.item_bias_[items]

    def count_params(self) -> int:
        """One bias per user and per item plus the mean."""
        return int(self.num_users + self.num_items + 1)

    def score_items(self, users: np.ndarray) -> np.ndarray:
        """(len(users), num_items) predicted ratings for every item."""
        users = np.asarray(users, dtype=np.int64)
        return (self.global_mean_ + self.user_bias_[users][:, None] + self.item_bias_[None, :]).astype(np.float32)


def build_popularity(num_users: int, num_items: int, *, random_state: int | None = None) -> PopularityRecommender:
    """The popularity baseline (most-rated items first)."""
    return PopularityRecommender(num_users=num_users, num_items=num_items, random_state=random_state)


def build_bias_baseline(num_users: int, num_items: int, *, user_reg: float = 5.0, item_reg: float = 5.0,
                        n_iter: int = 10, random_state: int | None = None) -> BiasBaseline:
    """The bias baseline: global mean + user and item biases."""
    return BiasBaseline(num_users=num_users, num_items=num_items, user_reg=user_reg, item_reg=item_reg,
                        n_iter=n_iter, random_state=random_state)


# ---- Keras -------------------------------------------------------------------------------------

def _inputs(keras):
    return (keras.Input(shape=(), dtype="int32", name="user"), keras.Input(shape=(), dtype="int32", name="item"))


def build_matrix_factorization(num_users: int, num_items: int, *, embedding_dim: int = 32, l2: float = 0.05,
                               bias_l2: float = 0.0, init_std: float = 0.05, dropout: float = 0.0,
                               global_mean: float = 3.5, item_features: np.ndarray | str | None = None) -> Any:
    """rating = global mean + user bias + item bias + user vector . item vector.

    L2 is applied per rating to the looked-up vectors and biases (an activity regulariser
    averaged over the batch), the classic matrix-factorisation penalty lambda * (|p_u|^2 + |q_i|^2):
    a penalty on whole embedding tables would shrink every rarely seen row at every step.
    `dropout` drops vector components during training only (a cheap average over thinner models).

    `item_features` (num_items, F), e.g. from `item_side_features`, adds side information: the
    item vector becomes its own vector + features @ W and the item bias gains features @ w, so an
    item rated once or never still borrows a vector and a bias from its genres and release years.
    W and w start at zero (the model starts as plain MF); the table is frozen and saved with the model.
    """
    import keras

    if isinstance(item_features, str):
        raise ValueError(f"item_features={item_features!r} names side information; pass the (num_items, F) "
                         "array from item_side_features instead (the recommendation adapter does).")
    features = None if item_features is None else np.asarray(item_features, dtype=np.float32)
    if features is not None and (features.ndim != 2 or features.shape[0] != num_items):
        raise ValueError(f"item_features must have one row per item ({num_items}), got shape {features.shape}.")
    user, item = _inputs(keras)
    regularizer = keras.regularizers.L2(l2)

    bias_regularizer = keras.regularizers.L2(bias_l2) if bias_l2 else None

    def embed(indices, count, dim, name, initializer=None, penalty=regularizer):
        initializer = initializer or keras.initializers.RandomNormal(stddev=init_std)
        return keras.layers.Embedding(count, dim, embeddings_initializer=initializer,
                                      activity_regularizer=penalty, name=name)(indices)

    user_vector = embed(user, num_users, embedding_dim, "user_embedding")
    item_vector = embed(item, num_items, embedding_dim, "item_embedding")
    side_table = None
    if features is not None:
        side_table = keras.layers.Embedding(num_items, features.shape[1], trainable=False, name="item_side_table")
        side = side_table(item)
        side_vector = keras.layers.Dense(embedding_dim, use_bias=False, kernel_initializer="zeros",
                                         name="item_side_vector")(side)
        item_vector = keras.layers.Add(name="item_vector")([item_vector, side_vector])
    if dropout:
        user_vector = keras.layers.Dropout(dropout, name="user_dropout")(user_vector)
        item_vector = keras.layers.Dropout(dropout, name="item_dropout")(item_vector)
    user_bias = embed(user, num_users, 1, "user_bias", "zeros", bias_regularizer)
    item_bias = embed(item, num_items, 1, "item_bias", "zeros", bias_regularizer)
    dot = keras.layers.Dot(axes=1, name="dot")([user_vector, item_vector])
    terms = [dot, user_bias, item_bias]
    if side_table is not None:
        terms.append(keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros", name="item_side_bias")(side))
    total = keras.layers.Add(name="add_biases")(terms)
    rating = keras.layers.Rescaling(1.0, offset=float(global_mean), name="rating")(total)
    model = keras.Model(inputs={"user": user, "item": item}, outputs=rating, name="matrix_factorization")
    if side_table is not None:
        side_table.set_weights([features])
    return model


def build_ncf(num_users: int, num_items: int, *, gmf_dim: int = 16, mlp_dim: int = 32,
              hidden: tuple[int, ...] = (64, 32), dropout: float = 0.2, l2: float = 1e-6,
              global_mean: float = 3.5) -> Any:
    """Neural collaborative filtering: a GMF branch (element-wise product) and an MLP branch, concatenated."""
    import keras

    user, item = _inputs(keras)
    regularizer = keras.regularizers.L2(l2)

    def embed(indices, count, dim, name):
        return keras.layers.Embedding(count, dim, embeddings_initializer="random_normal",
                                      embeddings_regularizer=regularizer, name=name)(indices)

    gmf = keras.layers.Multiply(name="gmf_product")([embed(user, num_users, gmf_dim, "gmf_user_embedding"),
                                                     embed(item, num_items, gmf_dim, "gmf_item_embedding")])
    mlp = keras.layers.Concatenate(name="mlp_concat")([embed(user, num_users, mlp_dim, "mlp_user_embedding"),
                                                       embed(item, num_items, mlp_dim, "item_embedding")])
    for index, units in enumerate(hidden):
        mlp = keras.layers.Dense(units, activation="relu", kernel_regularizer=regularizer,
                                 name=f"mlp_dense_{index + 1}")(mlp)
        if dropout:
            mlp = keras.layers.Dropout(dropout, name=f"mlp_dropout_{index + 1}")(mlp)
    both = keras.layers.Concatenate(name="gmf_mlp_concat")([gmf, mlp])
    score = keras.layers.Dense(1, name="score")(both)
    rating = keras.layers.Rescaling(1.0, offset=float(global_mean), name="rating")(score)
    return keras.Model(inputs={"user": user, "item": item}, outputs=rating, name="ncf")


def build_two_tower(num_users: int, num_items: int, *, embedding_dim: int = 32, tower_units: int = 64,
                    l2: float = 1e-5, global_mean: float = 3.5) -> Any:
    """Two towers (user: embedding -> dense, item: embedding -> dense) whose output vectors meet in a dot.

    Trained on ratings with MSE (not in-batch softmax); at serving time the item tower's vectors
    can be indexed once and a user's vector retrieves the highest dot products.
    """
    import keras

    user, item = _inputs(keras)
    regularizer = keras.regularizers.L2(l2)
    user_vector = keras.layers.Embedding(num_users, embedding_dim, embeddings_initializer="random_normal",
                                         embeddings_regularizer=regularizer, name="user_tower_embedding")(user)
    user_vector = keras.layers.Dense(tower_units, activation="relu", name="user_tower_dense")(user_vector)
    user_vector = keras.layers.Dense(embedding_dim, name="user_tower_output")(user_vector)
    item_vector = keras.layers.Embedding(num_items, embedding_dim, embeddings_initializer="random_normal",
                                         embeddings_regularizer=regularizer, name="item_embedding")(item)
    item_vector = keras.layers.Dense(tower_units, activation="relu", name="item_tower_dense")(item_vector)
    item_vector = keras.layers.Dense(embedding_dim, name="item_tower_output")(item_vector)
    dot = keras.layers.Dot(axes=1, name="dot")([user_vector, item_vector])
    rating = keras.layers.Rescaling(1.0, offset=float(global_mean), name="rating")(dot)
    return keras.Model(inputs={"user": user, "item": item}, outputs=rating, name="two_tower")


def item_embeddings(model: Any) -> np.ndarray | None:
    """The learned item vectors (num_items, dim) of a Keras model, else None.

    The "item_embedding" table, plus what side information adds (item_side_table @ item_side_vector)
    where the model has it, so similarities and maps use the vectors the model actually scores with.
    """
    layers = {layer.name: layer for layer in getattr(model, "layers", [])}
    if "item_embedding" not in layers:
        return None
    vectors = np.asarray(layers["item_embedding"].get_weights()[0], dtype=np.float32)
    if "item_side_table" in layers and "item_side_vector" in layers:
        table = np.asarray(layers["item_side_table"].get_weights()[0], dtype=np.float32)
        vectors = vectors + table @ np.asarray(layers["item_side_vector"].get_weights()[0], dtype=np.float32)
    return vectors


UNKNOWN_GENRES = frozenset({"", "(unknown)", "(no genres listed)", "nan", "None"})


def genre_names(genres: Any) -> list[str]:
    """"Comedy|Drama" -> ["Comedy", "Drama"]; placeholders such as "(no genres listed)" give []."""
    return [part.strip() for part in str(genres).split("|") if part.strip() not in UNKNOWN_GENRES]


YEAR_BUCKET_YEARS = 5
YEAR_BUCKET_START = 1900
YEAR_BUCKETS = 31  # 1900-1904 ... 2050+; years before 1900 fall in the first


def item_side_features(genres: Any, years: Any) -> np.ndarray | None:
    """(num_items, genres + 1 + YEAR_BUCKETS) side information for matrix factorisation, or None.

    Genres ("Comedy|Drama") become a multi-hot row scaled to sum 1, so a film with many genres
    does not get a longer vector; the release year becomes a one-hot 5-year bucket, with its
    own column for an unknown year. None when the dataset knows neither (e.g. an uploaded CSV).
    """
    genres = [str(g) if g is not None else "" for g in np.asarray(genres, dtype=object)]
    years = np.asarray(years, dtype=np.float64)
    if len(years) != len(genres):
        raise ValueError(f"item_side_features needs one year per item: {len(genres)} genres, {len(years)} years.")
    split = [genre_names(g) for g in genres]
    names = sorted({name for parts in split for name in parts})
    known_year = np.isfinite(years)
    if not names and not known_year.any():
        return None
    genre_table = np.zeros((len(genres), len(names)), dtype=np.float32)
    column = {name: index for index, name in enumerate(names)}
    for row, parts in enumerate(split):
        for name in parts:
            genre_table[row, column[name]] = 1.0 / len(parts)
    year_table = np.zeros((len(genres), 1 + YEAR_BUCKETS), dtype=np.float32)
    buckets = np.clip((np.where(known_year, years, YEAR_BUCKET_START) - YEAR_BUCKET_START) // YEAR_BUCKET_YEARS,
                      0, YEAR_BUCKETS - 1).astype(np.int64) + 1
    year_table[np.arange(len(genres)), np.where(known_year, buckets, 0)] = 1.0
    return np.concatenate([genre_table, year_table], axis=1)
