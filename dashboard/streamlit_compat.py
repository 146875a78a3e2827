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
"""

from __future__ import annotations

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
