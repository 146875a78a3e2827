"""Uploaded files kept under the data dir, named by content hash, so their runs can be re-evaluated and carried
to another machine (a Ray worker) as bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from core.config import Settings, get_settings


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def store_upload(data: bytes, *, suffix: str = ".zip", settings: Settings | None = None) -> Path:
    """Keep an uploaded file under the data dir, named by content hash (the same bytes: the same file)."""
    uploads = uploads_dir(settings or get_settings())
    uploads.mkdir(parents=True, exist_ok=True)
    path = uploads / f"{hashlib.sha256(data).hexdigest()[:20]}{suffix}"
    if not path.exists():
        path.write_bytes(data)
    return path


def upload_files(dataset_kwargs: dict[str, Any], settings: Settings) -> dict[str, Path]:
    """{file name: path} of the stored uploads (see store_upload) a dataset's arguments name."""
    uploads = uploads_dir(settings).resolve()
    found = {}
    for value in dataset_kwargs.values():
        if isinstance(value, (str, Path)) and str(value):
            path = Path(value)
            if path.is_file() and path.resolve().parent == uploads:
                found[path.name] = path
    return found


def with_uploads(dataset_kwargs: dict[str, Any], uploads: dict[str, bytes], settings: Settings) -> dict[str, Any]:
    """Store carried upload bytes in this machine's data dir and point the dataset's arguments at them."""
    local = {}
    for name, data in uploads.items():
        path = store_upload(data, suffix="".join(Path(name).suffixes), settings=settings)
        local[name] = str(path)
    return {key: local.get(Path(value).name, value) if isinstance(value, (str, Path)) else value
            for key, value in dataset_kwargs.items()}
