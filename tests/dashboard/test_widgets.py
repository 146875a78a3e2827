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


def test_screen_reader_script_carries_the_texts_and_cannot_close_its_tag():
    script = screen_reader_texts_script("选择要上传的文件", "“{label}”的说明</script>")
    assert script.startswith("<script>") and script.endswith("</script>") and script.count("</script>") == 1
    assert '"input": "选择要上传的文件"' in script and "stFileUploaderDropzoneInput" in script
    assert "Help for {label}" in script  # Streamlit's English help names are recognised and renamed
