"""Keeps Streamlit from resetting Keras after every rerun, which stalls models training in background jobs.

After each script run (and each 1-second refresh of a live progress fragment) Streamlit calls
`keras.backend.clear_session()`: it replaces Keras's global state for every thread (dtype
policy included), clears TensorFlow's kernel cache and forces a full garbage collection. A
model training in a job thread pays that every second: matrix factorisation took 383 s in the
app against 17 s outside it. The studio builds every model afresh in its own job, so it needs
none of that clean-up; the other half of it (closing pyplot figures) is kept.

Also skips Streamlit's one-off "run it with `streamlit run`" check on the first element of a server
process: it calls inspect.stack(), which resolves the real path of every imported module's file, on
the cold path of the first page (0.15 s on the loaded 2-core box) to warn about something that cannot
happen here (the app is always started by `streamlit run`).

And lets a label that starts with a Chinese character skip Streamlit's emoji catalogue: the first
non-ASCII label of a server process ("简体中文" in the language switch, on every page) made Streamlit
import `streamlit.emojis`, whose one regular expression over every emoji takes 0.18 s to compile, on
the cold path of the first page, to learn that "简" is not an emoji.
"""

from __future__ import annotations

import re
import sys


def _close_pyplot_figures() -> None:
    """What Streamlit's clean-up does besides resetting Keras: close pyplot figures left open."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        try:
            pyplot.close("all")
        except Exception:  # noqa: BLE001 - never fail a rerun over figure clean-up
            pass


_close_pyplot_figures.studio_keeps_keras = True  # type: ignore[attr-defined]
streamlit_clean_up = None  # Streamlit's own clean-up, kept once replaced (tests show what it did)


def keep_keras_state_between_reruns() -> bool:
    """Replace Streamlit's per-rerun clean-up with one that leaves Keras alone; True when in place.

    Streamlit has no setting for this; its script runner looks the function up by name at the end
    of every run, so swapping the module attribute takes effect at once. A Streamlit without that
    function changes nothing (False), and tests/dashboard/test_streamlit_compat.py says so.
    """
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return False
    global streamlit_clean_up
    current = getattr(script_runner, "_clean_problem_modules", None)
    if current is None:
        return False
    if streamlit_clean_up is None and not getattr(current, "studio_keeps_keras", False):
        streamlit_clean_up = current
    script_runner._clean_problem_modules = _close_pyplot_figures
    return True


def skip_direct_execution_warning() -> bool:
    """Tell Streamlit its "use `streamlit run`" warning was shown, so its first element skips inspect.stack();
    True when in place (a Streamlit without that flag: nothing changes, False)."""
    try:
        from streamlit import delta_generator
    except ImportError:
        return False
    if not hasattr(delta_generator, "_use_warning_has_been_displayed"):
        return False
    delta_generator._use_warning_has_been_displayed = True
    return True


# CJK ideographs (with extension A and compatibility ideographs), kana, hangul syllables and full-width
# forms: no emoji starts with one of these (tests/dashboard/test_streamlit_compat.py checks it against
# Streamlit's own catalogue). CJK symbols such as 〽 and ㊗ are emoji and are left to Streamlit.
_NEVER_STARTS_AN_EMOJI = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def skip_emoji_catalogue_for_cjk_labels() -> bool:
    """A text that starts with a CJK character has no leading emoji: say so without Streamlit's catalogue.

    Streamlit looks for a leading emoji in widget option labels (the language switch), page names and
    icons; its own fast path covers ASCII only. True when in place (a Streamlit without that function:
    nothing changes, False).
    """
    try:
        from streamlit import source_util, string_util
    except ImportError:
        return False
    current = getattr(string_util, "extract_leading_emoji", None)
    if current is None:
        return False
    if not getattr(current, "studio_cjk_fast_path", False):
        def extract_leading_emoji(text: str) -> tuple[str, str]:
            if text and _NEVER_STARTS_AN_EMOJI.match(text):
                return "", text
            return current(text)

        extract_leading_emoji.studio_cjk_fast_path = True  # type: ignore[attr-defined]
        string_util.extract_leading_emoji = extract_leading_emoji
    if hasattr(source_util, "extract_leading_emoji"):
        source_util.extract_leading_emoji = string_util.extract_leading_emoji
    return True
