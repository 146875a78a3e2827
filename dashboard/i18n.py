"""t(key) for pages: the catalog text in the language chosen in the sidebar."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.config import get_settings
from core.i18n import LANGUAGES, StudioError, translate

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
