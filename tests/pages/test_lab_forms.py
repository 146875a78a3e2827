"""Every lab's training form through its real widgets: the default model and its own fit settings for every
source (bundled or uploaded), no fit settings for one-pass models, and what a browser shows equals what trains."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from core.i18n import translate
from core.contract.registry import get_use_case

LAB = "../pages/lab.py"


def _zip_of_pngs() -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(buffer, "w") as archive:
        for label, base in (("dark", 40), ("light", 210)):
            for i in range(12):
                image = io.BytesIO()
                pixels = np.clip(base + rng.integers(-20, 20, size=(8, 8)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(image, format="PNG")
                archive.writestr(f"{label}/{i}.png", image.getvalue())
    return buffer.getvalue()


def _reviews_csv() -> bytes:
    rows = [f"tasty fresh lovely tea number {i},good" for i in range(40)]
    rows += [f"stale burnt awful coffee number {i},bad" for i in range(40)]
    return ("text,label\n" + "\n".join(rows) + "\n").encode()


def _ratings_csv() -> bytes:
    rng = np.random.default_rng(0)
    rows = [f"u{user},m{item},{rng.integers(1, 6)},{user * 100 + item}"
            for user in range(30) for item in rng.choice(40, size=12, replace=False)]
    return ("userId,movieId,rating,timestamp\n" + "\n".join(rows) + "\n").encode()


def _credit_csv() -> bytes:
    rng = np.random.default_rng(0)
    income = rng.normal(50, 15, size=300).round(1)
    rows = [f"{value},{'bad' if value < 40 else 'good'}" for value in income]
    return ("income,status\n" + "\n".join(rows) + "\n").encode()


# use case: (widget prefix, bundled source, uploaded source, uploader key, file, another Keras model, baseline)
LABS = {
    "vision": ("vision", "digits", "upload_zip", "vision_upload_zip", ("digits.zip", _zip_of_pngs(), "application/zip"),
               "mlp", "logreg"),
    "nlp": ("nlp", "en_reviews", "upload_csv", "nlp_upload_csv", ("reviews.csv", _reviews_csv(), "text/csv"),
            "cnn", "tfidf_logreg"),
    "recommendation": ("recommendation", "movielens", "upload_csv", "recommendation_upload_csv",
                       ("ratings.csv", _ratings_csv(), "text/csv"), "ncf", "bias"),
    "finance": ("finance", "credit_data", "upload_csv", "finance_upload", ("credit.csv", _credit_csv(), "text/csv"),
                "wide_deep", "scorecard"),
}


def _shown(widget) -> object:
    """What a browser shows when it mounts this widget afresh: the value the server sent, else the widget default.

    A widget that was off the page (behind an upload step) is mounted afresh; when the server does not
    send its value, the browser shows the first option or the minimum while the server trains with another.
    """
    proto = widget.proto
    kind = type(proto).__name__
    if kind in ("Radio", "Selectbox"):
        return proto.raw_value if proto.set_value else proto.options[proto.default]
    if kind == "NumberInput":
        return proto.value if proto.set_value else (proto.default if proto.HasField("default") else proto.min)
    if kind == "Slider":  # select_slider: the value as text, or the index of its default option
        return proto.raw_value[0] if proto.set_value else proto.options[int(proto.default[0])]
    raise AssertionError(f"no rule for {kind}")


def _open(app_test, use_case_id: str, source: str):
    at = app_test(timeout=180).run()
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = use_case_id
    at.run()
    prefix = LABS[use_case_id][0]
    at.selectbox(key=f"{prefix}_dataset").set_value(source).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _upload(at, use_case_id: str):
    _, _, _, uploader, file, _, _ = LABS[use_case_id]
    at.file_uploader(key=uploader).set_value(file).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _label(use_case_id: str, candidate_id: str) -> str:
    return translate(get_use_case(use_case_id).candidate(candidate_id).name_key, "en")


def _assert_form_shows(at, use_case_id: str, candidate_id: str) -> None:
    """The model radio holds `candidate_id`, in the server and on screen, with its own fit settings or none."""
    prefix = LABS[use_case_id][0]
    candidate = get_use_case(use_case_id).candidate(candidate_id)
    radio = at.radio(key=f"{prefix}_model")
    assert radio.value == candidate_id
    assert _shown(radio) == _label(use_case_id, candidate_id)
    if candidate.kind != "keras":  # fitted in one pass: no epochs, batch size or learning rate to set
        assert not [w for w in at.number_input if w.key == f"{prefix}_epochs"]
        assert not [w for w in at.select_slider if w.key == f"{prefix}_learning_rate"]
        assert translate("lab_forms.one_pass", "en") in [c.value for c in at.caption]
        return
    epochs = at.number_input(key=f"{prefix}_epochs")
    rate = at.select_slider(key=f"{prefix}_learning_rate")
    batch = at.selectbox(key=f"{prefix}_batch_size")
    assert epochs.value == candidate.default_epochs and _shown(epochs) == candidate.default_epochs
    assert rate.value == pytest.approx(candidate.default_learning_rate)
    assert float(_shown(rate)) == pytest.approx(candidate.default_learning_rate)
    assert batch.value == candidate.default_batch_size and int(_shown(batch)) == candidate.default_batch_size


@pytest.mark.slow
@pytest.mark.parametrize("use_case_id", list(LABS))
def test_an_upload_starts_on_the_default_model_with_its_own_settings(app_test, use_case_id):
    prefix, _, uploaded, _, _, other, baseline = LABS[use_case_id]
    use_case = get_use_case(use_case_id)
    at = _upload(_open(app_test, use_case_id, uploaded), use_case_id)
    _assert_form_shows(at, use_case_id, use_case.default_candidate)
    for candidate_id in (baseline, other, baseline, use_case.default_candidate):  # each switch: that model's own
        at.radio(key=f"{prefix}_model").set_value(candidate_id).run()
        assert not at.exception, [e.value for e in at.exception]
        _assert_form_shows(at, use_case_id, candidate_id)


@pytest.mark.slow
@pytest.mark.parametrize("use_case_id", list(LABS))
def test_a_model_chosen_on_bundled_data_shows_the_same_after_an_upload(app_test, use_case_id):
    prefix, bundled, uploaded, _, _, other, _ = LABS[use_case_id]
    at = _open(app_test, use_case_id, bundled)
    at.radio(key=f"{prefix}_model").set_value(other).run()
    _assert_form_shows(at, use_case_id, other)
    at.selectbox(key=f"{prefix}_dataset").set_value(uploaded).run()
    at = _upload(at, use_case_id)
    # the training form was off the page during the upload: the browser must show what the server trains
    _assert_form_shows(at, use_case_id, other)
