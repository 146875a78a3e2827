"""Pretrained weight files: downloaded once into the data dir, hash-verified, reused offline.

Nothing here touches the network at import time, and nothing is fetched until a training job
asks for a file (`ensure_weights`). The table holds keras.applications' own origins and the
hashes Keras publishes for them (md5, 32 hex digits; a 64-digit hash is taken as sha256), plus
the approximate size used for the "needs a one-time N MB download" message and for the
progress bar when a server sends no Content-Length.

A failed download (no network, timeout, HTTP error) raises WeightsUnavailable with the size to
download, so the UI says so in the reader's language while every other candidate stays usable.
A downloaded or cached file whose hash differs from the published one is deleted and refused.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from core.config import get_settings
from core.data.online import _hash_file
from core.errors import StudioError

KERAS_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"
# Seconds a socket operation may stall before a download is given up (monkeypatched in tests).
DOWNLOAD_TIMEOUT_S = 20.0
CHUNK_BYTES = 1 << 16


class WeightsUnavailable(StudioError):
    """Pretrained weights cannot be had: offline, download failed, or the file's hash is wrong."""


@dataclass(frozen=True)
class WeightFile:
    """One downloadable weight file: local name, origin URL, published hash and approximate size."""

    fname: str
    url: str
    file_hash: str  # md5 (32 hex) or sha256 (64 hex), as published
    size_mb: float
    title: str  # plain name for messages, e.g. "MobileNetV3-Small (ImageNet)"


# keras.applications' no-top ImageNet files (keras/src/applications/mobilenet_v3.py WEIGHTS_HASHES
# "small_224_1.0_float"[1] and efficientnet_v2.py WEIGHTS_HASHES "b0"[1]).
WEIGHT_FILES: dict[str, WeightFile] = {
    "mobilenet_v3_small": WeightFile(
        "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
        KERAS_APPLICATIONS + "mobilenet_v3/weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
        "d3e8ec802a04aa4fc771ee12a9a9b836", 4.3, "MobileNetV3-Small (ImageNet)"),
    "efficientnet_v2_b0": WeightFile(
        "efficientnetv2-b0_notop.h5",
        KERAS_APPLICATIONS + "efficientnet_v2/efficientnetv2-b0_notop.h5",
        "893217f2bb855e2983157299931e43ff", 24.3, "EfficientNetV2-B0 (ImageNet)"),
}

Progress = Callable[[int, int], None]  # (bytes done, bytes expected)
_LOCK = threading.Lock()


def weights_dir() -> Path:
    """Where weight files are kept: <data dir>/cache/weights."""
    return get_settings().cache_dir / "weights"


def weight_file(key: str) -> WeightFile:
    try:
        return WEIGHT_FILES[key]
    except KeyError:
        raise KeyError(f"No weight file {key!r}; known: {', '.join(sorted(WEIGHT_FILES))}.") from None


def cached_weights(key: str) -> Path:
    """The path a weight file is (or will be) cached at."""
    return weights_dir() / weight_file(key).fname


def is_cached(key: str) -> bool:
    """Whether the file is in the cache (not verified: that costs a hash of the whole file)."""
    return cached_weights(key).is_file()


def weights_status(key: str) -> tuple[str, float]:
    """("cached" | "download" | "offline", size in MB) for the lab: never touches the network.

    "offline" means STUDIO_OFFLINE forbids downloads and the file is not cached yet.
    """
    spec = weight_file(key)
    if is_cached(key):
        return "cached", spec.size_mb
    return ("download" if get_settings().allow_online else "offline"), spec.size_mb


def _offline(spec: WeightFile, detail: str = "") -> WeightsUnavailable:
    return WeightsUnavailable("errors.weights.offline", name=spec.title, size_mb=f"{spec.size_mb:.0f}",
                              detail=detail or "STUDIO_OFFLINE=1")


def _verify(path: Path, spec: WeightFile) -> None:
    actual = _hash_file(path, spec.file_hash)
    if actual != spec.file_hash:
        path.unlink(missing_ok=True)
        raise WeightsUnavailable("errors.weights.hash_mismatch", name=spec.title, expected=spec.file_hash,
                                 actual=actual)


def _download(spec: WeightFile, path: Path, progress: Progress | None) -> None:
    """Stream the URL to path.part with progress, then move it into place (never a half file at path)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    expected = int(spec.size_mb * 1024 * 1024)
    try:
        with urllib.request.urlopen(spec.url, timeout=DOWNLOAD_TIMEOUT_S) as response, open(partial, "wb") as out:
            length = response.headers.get("Content-Length") if hasattr(response, "headers") else None
            expected = int(length) if length and str(length).isdigit() else expected
            done = 0
            if progress:
                progress(0, expected)
            for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, max(expected, done))
    except (urllib.error.URLError, OSError, ValueError) as error:
        partial.unlink(missing_ok=True)
        reason = getattr(error, "reason", None) or error
        raise _offline(spec, str(reason).splitlines()[0][:200] if str(reason) else type(error).__name__) from error
    partial.replace(path)


def ensure_weights(key: str, *, progress: Progress | None = None) -> Path:
    """A verified local copy of weight file `key`, downloading it once when it is missing.

    Raises WeightsUnavailable when it is missing and cannot be downloaded (offline, blocked) or
    when its hash differs from the published one (the file is then deleted).
    """
    spec = weight_file(key)
    path = cached_weights(key)
    with _LOCK:
        if not path.is_file():
            if not get_settings().allow_online:
                raise _offline(spec)
            _download(spec, path, progress)
        _verify(path, spec)
    if progress:
        size = path.stat().st_size
        progress(size, size)
    return path
