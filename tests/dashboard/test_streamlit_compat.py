"""Streamlit's per-rerun clean-up must leave Keras alone, or background training crawls (383 s vs 17 s)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def script_runner():
    from streamlit.runtime.scriptrunner import script_runner as module

    original = module._clean_problem_modules
    yield module
    module._clean_problem_modules = original


def _next_dense_name() -> str:
    import keras

    return keras.layers.Dense(1).name


def test_streamlits_own_clean_up_resets_keras_which_is_why_it_is_replaced(script_runner):
    import keras  # noqa: F401 - the clean-up only touches Keras once it is imported

    from dashboard import streamlit_compat

    streamlit_compat.keep_keras_state_between_reruns()  # keeps Streamlit's own function aside
    _next_dense_name()
    streamlit_compat.streamlit_clean_up()  # Streamlit's original: keras.backend.clear_session()
    assert _next_dense_name() == "dense"  # global state (name counters, dtype policy, ...) is gone


def test_replacement_keeps_keras_state_and_still_closes_pyplot_figures(script_runner):
    import keras  # noqa: F401
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dashboard.streamlit_compat import keep_keras_state_between_reruns

    assert keep_keras_state_between_reruns()
    _next_dense_name()
    plt.figure()
    script_runner._clean_problem_modules()
    assert _next_dense_name() != "dense"  # the counter kept going: nothing was reset
    assert plt.get_fignums() == []
    assert "matplotlib.pyplot" in sys.modules


def test_streamlit_config_turns_off_the_forced_collection_after_each_rerun():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
