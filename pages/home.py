"""Home: what the studio does, the use cases with their status, and the environment at a glance.

Must open fast on a cold server: never imports TensorFlow or MLflow (versions come from package
metadata, the GPU from `nvidia-smi`).
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import streamlit as st

from core.config import get_settings
from core.contract.registry import USE_CASES
from dashboard.i18n import t
from dashboard.sidebar import (TENSORFLOW_DISTRIBUTIONS, display_uri, gpu_name, package_version,
                               tensorflow_is_cpu_build)

LAB_PAGE = str(Path(__file__).resolve().parent / "lab.py")
LAB_USE_CASE_KEY = "lab_use_case"
OK = ":green[:material/check_circle:]"
WARN = ":orange[:material/warning:]"


def _tensorflow_status() -> str:
    version = package_version(*TENSORFLOW_DISTRIBUTIONS)
    if version is None:
        return f"{WARN} {t('home.env.not_installed')}"
    return t("home.env.tf_loaded" if "tensorflow" in sys.modules else "home.env.tf_lazy", version=version)


def _gpu_status() -> str:
    checked, name = gpu_name()
    if name and tensorflow_is_cpu_build():
        return f"{WARN} {t('app.device_gpu_unusable', name=name)}"
    if name:
        return f"{OK} {name}"
    return t("home.env.gpu_none") if checked else t("home.env.gpu_unknown")


def _environment_rows() -> list[tuple[str, str]]:
    settings = get_settings()
    keras_version = package_version("keras")
    fashion = settings.fashion_mnist_dir.exists()
    return [
        (t("home.env.python"), platform.python_version()),
        (t("home.env.tensorflow"), _tensorflow_status()),
        (t("home.env.keras"), keras_version or f"{WARN} {t('home.env.not_installed')}"),
        (t("home.env.gpu"), _gpu_status()),
        (t("home.env.fashion_mnist"),
         f"{OK} {t('home.env.installed')}" if fashion else t("home.env.fashion_missing")),
        (t("home.env.online"), t("home.env.online_on") if settings.allow_online else t("home.env.online_off")),
        (t("home.env.tracking"), f"`{display_uri(settings.tracking_uri)}`"),
        (t("home.env.data_dir"), f"`{settings.data_dir}`"),
    ]


def _cell(text: str) -> str:
    """Markdown-table-safe text."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_intro() -> None:
    st.title(f":material/explore: {t('app.title')}")
    st.markdown(f"##### {t('app.tagline')}")
    st.markdown(
        "\n".join(f"- {t(key)}" for key in ("home.point_train", "home.point_inside", "home.point_decide"))
    )


def render_use_cases() -> None:
    st.subheader(t("home.usecases_title"))
    use_cases = list(USE_CASES.values())
    grid = st.grid(2, min_column_width=260, gap="small")  # 2 x 2 at any width: no orphan card
    for use_case in use_cases:
        available = use_case.status == "available"
        icon = use_case.icon
        with grid, st.container(border=True, height="stretch"):
            st.markdown(f"#### {icon} {t(use_case.title_key)}")
            if available:
                st.badge(t("status.available"), icon=":material/check_circle:", color="green")
            else:
                st.badge(t("status.coming"), icon=":material/schedule:", color="gray")
            st.markdown(t(use_case.value_key))
            if available:
                if st.button(t("home.open_lab"), key=f"home_open_{use_case.id}", type="primary",
                             icon=":material/science:", width="stretch"):
                    st.session_state[LAB_USE_CASE_KEY] = use_case.id
                    st.switch_page(LAB_PAGE)
            else:
                st.button(t("status.coming"), key=f"home_open_{use_case.id}", disabled=True, width="stretch")


def render_environment() -> None:
    st.subheader(t("home.env_title"))
    lines = [f"| {t('home.env_item')} | {t('home.env_state')} |", "|---|---|"]
    lines += [f"| {_cell(name)} | {_cell(value)} |" for name, value in _environment_rows()]
    with st.container(border=True):
        st.markdown("\n".join(lines))
        st.caption(t("home.env_caption"))


render_intro()
render_use_cases()
render_environment()
