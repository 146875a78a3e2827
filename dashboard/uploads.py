"""Uploaded files: size limit, accepted types, where a stored copy lives and what it was called."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from core.config import get_settings
from core.data.cache import UPLOAD_NAME
from core.data.delimited import DELIMITED_EXTENSIONS, check_extension
from core.data.uploads import store_upload
from core.errors import DataError, StudioError
from dashboard.i18n import error_text, t

def upload_bytes(upload: Any) -> bytes:
    """An uploaded file's bytes; DataError naming the limit when it is over STUDIO_MAX_UPLOAD_MB."""
    data = upload.getvalue()
    if len(data) > get_settings().max_upload_bytes:
        raise DataError("errors.data.upload_too_large", size_mb=round(len(data) / 2**20, 1),
                        limit_mb=get_settings().max_upload_mb)
    return data


def stored_upload_kwargs(upload: Any) -> dict[str, str]:
    """Keep an uploaded zip in the data dir (so its runs can be re-evaluated) and name it for the loader."""
    return {"data": str(store_upload(upload_bytes(upload), suffix=".zip")), **upload_name_kwargs(upload)}


def upload_name_kwargs(upload: Any) -> dict[str, str]:
    """The upload's original file name as a dataset kwarg: runs record it, so people can tell uploads apart."""
    name = str(getattr(upload, "name", "") or "")
    return {UPLOAD_NAME: name} if name else {}


def upload_name(dataset_kwargs: dict[str, Any]) -> str:
    """The original file name of an upload among dataset kwargs ("" for bundled data)."""
    return str(dataset_kwargs.get(UPLOAD_NAME) or "")


def forget_upload(dataset_kwargs: dict[str, Any]) -> None:
    """Delete a stored upload that failed validation; nothing else refers to it."""
    path = dataset_kwargs.get("data")
    if path and Path(path).parent == get_settings().data_dir / "uploads":
        Path(path).unlink(missing_ok=True)


def checked_uploader(label: str, *, key: str, help_key: str | None = None, needed_key: str | None = None,
                     types: tuple[str, ...] | None = None) -> Any | None:
    """A file uploader whose texts are the studio's, translated; None once an info or error is shown.

    The browser accepts any file: Streamlit refuses other types with its own English tooltip that
    names no type. Here a file of another type gets a translated message naming the accepted ones,
    and the help says which types and what size are accepted in the reader's language.
    """
    accepted = tuple(types or DELIMITED_EXTENSIONS)
    mb = get_settings().max_upload_mb
    help_text = t("formats.types_help", types=", ".join(f".{e}" for e in accepted), mb=mb)
    if help_key:
        help_text = f"{t(help_key)}  \n{help_text}"
    upload = st.file_uploader(label, type=None, key=key, help=help_text)
    if upload is None:
        if needed_key:
            st.info(t(needed_key))
        return None
    try:
        check_extension(upload.name, accepted)
    except StudioError as error:
        st.error(error_text(error))
        return None
    return upload

