"""Recommendation candidates: NumPy baselines against hand-worked numbers, Keras builders, safe save/load."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import DataError
from core.models.io import load_model, save_model
from core.usecases.recommendation import models as rec

X = {"user": np.array([0, 0, 1, 1, 2]), "item": np.array([0, 1, 0, 2, 1])}
Y = np.array([5.0, 3.0, 4.0, 2.0, 1.0])


def test_popularity_counts_items_and_predicts_the_mean():
    model = rec.build_popularity(3, 4).fit(X, Y)
    assert model.global_mean_ == pytest.approx(3.0)
    assert model.item_counts_.tolist() == [2, 2, 1, 0]
    assert model.predict({"user": np.array([2]), "item": np.array([3])}).tolist() == [3.0]
    assert model.score_items(np.array([0, 1])).shape == (2, 4)
    assert model.count_params() == 5


def test_bias_baseline_matches_a_hand_worked_first_step():
    model = rec.build_bias_baseline(3, 4, user_reg=0.0, item_reg=1.0, n_iter=1).fit(X, Y)
    # mu = 3; item 0 residuals (2, 1) -> 3 / (1 + 2) = 1; item 1 (0, -2) -> -2/3; item 2 (-1) -> -1/2
    assert model.item_bias_[:3] == pytest.approx([1.0, -2 / 3, -0.5])
    # user 0: (5-3-1) + (3-3+2/3) = 5/3 over 2 ratings
    assert model.user_bias_[0] == pytest.approx(5 / 6)
    assert model.predict({"user": np.array([0]), "item": np.array([0])})[0] == pytest.approx(3 + 5 / 6 + 1)


def test_bias_baseline_reduces_error_below_the_mean():
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 30, 2000), rng.integers(0, 40, 2000)
    truth = 3 + rng.normal(0, 0.7, 30)[users] + rng.normal(0, 0.7, 40)[items] + rng.normal(0, 0.1, 2000)
    model = rec.build_bias_baseline(30, 40, user_reg=1, item_reg=1).fit({"user": users, "item": items}, truth)
    error = np.sqrt(np.mean((model.predict({"user": users, "item": items}) - truth) ** 2))
    assert error < 0.2 < np.std(truth)


def test_baselines_refuse_unknown_indices_and_bad_targets():
    with pytest.raises(DataError, match="User index 5 is outside the 3 users"):
        rec.build_popularity(3, 4).fit({"user": np.array([5]), "item": np.array([0])}, np.array([1.0]))
    with pytest.raises(DataError, match="Item index 9 is outside the 4 items"):
        rec.build_bias_baseline(3, 4).fit(X, Y).predict({"user": np.array([0]), "item": np.array([9])})
    with pytest.raises(DataError, match="finite numbers"):
        rec.build_bias_baseline(3, 4).fit(X, np.array([1.0, np.nan, 2, 3, 4]))
    with pytest.raises(ValueError, match="n_iter >= 1"):
        rec.build_bias_baseline(3, 4, n_iter=0).fit(X, Y)


def test_baselines_round_trip_through_the_model_file(tmp_path):
    model = rec.build_bias_baseline(3, 4).fit(X, Y)
    loaded = load_model(save_model(model, tmp_path))
    assert loaded.predict(X).tolist() == pytest.approx(model.predict(X).tolist())


@pytest.mark.parametrize("builder", ["build_matrix_factorization", "build_ncf", "build_two_tower"])
def test_keras_builders_predict_one_rating_per_pair_and_load_in_safe_mode(builder, tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    model = getattr(rec, builder)(3, 4, global_mean=3.0)
    assert sorted(model.input_names if hasattr(model, "input_names") else model.input) == ["item", "user"]
    out = keras.ops.convert_to_numpy(model({"user": np.array([0, 2], np.int32), "item": np.array([3, 1], np.int32)}))
    assert out.shape == (2, 1)
    assert np.all(np.abs(out - 3.0) < 0.5)  # small initial vectors: predictions start near the global mean
    loaded = load_model(save_model(model, tmp_path))  # refuses Lambda layers; Keras safe_mode on
    again = keras.ops.convert_to_numpy(loaded({"user": np.array([0, 2], np.int32), "item": np.array([3, 1], np.int32)}))
    assert again == pytest.approx(out)
    assert rec.item_embeddings(loaded).shape[0] == 4


def test_matrix_factorisation_is_global_mean_plus_biases_plus_dot():
    import keras

    model = rec.build_matrix_factorization(2, 2, embedding_dim=2, global_mean=3.0)
    model.get_layer("user_embedding").set_weights([np.array([[1.0, 2.0], [0.0, 1.0]], np.float32)])
    model.get_layer("item_embedding").set_weights([np.array([[0.5, 0.25], [1.0, -1.0]], np.float32)])
    model.get_layer("user_bias").set_weights([np.array([[0.1], [0.2]], np.float32)])
    model.get_layer("item_bias").set_weights([np.array([[-0.3], [0.4]], np.float32)])
    out = keras.ops.convert_to_numpy(model({"user": np.array([0, 1], np.int32), "item": np.array([0, 1], np.int32)}))
    # user 0, item 0: 3 + 0.1 - 0.3 + (0.5 + 0.5) = 3.8; user 1, item 1: 3 + 0.2 + 0.4 + (0 - 1) = 2.6
    assert out.ravel() == pytest.approx([3.8, 2.6])


def test_matrix_factorisation_dropout_acts_in_training_only_and_survives_save_load(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    model = rec.build_matrix_factorization(2, 2, embedding_dim=2, dropout=0.5, global_mean=3.0)
    model.get_layer("user_embedding").set_weights([np.array([[1.0, 2.0], [0.0, 1.0]], np.float32)])
    model.get_layer("item_embedding").set_weights([np.array([[0.5, 0.25], [1.0, -1.0]], np.float32)])
    model.get_layer("user_bias").set_weights([np.array([[0.1], [0.2]], np.float32)])
    model.get_layer("item_bias").set_weights([np.array([[-0.3], [0.4]], np.float32)])
    pairs = {"user": np.array([0, 1], np.int32), "item": np.array([0, 1], np.int32)}
    out = keras.ops.convert_to_numpy(model(pairs))
    assert out.ravel() == pytest.approx([3.8, 2.6])  # same hand-worked numbers as without dropout
    trained = [keras.ops.convert_to_numpy(model(pairs, training=True)).ravel() for _ in range(8)]
    assert any(not np.allclose(t, [3.8, 2.6]) for t in trained)  # vectors are thinned while training
    loaded = load_model(save_model(model, tmp_path))
    assert keras.ops.convert_to_numpy(loaded(pairs)).ravel() == pytest.approx(out.ravel())


def test_item_side_features_by_hand():
    table = rec.item_side_features(["Action|Comedy", "Comedy", "(no genres listed)"], [1995.0, np.nan, 2016.0])
    genres = table[:, :2]  # columns: Action, Comedy, then unknown year, then 5-year buckets from 1900
    assert genres.tolist() == [[0.5, 0.5], [0.0, 1.0], [0.0, 0.0]]  # a multi-genre row sums to 1
    years = table[:, 2:]
    assert years.shape[1] == 1 + rec.YEAR_BUCKETS
    assert np.flatnonzero(years[0]).tolist() == [1 + (1995 - 1900) // 5]  # 1995-1999
    assert np.flatnonzero(years[1]).tolist() == [0]  # unknown year has its own column
    assert np.flatnonzero(years[2]).tolist() == [1 + (2016 - 1900) // 5]
    assert rec.item_side_features(["(unknown)", ""], [np.nan, np.nan]) is None  # an upload without item info
    with pytest.raises(ValueError, match="one year per item"):
        rec.item_side_features(["Comedy"], [2000.0, 2001.0])


def test_matrix_factorisation_with_side_features_by_hand_and_through_safe_load(tmp_path):
    import keras

    features = np.array([[1.0, 0.0], [0.5, 0.5]], np.float32)
    model = rec.build_matrix_factorization(2, 2, embedding_dim=2, global_mean=3.0, item_features=features)
    pairs = {"user": np.array([0, 1], np.int32), "item": np.array([0, 1], np.int32)}
    # side weights start at zero: the untrained model scores exactly like plain MF
    assert np.allclose(keras.ops.convert_to_numpy(model.get_layer("item_side_vector").kernel), 0.0)
    model.get_layer("user_embedding").set_weights([np.array([[1.0, 2.0], [0.0, 1.0]], np.float32)])
    model.get_layer("item_embedding").set_weights([np.array([[0.5, 0.25], [1.0, -1.0]], np.float32)])
    model.get_layer("user_bias").set_weights([np.array([[0.1], [0.2]], np.float32)])
    model.get_layer("item_bias").set_weights([np.array([[-0.3], [0.4]], np.float32)])
    model.get_layer("item_side_vector").set_weights([np.array([[1.0, 0.0], [0.0, 2.0]], np.float32)])
    model.get_layer("item_side_bias").set_weights([np.array([[0.2], [-0.4]], np.float32)])
    # item 0: vector (0.5, 0.25) + (1, 0) @ W = (1.5, 0.25); bias -0.3 + 0.2
    #   user 0: 3 + 0.1 - 0.1 + (1.5 + 0.5) = 5.0
    # item 1: vector (1, -1) + (0.5, 0.5) @ W = (1.5, 0); bias 0.4 + 0.5 * 0.2 - 0.5 * 0.4 = 0.3
    #   user 1: 3 + 0.2 + 0.3 + (0 + 0) = 3.5
    out = keras.ops.convert_to_numpy(model(pairs)).ravel()
    assert out == pytest.approx([5.0, 3.5])
    assert rec.item_embeddings(model) == pytest.approx(np.array([[1.5, 0.25], [1.5, 0.0]]))
    loaded = load_model(save_model(model, tmp_path))  # the frozen table travels in the .keras file
    assert keras.ops.convert_to_numpy(loaded(pairs)).ravel() == pytest.approx(out)
    assert loaded.get_layer("item_side_table").get_weights()[0] == pytest.approx(features)
    assert not loaded.get_layer("item_side_table").trainable


def test_matrix_factorisation_refuses_unusable_side_features():
    with pytest.raises(ValueError, match="item_side_features"):
        rec.build_matrix_factorization(2, 3, item_features="genres_year")
    with pytest.raises(ValueError, match=r"one row per item \(3\)"):
        rec.build_matrix_factorization(2, 3, item_features=np.zeros((2, 4)))


def test_side_features_stay_frozen_while_their_weights_learn():
    import keras

    keras.utils.set_random_seed(0)
    features = rec.item_side_features(["Action", "Comedy", "Action|Comedy", "Drama"], [1990, 2000, 2010, np.nan])
    model = rec.build_matrix_factorization(3, 4, embedding_dim=4, global_mean=3.0, item_features=features)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mean_squared_error")
    model.fit(X, Y, epochs=5, batch_size=5, verbose=0)
    assert model.get_layer("item_side_table").get_weights()[0] == pytest.approx(features)
    assert np.abs(model.get_layer("item_side_bias").get_weights()[0]).sum() > 0  # learned from the genres
