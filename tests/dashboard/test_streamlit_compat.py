"""Streamlit's per-rerun clean-up must leave Keras alone, or background training crawls (383 s vs 17 s)."""

from __future__ import annotations

import os
import subprocess
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


def test_no_emoji_in_streamlits_catalogue_starts_with_a_character_the_fast_path_skips():
    from streamlit.emojis import ALL_EMOJIS

    from dashboard.streamlit_compat import _NEVER_STARTS_AN_EMOJI

    assert len(ALL_EMOJIS) > 3000
    assert [emoji for emoji in ALL_EMOJIS if _NEVER_STARTS_AN_EMOJI.match(emoji)] == []
    assert _NEVER_STARTS_AN_EMOJI.match("简体中文") and not _NEVER_STARTS_AN_EMOJI.match("〽 x")


_COLD_LABEL = """
import sys
from streamlit import string_util
if {patch}:
    from dashboard.streamlit_compat import skip_emoji_catalogue_for_cjk_labels
    assert skip_emoji_catalogue_for_cjk_labels()
print(string_util.extract_leading_icon("简体中文"), "streamlit.emojis" in sys.modules)
print(string_util.extract_leading_icon("🚨 Error"), string_util.extract_leading_emoji("〽️ Part"))
"""


@pytest.mark.parametrize("patch", [False, True])
def test_a_chinese_label_no_longer_loads_the_emoji_catalogue_and_emoji_still_parse(patch):
    """Streamlit's own path compiles its emoji regex (0.18 s) for "简体中文"; the fast path does not."""
    out = subprocess.run([sys.executable, "-c", _COLD_LABEL.format(patch=patch)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    first, second = out.stdout.strip().splitlines()
    assert first == f"('', '简体中文') {not patch}"
    assert second == "('🚨', 'Error') ('〽️', 'Part')"


def test_the_cold_home_page_does_not_load_the_emoji_catalogue(tmp_path):
    """The first run of the app (Home, English, language switch with "简体中文") leaves streamlit.emojis unloaded."""
    code = ("import sys; from streamlit.testing.v1 import AppTest;"
            "at = AppTest.from_file('dashboard/app.py', default_timeout=60).run();"
            "assert not at.exception, at.exception;"
            "print([t.value for t in at.title][:1], 'streamlit.emojis' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180,
                         env={**os.environ, "STUDIO_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[':material/explore: AI Strategy Studio'] False"
