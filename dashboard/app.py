"""Streamlit entry: page navigation, sidebar (language, device, run storage)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `streamlit run dashboard/app.py` only puts dashboard/ on sys.path
    sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402

from dashboard import access  # noqa: E402
from dashboard.i18n import t  # noqa: E402
from dashboard.services import start_background_warmup  # noqa: E402
from dashboard.sidebar import init_language, render_sidebar  # noqa: E402
from dashboard.streamlit_compat import (keep_keras_state_between_reruns, skip_direct_execution_warning,  # noqa: E402
                                        skip_emoji_catalogue_for_cjk_labels)
from dashboard.widgets import translate_file_uploaders  # noqa: E402

PAGES_DIR = REPO_ROOT / "pages"

keep_keras_state_between_reruns()  # before any rerun ends: background training must not be reset
skip_direct_execution_warning()  # before the first element: Streamlit's inspect.stack() of every module, for nothing
skip_emoji_catalogue_for_cjk_labels()  # "简体中文" in the language switch: no 0.18 s emoji catalogue on a cold page

# The language widget's new value is already in session_state when this rerun starts, so every
# t() below (page title, navigation, sidebar, page body) uses the language just chosen.
init_language()
st.set_page_config(page_title=t("app.title"), page_icon=":material/explore:", layout="wide")

home = st.Page(str(PAGES_DIR / "home.py"), title=t("nav.home"), icon=":material/home:", url_path="overview",
               default=True)  # served at "/"; its url_path only names it
pages = [
    home,
    # "/home" is what people type for the Home page: a hidden page that opens it (not "Page not found")
    st.Page(lambda: st.switch_page(home), title=t("nav.home"), url_path="home", visibility="hidden"),
    st.Page(str(PAGES_DIR / "lab.py"), title=t("nav.lab"), icon=":material/science:", url_path="lab"),
    st.Page(str(PAGES_DIR / "runs.py"), title=t("nav.runs"), icon=":material/monitoring:", url_path="runs"),
    st.Page(str(PAGES_DIR / "selection.py"), title=t("nav.selection"), icon=":material/compare_arrows:",
            url_path="selection"),
    st.Page(str(PAGES_DIR / "strategy.py"), title=t("nav.strategy"), icon=":material/insights:", url_path="strategy"),
    st.Page(str(PAGES_DIR / "walkthrough.py"), title=t("nav.walkthrough"), icon=":material/calculate:", url_path="walkthrough"),
    st.Page(str(PAGES_DIR / "model_trace.py"), title=t("nav.model_trace"), icon=":material/layers:", url_path="model-trace"),
]
navigation = st.navigation(access.pages_for_session(pages))  # only a sign-in page until [auth] users sign in
render_sidebar()
translate_file_uploaders()  # Streamlit's own "Upload" / "50MB per file" in the reader's language
navigation.run()
# After the page has rendered, so it never delays the first paint: tracker start-up (and marking
# runs a crash left "running" as interrupted) continues in a background thread.
start_background_warmup()
