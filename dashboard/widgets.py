"""Widgets that read input and return values; they do not compute."""

from __future__ import annotations

import json
from functools import partial
from typing import Any, Callable, Sequence

import streamlit as st

from dashboard.i18n import current_language, t


def _labels_key(key: str) -> str:
    return f"_choice_labels_{key}"


def _canonical(value: Any, options: Sequence[Any], mapping: dict[str, Any]) -> Any:
    """The option a widget value stands for: itself, or the option whose label the last run showed."""
    if value in options:
        return value
    return mapping.get(value) if isinstance(value, str) else None


def canonical_choice(key: str, options: Sequence[Any]) -> bool:
    """Map a label a language switch left in a translated choice's state back to its option; True if it had to.

    For on_change callbacks, which run before the page draws the widget again: a callback that sees
    True knows the "change" was a language switch, not a new choice.
    """
    value = st.session_state.get(key)
    if value is None or isinstance(value, list) or value in options:
        return False
    fixed = _canonical(value, options, st.session_state.get(_labels_key(key), {}))
    if fixed is None:
        del st.session_state[key]
    else:
        st.session_state[key] = fixed
    return True


def translated_choice(widget: Callable[..., Any], label: str, options: Sequence[Any], *, key: str,
                      format_func: Callable[[Any], str], **kwargs: Any) -> Any:
    """A keyed selectbox / radio / multiselect whose option labels are translated.

    After a language switch Streamlit hands back the label the browser last showed, which is
    in the old language and matches no option; this maps it back to its option first, so the
    choice survives the switch instead of breaking the page.
    """
    options = list(options)
    mapping: dict[str, Any] = st.session_state.get(_labels_key(key), {})
    canonical = partial(_canonical, options=options, mapping=mapping)
    lang_key = f"_choice_lang_{key}"
    language_changed = st.session_state.get(lang_key, current_language()) != current_language()
    st.session_state[lang_key] = current_language()
    if key in st.session_state:
        # the state holds the choice: a default/index as well makes Streamlit warn that the widget "was
        # created with a default value but also had its value set via the Session State API"
        kwargs.pop("default", None)
        kwargs.pop("index", None)
        value = st.session_state[key]
        if isinstance(value, list):
            fixed = [v for v in (canonical(item) for item in value) if v is not None]
            if fixed != value or language_changed:
                st.session_state[key] = fixed
        elif value is not None and (value not in options or language_changed):
            fixed = canonical(value)
            if fixed is None:
                del st.session_state[key]
            else:
                # Re-assigning even an unchanged value makes Streamlit send it to the browser,
                # which then shows the option's label in the new language.
                st.session_state[key] = fixed
    # Labels are computed now, in this run's language, and looked up later: a closure calling t()
    # would be re-evaluated outside the script run (AppTest does that) in the default language.
    labels = {option: format_func(option) for option in options}
    st.session_state[_labels_key(key)] = {text: option for option, text in labels.items()}
    return widget(label, options, key=key, format_func=labels.__getitem__, **kwargs)


_UPLOAD_BUTTON = ('[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] '
                  '[data-testid="stMarkdownContainer"]')
_UPLOAD_LIMIT = '[data-testid="stFileUploaderDropzoneInstructions"] > div'


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def uploader_texts_css(button: str, limit: str) -> str:
    """CSS that puts `button` and `limit` in place of Streamlit's own English "Upload" and "50MB per file".

    Streamlit's file uploader has no way to set those two texts. The English is taken out of the page
    (display: none also takes it from screen readers) and the translation is drawn as generated content
    of its container, which browsers read out as the button's name and the limit's text.
    """
    return (f"<style>{_UPLOAD_BUTTON} p, {_UPLOAD_LIMIT} span {{ display: none; }}\n"
            f"{_UPLOAD_BUTTON}::after {{ content: {_css_string(button)}; font-size: 14px; }}\n"
            f"{_UPLOAD_LIMIT}::after {{ content: {_css_string(limit)}; font-size: 14px; }}</style>")


def screen_reader_texts_script(file_input: str, help_for: str) -> str:
    """A script that gives Streamlit's English-only screen-reader names the reader's language.

    The uploader's hidden file input is named "file upload" and every help icon "Help for <label>"
    by Streamlit's front end, with no option to change them. The script renames them when they
    appear (a MutationObserver, installed once; each language's script run updates its texts).
    `help_for` holds "{label}" where the widget's label goes.
    """
    texts = json.dumps({"input": file_input, "help": help_for}, ensure_ascii=False).replace("<", "\\u003c")
    return ("<script>(() => {\n"
            f"  const texts = {texts};\n"
            "  const known = window.__studioHelpTemplates || ['Help for {label}'];\n"
            "  if (!known.includes(texts.help)) known.push(texts.help);\n"
            "  window.__studioHelpTemplates = known;\n"
            "  window.__studioA11yTexts = texts;\n"
            "  const label = (name) => {  // the widget label inside a help name of any language shown so far\n"
            "    for (const template of window.__studioHelpTemplates) {\n"
            "      const [head, tail] = template.split('{label}');\n"
            "      if (name.length >= head.length + tail.length && name.startsWith(head) && name.endsWith(tail)) {\n"
            "        return name.slice(head.length, name.length - tail.length);\n"
            "      }\n"
            "    }\n"
            "    return null;\n"
            "  };\n"
            "  const apply = () => {\n"
            "    const t = window.__studioA11yTexts;\n"
            "    document.querySelectorAll('input[data-testid=\"stFileUploaderDropzoneInput\"]').forEach((el) => {\n"
            "      if (el.getAttribute('aria-label') !== t.input) el.setAttribute('aria-label', t.input);\n"
            "    });\n"
            "    document.querySelectorAll('[data-testid=\"stTooltipHoverTarget\"] button[aria-label]').forEach((el) => {\n"
            "      const found = label(el.getAttribute('aria-label'));\n"
            "      const name = found === null ? null : t.help.split('{label}').join(found);\n"
            "      if (name !== null && el.getAttribute('aria-label') !== name) el.setAttribute('aria-label', name);\n"
            "    });\n"
            "  };\n"
            "  window.__studioA11yApply = apply;\n"
            "  apply();\n"
            "  if (!window.__studioA11yObserver) {\n"
            "    let queued = false;\n"
            "    window.__studioA11yObserver = new MutationObserver(() => {\n"
            "      if (queued) return;\n"
            "      queued = true;\n"
            "      requestAnimationFrame(() => { queued = false; window.__studioA11yApply(); });\n"
            "    });\n"
            "    window.__studioA11yObserver.observe(document.body, {childList: true, subtree: true, attributes: true,\n"
            "                                                        attributeFilter: ['aria-label']});\n"
            "  }\n"
            "})();</script>")


def translate_file_uploaders() -> None:
    """Every file uploader on the page shows and names its button, size limit and file input in the reader's
    language; help icons are named in it too (screen readers read those names)."""
    limit = t("formats.dropzone_limit", mb=st.get_option("server.maxUploadSize"))
    st.html(uploader_texts_css(t("formats.upload_button"), limit))
    st.sidebar.html(screen_reader_texts_script(t("formats.file_input_aria"), t("formats.help_for")),
                    unsafe_allow_javascript=True)


def kept_value(key: str, default: Any, *, valid: Callable[[Any], bool] = lambda value: True) -> Callable[[], None]:
    """Hand the keyed widget `key` its remembered value this run; returns the on_change callback that remembers.

    Streamlit drops a widget's own state while the widget is off the page (an upload step before
    the training form, settings hidden for a one-pass model) but keeps a value once set through
    session state; the browser then mounts a fresh widget at its own default (first option,
    minimum) while the server reads the kept value. Seeding the key from a plain session entry on
    every run sends the value to the browser, so both show the same. A remembered value that is no
    longer `valid` (an option of another use case) falls back to `default`.
    """
    store = f"_kept_{key}"
    if store not in st.session_state or not valid(st.session_state[store]):
        st.session_state[store] = default
    st.session_state[key] = st.session_state[store]

    def keep() -> None:
        st.session_state[store] = st.session_state[key]

    return keep
