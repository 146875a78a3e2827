"""Online datasets: cache hits with verified hashes, damaged caches, offline mode and failed downloads.

Nothing here touches the network: caches are small files of the real structure whose hashes are
put into core.usecases.vision.online.ONLINE_FILES, and the one real download points at a closed local port.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

import core.data.online as download
import core.usecases.vision.online as online
from core.config import get_settings
from core.errors import DataError


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("STUDIO_OFFLINE", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def go_offline(monkeypatch):
    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()


def small_split(rng, shape, per_class_train=10, per_class_test=2):
    y_train = np.repeat(np.arange(10, dtype=np.uint8), per_class_train)
    y_test = np.tile(np.arange(10, dtype=np.uint8), per_class_test)
    x_train = rng.integers(0, 256, (len(y_train), *shape), dtype=np.uint8)
    x_test = rng.integers(0, 256, (len(y_test), *shape), dtype=np.uint8)
    return x_train, y_train, x_test, y_test


def install(monkeypatch, dataset_id: str, contents: list[bytes], algorithm: str = "sha256") -> list:
    """Write files into the cache and register their hashes as the published ones."""
    remotes = []
    for remote, content in zip(online.ONLINE_FILES[dataset_id], contents):
        digest = hashlib.new(algorithm, content).hexdigest()
        remotes.append(online.RemoteFile(remote.fname, remote.origin, digest))
        path = online.cached_path(dataset_id, remote)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    monkeypatch.setitem(online.ONLINE_FILES, dataset_id, tuple(remotes))
    return [online.cached_path(dataset_id, r) for r in remotes]


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.tobytes())


def cifar_tar(batches: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in batches.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def cifar_batch(x: np.ndarray, y: np.ndarray) -> bytes:
    """The authors' layout: channel-major rows of 3072 bytes, labels as a list, bytes keys.

    Protocol 4: Python 3's protocol 2 spells bytes as _codecs.encode calls, which the loader
    (rightly) refuses; the authors' Python 2 pickles and protocol 4 need only NumPy's globals.
    """
    rows = x.transpose(0, 3, 1, 2).reshape(len(x), -1)
    return pickle.dumps({b"batch_label": b"test", b"labels": [int(v) for v in y], b"data": rows}, protocol=4)


# --- availability ------------------------------------------------------------------------

def test_available_when_downloads_allowed():
    assert online.online_available() == (True, "")
    assert online.cifar10_online_available() == (True, "")


def test_offline_and_not_cached(monkeypatch):
    go_offline(monkeypatch)
    assert online.online_available() == (False, "errors.data.online_disabled")
    assert online.mnist_online_available() == (False, "errors.data.online_disabled")
    with pytest.raises(DataError, match="Downloads are switched off.*pick a bundled dataset"):
        online.load_mnist_online()


def test_offline_but_cached_is_available(monkeypatch):
    go_offline(monkeypatch)
    install(monkeypatch, "mnist_online", [b"anything"])
    assert online.online_available() == (True, "")
    assert online.mnist_online_available() == (True, "")
    assert online.cifar10_online_available() == (False, "errors.data.online_disabled")


def test_cache_lives_under_the_data_dir(tmp_path):
    path = online.cached_path("mnist_online", online.ONLINE_FILES["mnist_online"][0])
    assert path == tmp_path / "data" / "cache" / "keras" / "datasets" / "mnist.npz"


@pytest.mark.slow
def test_hash_table_matches_keras():
    """The MNIST and CIFAR-10 origins and sha256 sums are the ones keras.datasets pins."""
    import inspect

    from keras.src.datasets import cifar10, mnist

    (mnist_file,) = online.ONLINE_FILES["mnist_online"]
    assert mnist_file.file_hash in inspect.getsource(mnist) and "mnist.npz" in mnist_file.origin
    (cifar_file,) = online.ONLINE_FILES["cifar10_online"]
    source = inspect.getsource(cifar10)
    assert cifar_file.file_hash in source and cifar_file.origin in source


# --- cache hits --------------------------------------------------------------------------

def test_mnist_from_verified_cache(monkeypatch):
    x_train, y_train, x_test, y_test = small_split(np.random.default_rng(0), (28, 28))
    install(monkeypatch, "mnist_online", [npz_bytes(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)])
    go_offline(monkeypatch)  # a verified cache needs no network
    data = online.load_mnist_online(seed=0)
    assert data.sizes == {"train": 90, "val": 10, "test": 20}
    assert data.input_shape == (28, 28, 1) and data.source_kind == "online"
    np.testing.assert_array_equal(data.class_counts("val"), np.ones(10))
    np.testing.assert_allclose(data.x_test[..., 0], x_test / 255.0, atol=1e-7)  # official test order kept
    np.testing.assert_array_equal(data.y_test, y_test)
    assert "CC BY-SA 3.0" in data.licence and "seed 0" in data.provenance
    assert online.load_mnist_online(seed=0).fingerprint == data.fingerprint
    assert online.load_mnist_online(seed=1).fingerprint != data.fingerprint


def test_fashion_mnist_from_verified_cache(monkeypatch):
    x_train, y_train, x_test, y_test = small_split(np.random.default_rng(1), (28, 28))
    install(monkeypatch, "fashion_mnist_online",
            [idx_gz(y_train), idx_gz(x_train), idx_gz(y_test), idx_gz(x_test)], algorithm="md5")
    data = online.load_fashion_mnist_online(seed=0)
    assert data.class_names[9] == "Ankle boot"
    assert sum(data.sizes.values()) == 120
    np.testing.assert_allclose(data.x_test[..., 0], x_test / 255.0, atol=1e-7)


def test_cifar10_from_verified_cache(monkeypatch):
    rng = np.random.default_rng(2)
    x_train, y_train, x_test, y_test = small_split(rng, (32, 32, 3))
    x_test[0] = 0
    x_test[0, :, :, 0] = 255  # first test image pure red
    batches = {f"data_batch_{i + 1}": cifar_batch(x_train[i::5], y_train[i::5]) for i in range(5)}
    batches["test_batch"] = cifar_batch(x_test, y_test)
    install(monkeypatch, "cifar10_online", [cifar_tar(batches)])
    data = online.load_cifar10_online(seed=0)
    assert data.input_shape == (32, 32, 3)
    assert data.sizes == {"train": 90, "val": 10, "test": 20}
    assert data.class_names[0] == "airplane" and data.class_names[9] == "truck"
    np.testing.assert_array_equal(data.x_test[0, :, :, 0], 1.0)  # channel-major rows -> channels last
    np.testing.assert_array_equal(data.x_test[0, :, :, 1:], 0.0)
    np.testing.assert_allclose(data.x_test, x_test / 255.0, atol=1e-7)


# --- damaged caches ----------------------------------------------------------------------

def test_hash_mismatch_deletes_the_file(monkeypatch):
    (path,) = install(monkeypatch, "mnist_online", [b"the real bytes"])
    path.write_bytes(b"the real by")  # partial download
    with pytest.raises(DataError, match="damaged or incomplete.*deleted") as caught:
        online.load_mnist_online()
    assert not path.exists()
    assert "已被删除" in caught.value.message("zh")


def test_real_hash_table_rejects_a_fake_cache():
    path = online.cached_path("mnist_online", online.ONLINE_FILES["mnist_online"][0])
    path.parent.mkdir(parents=True)
    path.write_bytes(npz_bytes(x_train=np.zeros((1, 28, 28), np.uint8)))
    with pytest.raises(DataError, match="checksum does not match"):
        online.load_mnist_online()
    assert not path.exists()


def test_matching_hash_but_wrong_structure_is_deleted(monkeypatch):
    (path,) = install(monkeypatch, "mnist_online", [npz_bytes(images=np.zeros((3, 28, 28), np.uint8))])
    with pytest.raises(DataError, match="damaged or incomplete"):
        online.load_mnist_online()
    assert not path.exists()


def test_malicious_cifar_pickle_is_refused(monkeypatch):
    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo owned",))

    evil = pickle.dumps({b"data": Exploit(), b"labels": [0]}, protocol=4)
    batches = {name: evil for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]}
    (path,) = install(monkeypatch, "cifar10_online", [cifar_tar(batches)])
    with pytest.raises(DataError, match="damaged or incomplete.*refusing to load posix.system"):
        online.load_cifar10_online()
    assert not path.exists()


# --- real download attempts --------------------------------------------------------------

@pytest.mark.slow
def test_failed_download_is_a_clear_error(monkeypatch):
    """keras.utils.get_file against a closed local port fails fast; nothing half-written stays."""
    monkeypatch.setattr(download, "DOWNLOAD_TIMEOUT_S", 5.0)
    (remote,) = online.ONLINE_FILES["mnist_online"]
    monkeypatch.setitem(online.ONLINE_FILES, "mnist_online",
                        (online.RemoteFile(remote.fname, "http://127.0.0.1:9/mnist.npz", remote.file_hash),))
    expected = r"Could not download MNIST from http://127\.0\.0\.1:9/mnist\.npz .*check the network or pick a bundled"
    with pytest.raises(DataError, match=expected):
        online.load_mnist_online()
    assert not online.cached_path("mnist_online", remote).exists()


@pytest.mark.slow
def test_download_with_wrong_hash_is_deleted(monkeypatch):
    """A completed download whose hash differs from the published one is removed, not trusted."""
    import keras

    def fake_get_file(*, fname, origin, file_hash, cache_subdir, cache_dir):
        path = os.path.join(cache_dir, cache_subdir, fname)
        with open(path, "wb") as handle:
            handle.write(b"tampered")
        raise ValueError("Incomplete or corrupted file detected.")

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    with pytest.raises(DataError, match="Could not download.*Incomplete or corrupted"):
        online.load_mnist_online()
    assert not online.cached_path("mnist_online", online.ONLINE_FILES["mnist_online"][0]).exists()
