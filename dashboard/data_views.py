"""A lab's data step: the source picker and seed, loading the chosen dataset (asking for a file first)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import streamlit as st

from core.data.cache import load_dataset
from core.errors import StudioError
from dashboard import access
from dashboard.i18n import error_text, t
from dashboard.uploads import checked_uploader, upload_name_kwargs
from dashboard.widgets import translated_choice

if TYPE_CHECKING:
    from core.contract.usecase import DatasetSource, UseCase
    from core.data.dataset import Dataset

def render_source_and_seed(use_case: UseCase, *, prefix: str) -> tuple[DatasetSource, int]:
    """The dataset source picker (title · bundled/online/uploaded), its description and the split seed."""
    sources = {source.id: source for source in use_case.datasets if source.kind != "uploaded" or access.can("upload")}
    source_id = translated_choice(
        st.selectbox, t("lab.dataset"), list(sources), key=f"{prefix}_dataset",
        format_func=lambda sid: f"{t(sources[sid].title_key)} · {t('lab.kind_' + sources[sid].kind)}",
    )
    source = sources[source_id]
    if source.description_key:
        st.caption(t(source.description_key))
    seed = int(st.number_input(t("lab.seed"), min_value=0, max_value=2**31 - 1, value=0, step=1,
                               key=f"{prefix}_seed", help=t("lab.seed_help")))
    return source, seed


def load_csv_source(use_case: UseCase, source: DatasetSource, seed: int, *, prefix: str, area: str,
                    upload_kwargs: Callable[[Any], dict[str, Any]]) -> tuple[Dataset, dict[str, Any]] | None:
    """The chosen dataset, asking for a CSV first when the source is an upload; None once a message is shown.

    `upload_kwargs(upload)` turns the file into loader arguments (it may ask for columns); the
    widget key is `<prefix>_upload_csv` and its texts are `<area>.upload_csv/_help/_needed`.
    """
    dataset_kwargs: dict[str, Any] = {}
    try:
        if source.kind == "uploaded":
            upload = checked_uploader(t(f"{area}.upload_csv"), key=f"{prefix}_upload_csv",
                                      help_key=f"{area}.upload_help", needed_key=f"{area}.upload_needed")
            if upload is None:
                return None
            dataset_kwargs = {**upload_kwargs(upload), **upload_name_kwargs(upload)}
        dataset = load_dataset_for_ui(use_case.id, source.id, seed, dataset_kwargs)
    except StudioError as error:
        st.error(error_text(error))
        return None
    return dataset, dataset_kwargs


def load_dataset_for_ui(use_case_id: str, source_id: str, seed: int, dataset_kwargs: dict[str, Any]):
    """The dataset, shared in memory with the training jobs (core keeps one copy per process)."""
    with st.spinner(t("lab.loading_data")):
        return load_dataset(use_case_id, source_id, seed=seed, **dataset_kwargs)

