"""Reusable widgets: Streamlit's own uploader texts drawn (and named for screen readers) in the reader's language."""

from __future__ import annotations

from dashboard.widgets import screen_reader_texts_script, uploader_texts_css


def test_uploader_css_removes_the_english_and_draws_the_translation():
    css = uploader_texts_css("上传", 'Max "50" MB')
    assert css.startswith("<style>") and css.endswith("</style>")
    # display: none (not font-size 0) so screen readers no longer read "Upload" / "50MB per file"
    assert '[data-testid="stMarkdownContainer"] p, [data-testid="stFileUploaderDropzoneInstructions"] > div span ' \
           '{ display: none; }' in css
    assert '[data-testid="stMarkdownContainer"]::after { content: "上传"; font-size: 14px; }' in css
    assert '> div::after { content: "Max \\"50\\" MB"; font-size: 14px; }' in css  # quotes escaped for CSS


def test_a_translated_choice_whose_value_is_in_state_is_drawn_without_a_default():
    """Streamlit logs 'created with a default value but also had its value set via the Session State API' when
    both are given (the Runs page's run picker after a language switch); the state already holds the choice."""
    import streamlit as st

    from dashboard.widgets import translated_choice

    seen: dict = {}

    def widget(label, options, **kwargs):
        seen.clear()
        seen.update(kwargs)
        return st.session_state.get(kwargs["key"], kwargs.get("default"))

    assert translated_choice(widget, "Runs", ["a", "b"], key="pick", format_func=str.upper, default=["b"]) == ["b"]
    assert seen["default"] == ["b"]  # first draw: the default picks
    st.session_state["pick"] = ["a"]
    assert translated_choice(widget, "Runs", ["a", "b"], key="pick", format_func=str.upper, default=["b"]) == ["a"]
    assert "default" not in seen
    st.session_state["one"] = "b"
    translated_choice(widget, "Run", ["a", "b"], key="one", format_func=str.upper, index=0)
    assert "index" not in seen


def test_screen_reader_script_carries_the_texts_and_cannot_close_its_tag():
    script = screen_reader_texts_script("选择要上传的文件", "“{label}”的说明</script>")
    assert script.startswith("<script>") and script.endswith("</script>") and script.count("</script>") == 1
    assert '"input": "选择要上传的文件"' in script and "stFileUploaderDropzoneInput" in script
    assert "Help for {label}" in script  # Streamlit's English help names are recognised and renamed
