"""Online datasets, the shared part: download a published file once, cache it, verify its hash on every load.

Files go to settings.cache_dir / "keras" (never ~/.keras) through keras.utils.get_file, under a socket
timeout. A damaged or partial file is deleted and reported; with downloads switched off an uncached
file says so. The use cases name their files (core.usecases.vision.online, core.usecases.nlp.online,
core.usecases.recommendation.data). Importing this module never imports Keras.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from core.config import get_settings
from core.errors import DataError

# Seconds a socket operation may stall during a download before it fails (monkeypatched in tests).
DOWNLOAD_TIMEOUT_S = 30.0
ONLINE_DISABLED = "errors.data.online_disabled"

_DOWNLOAD_LOCK = threading.Lock()


@dataclass(frozen=True)
class RemoteFile:
    """One file to download: local name, origin URL and its sha256 (64 hex) or md5 (32 hex)."""

    fname: str
    origin: str
    file_hash: str


def keras_cache_dir() -> Path:
    """Where downloads are cached: under the studio data dir, not ~/.keras."""
    return get_settings().cache_dir / "keras"


def _hash_file(path: Path, expected: str) -> str:
    digest = hashlib.sha256() if len(expected) == 64 else hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_files(files: Iterable[tuple[RemoteFile, Path]], name: str) -> list[Path]:
    """Local, hash-verified paths of (remote file, cache path) pairs, downloading the missing ones.

    `name` is the dataset's plain name for messages ("Could not download CIFAR-10 ...").
    """
    paths = []
    with _DOWNLOAD_LOCK:
        for remote, path in files:
            if path.is_file():
                if _hash_file(path, remote.file_hash) != remote.file_hash:
                    path.unlink(missing_ok=True)
                    raise DataError("errors.data.online_corrupt", name=name, path=str(path),
                                    detail="checksum does not match the published one")
                paths.append(path)
                continue
            if not get_settings().allow_online:
                raise DataError(ONLINE_DISABLED)
            paths.append(_download(remote, path, name))
    return paths


def _download(remote: RemoteFile, path: Path, name: str) -> Path:
    """Download one file with keras.utils.get_file under a socket timeout; verify its hash."""
    import keras

    path.parent.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        downloaded = keras.utils.get_file(
            fname=remote.fname,
            origin=remote.origin,
            file_hash=remote.file_hash,
            cache_subdir=str(path.parent.relative_to(keras_cache_dir())),
            cache_dir=str(keras_cache_dir()),
        )
    except Exception as error:  # keras wraps URLError/HTTPError in a bare Exception
        path.unlink(missing_ok=True)  # keras leaves a file whose hash did not match
        detail = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
        raise DataError("errors.data.online_download_failed", name=name, url=remote.origin,
                        detail=detail) from error
    finally:
        socket.setdefaulttimeout(previous)
    downloaded = Path(downloaded)
    if downloaded.resolve() != path.resolve():  # keras fell back to /tmp/.keras (cache dir not writable)
        raise DataError("errors.data.online_download_failed", name=name, url=remote.origin,
                        detail=f"cache folder {path.parent} is not writable")
    return path
