"""IMDB movie reviews online (keras.datasets' imdb.npz + word index): downloaded once, cached, checksum-verified.

Downloaded by core.data.online: files live under settings.cache_dir/keras/datasets, every load re-checks
the published hash (a damaged file is deleted and reported), and with downloads switched off an
uncached dataset says so. keras.datasets ships IMDB as word ranks; the reviews are rebuilt as
lower-case words (punctuation and casing are not in the source). Nothing here imports Keras
until a download is needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from core.config import get_settings
from core.data import online
from core.data.online import RemoteFile
from core.errors import DataError
from core.usecases.nlp.data import _dataset

NAME = "IMDB"
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# keras.src.datasets.imdb's own origins and hashes.
FILES = (
    RemoteFile("imdb.npz", ORIGIN + "imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    RemoteFile("imdb_word_index.json", ORIGIN + "imdb_word_index.json", "bfafd718b763782e994055a2d397834f"),
)
SUBDIR = "datasets"


def cached_path(remote: RemoteFile) -> Path:
    return online.keras_cache_dir() / SUBDIR / remote.fname


def imdb_online_available() -> tuple[bool, str]:
    """(True, "") when IMDB is cached or downloads are allowed, else (False, reason key)."""
    if get_settings().allow_online or all(cached_path(remote).is_file() for remote in FILES):
        return True, ""
    return False, online.ONLINE_DISABLED


def fetch_imdb() -> list[Path]:
    """Local, hash-verified paths of IMDB's files, downloading the missing ones."""
    return online.fetch_files(((remote, cached_path(remote)) for remote in FILES), NAME)


def _decode(sequences: Any, words: dict[int, str]) -> list[str]:
    return [" ".join(words.get(int(i), "") for i in sequence).strip() for sequence in sequences]


def _subsample(y: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of a class-stratified random subset of at most `limit` rows, in order."""
    if limit <= 0 or limit >= len(y):
        return np.arange(len(y))
    picked = [rng.choice(np.flatnonzero(y == c), size=int(round(limit * np.mean(y == c))), replace=False)
              for c in np.unique(y)]
    return np.sort(np.concatenate(picked))


def load_imdb_online(*, seed: int = 0, max_train: int = 10_000, max_test: int = 5_000, **_: Any):
    """IMDB reviews (positive / negative), stratified subsets of keras.datasets' 25k/25k split."""
    from sklearn.model_selection import train_test_split

    npz_path, index_path = fetch_imdb()
    try:
        with np.load(npz_path, allow_pickle=True) as archive:  # ragged object arrays; hash verified above
            parts = {name: archive[name] for name in ("x_train", "y_train", "x_test", "y_test")}
        words = {int(rank): word for word, rank in json.loads(index_path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, KeyError) as error:
        for path in (npz_path, index_path):
            path.unlink(missing_ok=True)
        raise DataError("errors.data.online_corrupt", name=NAME, path=f"{npz_path}, {index_path}",
                        detail=str(error)[:200]) from error
    rng = np.random.default_rng(seed)
    y_all = np.asarray(parts["y_train"], dtype=np.int64)
    keep = _subsample(y_all, max_train, rng)
    texts, y = _decode(parts["x_train"][keep], words), y_all[keep]
    y_test_all = np.asarray(parts["y_test"], dtype=np.int64)
    keep_test = _subsample(y_test_all, max_test, rng)
    x_train, x_val, y_train, y_val = train_test_split(texts, y, test_size=0.1, random_state=seed, stratify=y)
    return _dataset("imdb_online", "IMDB movie reviews (download)", x_train, y_train, x_val, y_val,
                    _decode(parts["x_test"][keep_test], words), y_test_all[keep_test], ("negative", "positive"),
                    "online", f"IMDB (Maas et al. 2011) via keras.datasets; stratified {len(y)} of "
                    f"{len(y_all)} training and {len(keep_test)} of {len(y_test_all)} test reviews, seed {seed}; "
                    "text rebuilt from word ranks (lower case, no punctuation)",
                    "IMDB reviews for research use (ai.stanford.edu/~amaas/data/sentiment)", seed, language="en")
