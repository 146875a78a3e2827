"""t(key) for pages: the catalog text in the language chosen in the sidebar."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.config import get_settings
from core.i18n import LANGUAGES, StudioError, translate
from core.tracking.records import endpoint_of

if TYPE_CHECKING:
    from core.data.dataset import Dataset

LANGUAGE_KEY = "lang"


def current_language() -> str:
    lang = st.session_state.get(LANGUAGE_KEY) or get_settings().default_language
    return lang if lang in LANGUAGES else "en"


def t(key: str, /, **params: Any) -> str:
    """Translated text for the current session's language."""
    return translate(key, current_language(), **params)


def error_text(error: Exception) -> str:
    """A user-facing message for an exception, in the current language."""
    if isinstance(error, StudioError):
        return error.message(current_language())
    return t("errors.generic", detail=str(error) or type(error).__name__)


def dataset_source(dataset: Dataset, *, upload_name: str = "") -> tuple[str, str]:
    """(provenance, licence) of a dataset in the current language; `upload_name` names an upload's file.

    Both come without a closing full stop (some catalog texts have one, some not): the page's own
    sentence around them ends each one, so "encoding utf-8.." cannot happen.

    Loaders that know their text's keys put them in dataset.extra (core.data.dataset.source_keys);
    arguments named `*_key` are phrases translated before they are filled in. Without keys the
    dataset's own English text is shown.
    """
    provenance, licence = _source_texts(dataset, upload_name)
    return _without_full_stop(provenance), _without_full_stop(licence)


def _without_full_stop(text: str) -> str:
    return str(text).rstrip().rstrip(".。").rstrip()


def _source_texts(dataset: Dataset, upload_name: str) -> tuple[str, str]:
    extra = getattr(dataset, "extra", {}) or {}
    if not extra.get("provenance_key"):
        return dataset.provenance, dataset.licence
    args = {(name[:-4] if name.endswith("_key") else name): (t(value) if name.endswith("_key") else value)
            for name, value in extra.get("provenance_args", {}).items()}
    if upload_name and "name" in args:  # the stored copy is named by a hash; people know the file they chose
        args["name"] = upload_name
    provenance = t(extra["provenance_key"], **args)
    licence = t(extra["licence_key"]) if extra.get("licence_key") else dataset.licence
    if provenance == extra["provenance_key"]:  # not in the catalogs: the loader's own text
        provenance = dataset.provenance
    if licence == extra.get("licence_key"):
        licence = dataset.licence
    return provenance, licence


_CPU_DEVICE = re.compile(r"^CPU \((\d+) cores?\)$")


def device_text(name: Any) -> str:
    """A run's recorded device in the current language: "CPU (2 cores)" -> "CPU（2 核）"; GPU models as named;
    "endpoint api.openai.com" -> "Endpoint at api.openai.com"."""
    if name is None or (isinstance(name, float) and name != name) or str(name).strip() in ("", "-"):
        return "–"
    host = endpoint_of(name)
    if host is not None:  # an LLM answered by a server elsewhere (core.training.device.endpoint_device)
        return t("selection.endpoint_device", host=host)
    match = _CPU_DEVICE.match(str(name).strip())
    return t("app.device_cpu_cores", cores=int(match.group(1))) if match else str(name)
