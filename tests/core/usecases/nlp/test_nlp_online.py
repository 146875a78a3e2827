"""IMDB online source with local files: cache hit, hash check, damaged file, no network."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from core.config import get_settings
from core.data.online import RemoteFile
from core.errors import DataError
from core.usecases.nlp import online as imdb


@pytest.fixture()
def cached_files(tmp_path, monkeypatch):
    """A tiny imdb.npz and word index in the studio cache, with the module's hashes pointing at them."""
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()
    words = {"great": 1, "film": 2, "awful": 3, "plot": 4}
    x = np.empty(20, dtype=object)
    x[:] = [[1, 2, 2]] * 10 + [[3, 4]] * 10
    y = np.array([1] * 10 + [0] * 10)
    folder = tmp_path / "cache" / "keras" / imdb.SUBDIR
    folder.mkdir(parents=True)
    np.savez(folder / "imdb.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    (folder / "imdb_word_index.json").write_text(json.dumps(words), encoding="utf-8")
    files = tuple(RemoteFile(remote.fname, remote.origin,
                             hashlib.sha256((folder / remote.fname).read_bytes()).hexdigest())
                  for remote in imdb.FILES)
    monkeypatch.setattr(imdb, "FILES", files)
    yield folder
    get_settings.cache_clear()


def test_cached_imdb_loads_offline_as_words(cached_files):
    assert get_settings().cache_dir / "keras" / imdb.SUBDIR == cached_files
    assert imdb.imdb_online_available() == (True, "")
    dataset = imdb.load_imdb_online(seed=0, max_train=0, max_test=10)
    assert dataset.source_kind == "online" and dataset.class_names == ("negative", "positive")
    assert set(dataset.x_train) | set(dataset.x_val) == {"great film film", "awful plot"}
    assert dataset.sizes == {"train": 18, "val": 2, "test": 10}
    assert dataset.class_counts("test").tolist() == [5, 5]


def test_damaged_cache_is_deleted_and_reported(cached_files):
    (cached_files / "imdb.npz").write_bytes(b"broken")
    with pytest.raises(DataError, match="damaged or incomplete.*deleted"):
        imdb.load_imdb_online()
    assert not (cached_files / "imdb.npz").exists()


def test_offline_without_cache_says_so(cached_files):
    for path in cached_files.iterdir():
        path.unlink()
    assert imdb.imdb_online_available()[0] is False
    with pytest.raises(DataError, match="Downloads are switched off"):
        imdb.load_imdb_online()
