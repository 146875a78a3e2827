"""Online vision datasets (keras.datasets origins): downloaded once, cached, checksum-verified.

This module names the files and their published hashes and turns them into Datasets; downloading,
caching and re-checking them on every load is core.data.online's. Importing it never imports Keras.
"""

from __future__ import annotations

import gzip
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from core.config import get_settings
from core.data.dataset import Dataset, source_keys
from core.data.online import ONLINE_DISABLED, RemoteFile, fetch_files, keras_cache_dir
from core.errors import DataError
from core.i18n import translate
from core.usecases.vision.images import carve_validation, check_images_labels, parse_idx, to_unit_float

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# keras.datasets' own origins and hashes. Keras gives none for Fashion-MNIST; these md5 sums are
# the ones Zalando publishes for the same files (github.com/zalandoresearch/fashion-mnist README).
ONLINE_FILES: dict[str, tuple[RemoteFile, ...]] = {
    "mnist_online": (
        RemoteFile("mnist.npz", KERAS_ORIGIN + "mnist.npz",
                   "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
    ),
    "fashion_mnist_online": (
        RemoteFile("train-labels-idx1-ubyte.gz", KERAS_ORIGIN + "train-labels-idx1-ubyte.gz",
                   "25c81989df183df01b3e8a0aad5dffbe"),
        RemoteFile("train-images-idx3-ubyte.gz", KERAS_ORIGIN + "train-images-idx3-ubyte.gz",
                   "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        RemoteFile("t10k-labels-idx1-ubyte.gz", KERAS_ORIGIN + "t10k-labels-idx1-ubyte.gz",
                   "bb300cfdad3c16e7a12a480ee83cd310"),
        RemoteFile("t10k-images-idx3-ubyte.gz", KERAS_ORIGIN + "t10k-images-idx3-ubyte.gz",
                   "bef4ecab320f06d8554ea6380940ec79"),
    ),
    "cifar10_online": (
        RemoteFile("cifar-10-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                   "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
    ),
}
# Sub-folder of cache_dir/keras per dataset (keras.datasets' layout).
CACHE_SUBDIRS = {
    "mnist_online": "datasets",
    "fashion_mnist_online": "datasets/fashion-mnist",
    "cifar10_online": "datasets",
}
DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)
# Plain names for messages ("Could not download CIFAR-10 ...").
NAMES = {"mnist_online": "MNIST", "fashion_mnist_online": "Fashion-MNIST", "cifar10_online": "CIFAR-10"}


def cached_path(dataset_id: str, remote: RemoteFile) -> Path:
    """The local path a remote file is (or will be) cached at."""
    return keras_cache_dir() / CACHE_SUBDIRS[dataset_id] / remote.fname


def is_cached(dataset_id: str) -> bool:
    """Whether every file of a dataset is already in the cache (not verified: that costs a hash)."""
    return all(cached_path(dataset_id, remote).is_file() for remote in ONLINE_FILES[dataset_id])


def online_available(dataset_id: str | None = None) -> tuple[bool, str]:
    """(True, "") when the data is cached or downloads are allowed, else (False, reason key).

    Without a dataset_id: whether any online dataset can be had (downloads allowed, or one is cached).
    """
    if get_settings().allow_online:
        return True, ""
    ids = [dataset_id] if dataset_id else list(ONLINE_FILES)
    if any(is_cached(one) for one in ids):
        return True, ""
    return False, ONLINE_DISABLED


def mnist_online_available() -> tuple[bool, str]:
    """online_available for MNIST only."""
    return online_available("mnist_online")


def fashion_mnist_online_available() -> tuple[bool, str]:
    """online_available for Fashion-MNIST only."""
    return online_available("fashion_mnist_online")


def cifar10_online_available() -> tuple[bool, str]:
    """online_available for CIFAR-10 only."""
    return online_available("cifar10_online")


def _title(dataset_id: str) -> str:
    return translate(f"datasets.{dataset_id}.title", "en")


def fetch(dataset_id: str) -> list[Path]:
    """Local, hash-verified paths of a dataset's files, downloading the missing ones."""
    return fetch_files(((remote, cached_path(dataset_id, remote)) for remote in ONLINE_FILES[dataset_id]),
                       NAMES[dataset_id])


def _corrupt(dataset_id: str, paths: list[Path], error: Exception) -> DataError:
    """A file whose hash matched but whose content cannot be parsed: delete it and say so."""
    for path in paths:
        path.unlink(missing_ok=True)
    return DataError("errors.data.online_corrupt", name=NAMES[dataset_id],
                     path=", ".join(str(p) for p in paths), detail=str(error))


def _dataset(dataset_id: str, arrays: tuple[np.ndarray, ...], *, class_names, seed: int,
             provenance: str, licence: str, licence_key: str = "") -> Dataset:
    x_train, y_train, x_test, y_test = arrays
    x_train, y_train, x_val, y_val, x_test, y_test = carve_validation(
        x_train, y_train, x_test, y_test, val_fraction=0.1, random_state=seed
    )
    if x_train.ndim == 3:
        x_train, x_val, x_test = (a[..., np.newaxis] for a in (x_train, x_val, x_test))
    total = len(y_train) + len(y_val) + len(y_test)
    return Dataset(
        id=dataset_id,
        title=_title(dataset_id),
        task="multiclass",
        x_train=to_unit_float(x_train), y_train=y_train,
        x_val=to_unit_float(x_val), y_val=y_val,
        x_test=to_unit_float(x_test), y_test=y_test,
        class_names=tuple(class_names),
        source_kind="online",
        provenance=provenance.format(seed=seed, total=total, cache=keras_cache_dir()),
        licence=licence,
        seed=seed,
        extra={"title_key": f"datasets.{dataset_id}.title", "original_size": total, "official_test_split": True,
               **source_keys(f"provenance.{dataset_id}", licence_key, total=f"{total:,}", cache=str(keras_cache_dir()),
                             origin=KERAS_ORIGIN, seed=seed)},
    )


def load_mnist_online(*, seed: int = 0) -> Dataset:
    """The full MNIST digits (60,000 train + 10,000 test, 28x28) via keras.datasets' mnist.npz."""
    (path,) = fetch("mnist_online")
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = tuple(np.asarray(stored[k]) for k in ("x_train", "y_train", "x_test", "y_test"))
        check_images_labels(arrays[0], arrays[1], shape=(28, 28), classes=10)
        check_images_labels(arrays[2], arrays[3], shape=(28, 28), classes=10)
    except (OSError, ValueError, KeyError) as error:
        raise _corrupt("mnist_online", [path], error) from error
    return _dataset(
        "mnist_online", arrays, class_names=DIGIT_NAMES, seed=seed,
        provenance=(
            "MNIST handwritten digits (LeCun, Cortes & Burges, 1998), {total:,} 28x28 grayscale images, "
            "downloaded once from keras.datasets' mirror (" + KERAS_ORIGIN + "mnist.npz, sha256-verified) "
            "and cached in {cache}; official 60,000/10,000 train/test split, validation = stratified 10% "
            "of train (seed {seed}). http://yann.lecun.com/exdb/mnist/"
        ),
        licence="CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)",
    )


def load_fashion_mnist_online(*, seed: int = 0) -> Dataset:
    """Fashion-MNIST (60,000 + 10,000 28x28 clothing images) via keras.datasets' mirror."""
    paths = fetch("fashion_mnist_online")
    try:
        y_train, x_train, y_test, x_test = (parse_idx(gzip.decompress(p.read_bytes())) for p in paths)
        check_images_labels(x_train, y_train, shape=(28, 28), classes=10)
        check_images_labels(x_test, y_test, shape=(28, 28), classes=10)
    except (OSError, ValueError, EOFError) as error:
        raise _corrupt("fashion_mnist_online", paths, error) from error
    return _dataset(
        "fashion_mnist_online", (x_train, y_train, x_test, y_test), class_names=FASHION_MNIST_CLASSES,
        seed=seed,
        provenance=(
            "Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017, arXiv:1708.07747), {total:,} 28x28 grayscale "
            "Zalando article images, downloaded once from keras.datasets' mirror (" + KERAS_ORIGIN + ", "
            "md5-verified against Zalando's published sums) and cached in {cache}; official 60,000/10,000 "
            "split, validation = stratified 10% of train (seed {seed}). "
            "https://github.com/zalandoresearch/fashion-mnist"
        ),
        licence="MIT (Copyright 2017 Zalando SE)",
    )


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles CIFAR batches: dicts, lists and NumPy arrays only, never arbitrary code."""

    ALLOWED = frozenset({
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    })

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")


def _cifar_batch(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    batch = _ArrayUnpickler(io.BytesIO(raw), encoding="bytes").load()
    batch = {(k.decode() if isinstance(k, bytes) else k): v for k, v in batch.items()}
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch["labels"], dtype=np.int64)
    images = data.reshape(len(data), 3, 32, 32).transpose(0, 2, 3, 1)
    return images, labels


def load_cifar10_online(*, seed: int = 0) -> Dataset:
    """CIFAR-10 (50,000 train + 10,000 test 32x32 colour photos, 10 classes), from the authors' archive."""
    (path,) = fetch("cifar10_online")
    wanted = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    batches: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        with tarfile.open(path, mode="r:gz") as archive:  # read in memory, never extracted
            for member in archive:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in wanted:
                    batches[base] = _cifar_batch(archive.extractfile(member).read())
        missing = [name for name in wanted if name not in batches]
        if missing:
            raise ValueError(f"archive lacks {', '.join(missing)}")
        x_train = np.concatenate([batches[name][0] for name in wanted[:-1]])
        y_train = np.concatenate([batches[name][1] for name in wanted[:-1]])
        x_test, y_test = batches["test_batch"]
        check_images_labels(x_train, y_train, shape=(32, 32, 3), classes=10)
        check_images_labels(x_test, y_test, shape=(32, 32, 3), classes=10)
    except (OSError, ValueError, EOFError, KeyError, pickle.UnpicklingError, tarfile.TarError) as error:
        raise _corrupt("cifar10_online", [path], error) from error
    return _dataset(
        "cifar10_online", (x_train, y_train, x_test, y_test), class_names=CIFAR10_CLASSES, seed=seed,
        provenance=(
            "CIFAR-10 (Krizhevsky, 2009, 'Learning Multiple Layers of Features from Tiny Images'), {total:,} "
            "32x32 colour photos in 10 classes, downloaded once from https://www.cs.toronto.edu/~kriz/"
            "cifar-10-python.tar.gz (sha256-verified, the origin keras.datasets uses) and cached in {cache}; "
            "official 50,000/10,000 split, validation = stratified 10% of train (seed {seed})."
        ),
        licence="No licence stated by the authors, who ask users to cite Krizhevsky (2009)",
        licence_key="provenance.licence_cifar10",
    )
