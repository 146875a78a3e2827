"""Sidebar shown on every page: language switch, compute device, where runs are stored.

Runs on every rerun of every page, so it must stay cheap and never import TensorFlow or MLflow.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from core.config import get_settings
from core.i18n import LANGUAGES
from dashboard import access
from dashboard.i18n import LANGUAGE_KEY, current_language, t

LANGUAGE_NAMES = {"en": "English", "zh": "简体中文"}
TENSORFLOW_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos", "tf-nightly")


LANGUAGE_KEPT = "_lang_kept"  # the session's choice, kept outside the widget's own state


def init_language() -> str:
    """Seed the language so t() is right before the widget renders: the session's choice, else ?lang=zh in the
    link, else settings. Streamlit drops the switch's state when a button changes page (Home's "Open in the
    lab"), so the choice is also kept under its own key and brought back from there. The choice is written into
    the page's URL as well: a reload, a bookmark or a link copied from any page opens in the language the reader
    chose (page switches drop the query string; every run writes it back)."""
    if st.session_state.get(LANGUAGE_KEY) not in LANGUAGES:
        kept, requested = st.session_state.get(LANGUAGE_KEPT), st.query_params.get(LANGUAGE_KEY)
        st.session_state[LANGUAGE_KEY] = (kept if kept in LANGUAGES else requested if requested in LANGUAGES
                                          else current_language())
    language = st.session_state[LANGUAGE_KEPT] = st.session_state[LANGUAGE_KEY]
    if st.query_params.get(LANGUAGE_KEY) != language:
        st.query_params[LANGUAGE_KEY] = language
    return language


@st.cache_resource(show_spinner=False)
def _gpu_name() -> tuple[bool, str | None]:
    """(checked, GPU name or None) from `nvidia-smi`, without TensorFlow; (False, None) if the probe is missing."""
    try:
        from core.training.device import detect_gpu_light
    except ImportError:
        return False, None
    try:
        return True, detect_gpu_light()
    except Exception:  # noqa: BLE001 - a probe failure must not break the sidebar
        return False, None


def gpu_name() -> tuple[bool, str | None]:
    """Cached light GPU probe shared by the sidebar and the Home page."""
    return _gpu_name()


@st.cache_resource(show_spinner=False)
def package_version(*distributions: str) -> str | None:
    """Installed version of the first distribution found, read from package metadata (no import)."""
    for name in distributions:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def tensorflow_is_cpu_build() -> bool:
    """True when only `tensorflow-cpu` is installed: a GPU on the machine cannot be used for training."""
    return package_version("tensorflow-cpu") is not None and package_version("tensorflow", "tensorflow-gpu") is None


def _configured_device() -> str | None:
    """The device TensorFlow actually uses, once a page has loaded TensorFlow and Keras; else None."""
    if "tensorflow" not in sys.modules or "keras" not in sys.modules:
        return None
    try:
        from core.training.device import configure_device

        settings = get_settings()
        info = configure_device(settings.device_policy, mixed_precision=settings.mixed_precision)
    except Exception:  # noqa: BLE001 - e.g. policy "gpu" on a CPU machine: fall back to the light probe
        return None
    text = t("app.device_gpu", name=info.name) if info.is_gpu else t("app.device_cpu_cores", cores=os.cpu_count() or 1)
    if info.mixed_precision:
        text += " · " + t("app.mixed_precision")
    if info.note_key:
        text += "\n\n" + t(info.note_key)
    return text


def device_text() -> str:
    """What the sidebar says about the compute device, in the current language."""
    configured = _configured_device()
    if configured:
        return configured
    if get_settings().device_policy == "cpu":
        return t("app.device_cpu_policy")
    checked, name = gpu_name()
    if name:
        return t("app.device_gpu_unusable", name=name) if tensorflow_is_cpu_build() else t("app.device_gpu", name=name)
    return t("app.device_cpu") if checked else t("app.device_unknown")


def display_uri(uri: str) -> str:
    """The tracking URI without any user:password part, safe to show on a projector."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    if parts.password is None and parts.username is None:
        return uri
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def render_sidebar() -> None:
    """Language switch, compute device and run storage, below the page navigation."""
    settings = get_settings()
    with st.sidebar:
        init_language()
        st.segmented_control(
            ":material/translate: " + t("app.language"),
            options=list(LANGUAGES),
            format_func=lambda code: LANGUAGE_NAMES.get(code, code),
            key=LANGUAGE_KEY,
            required=True,
        )
        st.divider()
        access.render_account()
        if access.auth_configured() and not access.signed_in():
            return  # the server's device and storage paths are not for visitors who have not signed in
        st.markdown(f"**{t('app.device')}**")
        st.caption(device_text())
        st.markdown(f"**{t('app.runs_stored')}**")
        if settings.tracking_uri.startswith(("http://", "https://")):  # team mode: the shared MLflow server
            st.caption(f"`{display_uri(settings.tracking_uri)}`")
            st.caption(t("app.local_files", path=settings.data_dir))
        else:
            st.caption(f"`{settings.data_dir}`")
            st.caption(f"{t('app.tracking')}: `{display_uri(settings.tracking_uri)}`")


__all__ = ["LANGUAGE_NAMES", "init_language", "gpu_name", "package_version", "tensorflow_is_cpu_build", "device_text", "display_uri", "render_sidebar"]
