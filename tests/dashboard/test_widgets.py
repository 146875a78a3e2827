"""Reusable widgets: Streamlit's own uploader texts drawn in the reader's language."""

from __future__ import annotations

from dashboard.widgets import uploader_texts_css


def test_uploader_css_hides_the_english_and_draws_the_translation():
    css = uploader_texts_css("上传", 'Max "50" MB')
    assert css.startswith("<style>") and css.endswith("</style>")
    assert '[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }' in css.replace(
        '[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] '
        '[data-testid="stMarkdownContainer"] p, ', "")
    assert 'p::after { content: "上传"; font-size: 14px; }' in css
    assert 'span::after { content: "Max \\"50\\" MB"; font-size: 14px; }' in css  # quotes escaped for CSS
