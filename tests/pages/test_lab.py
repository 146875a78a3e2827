"""Use-case lab through its real widgets: data overview, training in the background, results, bad input."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from core.config import get_settings
from core.i18n import translate

LAB = "../pages/lab.py"


def _open_lab(app_test, **kwargs):
    # the first lab render imports TensorFlow and creates the MLflow database: seconds on a busy CI box
    at = app_test(timeout=120, **kwargs).run()
    at.switch_page(LAB).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _png(color: int, size: int = 12) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((size, size), color, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _top3_bars(at) -> dict:
    """The bar trace of the Try-it top-3 chart: three classes with their probabilities."""
    import json

    for chart in at.get("plotly_chart"):
        figure = json.loads(chart.proto.spec)
        if figure["layout"].get("title", {}).get("text") == translate("lab.top3", "en"):
            return figure["data"][0]
    raise AssertionError("no top-3 chart on the page")


def _metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_lab_shows_the_digits_data_with_provenance_samples_and_balance(app_test):
    at = _open_lab(app_test)
    metrics = _metrics(at)
    assert metrics["Training examples"] == "1,257"
    assert metrics["Test examples"] == "360"
    assert metrics["Classes"] == "10"
    captions = "\n".join(caption.value for caption in at.caption)
    assert "CC BY 4.0" in captions
    charts = at.get("plotly_chart")
    assert len(charts) >= 2  # sample images and class balance
    # candidates are described with their parameter counts
    table = at.table[0].value
    assert list(table.index) == [translate(f"models.{cid}.name", "en")
                                 for cid in ("logreg", "mlp", "cnn", "cnn_regularised")] + [
        translate(f"pretrained.models.{cid}.name", "en") for cid in ("mobilenet_v3_small", "efficientnet_v2_b0")] + [
        translate("models.llm_endpoint.name", "en")]
    assert table["Parameters"].iloc[0] == "650"  # logistic regression on 64 pixels x 10 classes + 10 biases
    assert table["Parameters"].iloc[-1] == "–"  # an endpoint's model: not ours to count, not 0
    assert list(table["Starting point"]) == ["baseline"] + ["from scratch"] * 3 + ["pretrained on ImageNet"] * 2 + [
        "LLM"]


@pytest.mark.slow
def test_train_digits_cnn_for_one_epoch_then_see_results_and_runs(app_test, run_after_jobs):
    at = _open_lab(app_test)
    at.radio(key="vision_model").set_value("cnn").run()
    at.number_input(key="vision_epochs").set_value(1).run()
    at.button(key="vision_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    run_after_jobs(at)
    assert not at.exception, [e.value for e in at.exception]
    finished = [s.value for s in at.success]
    assert any(text.startswith("Training finished: test accuracy") for text in finished), finished
    metrics = _metrics(at)
    accuracy = float(metrics["Test accuracy"].rstrip("%"))
    assert 10.0 < accuracy <= 100.0  # better than chance (10 classes) after one epoch
    from dashboard.services import get_tracker

    runs = get_tracker().list_runs(use_case="vision")
    assert len(runs) == 1 and runs["epochs_run"].iloc[0] == 1
    assert f"{runs['test_accuracy'].iloc[0]:.2%}" == metrics["Test accuracy"]  # the page shows what MLflow holds
    assert metrics["Trained on"].startswith("CPU")
    assert metrics["Parameters"] != "–"
    # the run is tracked: the Runs page lists it with its status
    at.switch_page("../pages/runs.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 1
    # the model's name for people, not its id "cnn" (issue 13.10)
    assert table["Model"].iloc[0] == "Convolutional network (CNN)" and table["Status"].iloc[0] == "Completed"
    assert at.radio(key="runs_overlay_metric").options == ["Accuracy", "Loss (cross-entropy)"]


@pytest.mark.slow
def test_a_reloaded_page_follows_the_running_job_and_can_cancel_it(app_test, job_progress, run_after_jobs):
    from streamlit.testing.v1 import AppTest

    first = _open_lab(app_test)
    first.radio(key="vision_model").set_value("mlp").run()
    first.number_input(key="vision_epochs").set_value(200).run()
    first.button(key="vision_train").click().run()
    # a browser reload is a new session on the same server: same job queue, empty session state, and the
    # page's URL, which names the job (?job=<id>)
    reloaded = AppTest.from_file(first._script_path, default_timeout=120)
    reloaded.query_params["job"] = first.query_params["job"]
    reloaded.run()
    job_progress(lambda job: job.progress.epoch >= 1 if job.progress else False)  # the job is in its epochs
    reloaded.switch_page(LAB).run()
    assert "Epoch" in reloaded.get("progress")[0].proto.text, "the reloaded page does not show the running job"
    reloaded.button(key="vision_cancel").click().run()
    run_after_jobs(reloaded)
    assert translate("lab.cancelled", "en") in [w.value for w in reloaded.warning]
    from dashboard.services import get_tracker

    runs = get_tracker().list_runs(use_case="vision")
    assert list(runs["status"]) == ["cancelled"]
    assert 1 <= runs["epochs_run"].iloc[0] < 200


@pytest.mark.slow
def test_baseline_then_reevaluate_download_and_delete_on_runs_page(app_test, run_after_jobs):
    at = _open_lab(app_test)
    at.radio(key="vision_model").set_value("logreg").run()
    at.button(key="vision_train").click().run()
    run_after_jobs(at)
    trained = float(_metrics(at)["Test accuracy"].rstrip("%"))
    assert trained > 90.0  # logistic regression on digits is about 96-97 %
    # Try it: a test image by number, then the person's own image, then a broken file
    assert at.number_input(key="vision_try_index").value == 0
    bars = _top3_bars(at)
    assert len(bars["y"]) == 3 and bars["x"] == sorted(bars["x"])  # drawn bottom-up, likeliest on top
    assert 0.0 <= sum(bars["x"]) <= 1.0 + 1e-6
    digit = np.full((40, 40), 255, dtype=np.uint8)
    digit[8:32, 18:23] = 0  # a dark "1" on white paper, as a phone photo of a digit would be
    buffer = io.BytesIO()
    Image.fromarray(digit).save(buffer, format="PNG")
    at.file_uploader(key="vision_try_image").set_value(("one.png", buffer.getvalue(), "image/png")).run()
    assert not at.exception and not at.error
    assert len(_top3_bars(at)["y"]) == 3
    at.file_uploader(key="vision_try_image").set_value(("broken.png", b"not an image", "image/png")).run()
    assert not at.exception
    assert at.error and "broken.png" in at.error[0].value or "image" in at.error[0].value.lower()
    at.file_uploader(key="vision_try_image").set_value(("photo.heic", b"ftypheic", "image/heic")).run()
    assert not at.exception  # another type: the studio's own message naming the types, not a browser tooltip
    assert at.error[0].value == translate("errors.data.upload_wrong_type", "en", name="photo.heic",
                                          accepted=".png, .jpg, .jpeg, .bmp, .gif, .webp")
    at.file_uploader(key="vision_try_image").set_value(None).run()
    at.switch_page("../pages/runs.py").run()
    at.button(key="runs_reevaluate").click().run()
    assert not at.exception
    message = at.success[0].value
    assert message.startswith("Re-evaluated on the test set")
    # same model, same split: same accuracy, fresh and stored, each named as accuracy (issue 13.5)
    assert message.count(f"accuracy {trained:.1f} %") == 2
    assert at.get("download_button")
    at.checkbox(key="runs_delete_confirm").check().run()
    at.button(key="runs_delete").click().run()
    assert not at.exception
    assert at.info[0].value == translate("runs.empty", "en")


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ({"cats/a.png": _png(10), "cats/b.png": _png(20), "cats/c.png": _png(30)}, "one class"),
        ({"cats/a.png": _png(10), "../evil.png": _png(20)}, "evil.png"),
        ({"cats/a.png": _png(10), "cats/notes.txt": b"hello", "dogs/a.png": _png(200)}, "notes.txt"),
        ({**{f"cats/{i}.png": _png(10 + i) for i in range(3)}, "cats/broken.png": b"\x89PNG\r\n\x1a\nbroken",
          **{f"dogs/{i}.png": _png(200 + i) for i in range(3)}}, "broken.png"),
    ],
    ids=["single-class", "zip-slip", "non-image", "corrupt-image"],
)
def test_bad_zip_uploads_show_a_clear_message_and_the_app_keeps_running(app_test, entries, expected):
    at = _open_lab(app_test)
    at.selectbox(key="vision_dataset").set_value("upload_zip").run()
    assert at.info[0].value == translate("lab.upload_zip_needed", "en")
    at.file_uploader(key="vision_upload_zip").set_value(("images.zip", _zip(entries), "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [error.value for error in at.error]
    assert errors and expected in errors[0], errors
    # the app keeps running: a bundled dataset still loads
    at.file_uploader(key="vision_upload_zip").set_value(None).run()
    at.selectbox(key="vision_dataset").set_value("digits").run()
    assert not at.error and _metrics(at)["Training examples"] == "1,257"


def test_not_a_zip_is_explained_in_chinese(app_test, switch_language):
    at = _open_lab(app_test)
    switch_language(at, "zh")
    at.selectbox(key="vision_dataset").set_value("upload_zip").run()
    at.file_uploader(key="vision_upload_zip").set_value(("images.zip", b"this is not a zip", "application/zip")).run()
    assert not at.exception
    message = at.error[0].value
    assert message == translate("errors.data.not_a_zip", "zh") or any("\u4e00" <= ch <= "\u9fff" for ch in message)
    assert "zip" in message.lower()


def test_choices_survive_a_language_switch(app_test, switch_language):
    at = _open_lab(app_test)
    at.selectbox(key="vision_dataset").set_value("mnist5k").run()
    at.radio(key="vision_model").set_value("mlp").run()
    switch_language(at, "zh")
    assert not at.exception
    assert at.selectbox(key="vision_dataset").value == "mnist5k"
    assert at.radio(key="vision_model").value == "mlp"
    assert at.radio(key="vision_model").options[1] == translate("models.mlp.name", "zh")
    assert _metrics(at)["训练样本"] == "3,500"


def test_upload_over_the_size_limit_is_refused(app_test, monkeypatch):
    at = app_test(timeout=120)  # clears STUDIO_* overrides, so set the limit afterwards
    monkeypatch.setenv("STUDIO_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    at.run()
    at.switch_page(LAB).run()
    at.selectbox(key="vision_dataset").set_value("upload_zip").run()
    big = _zip({f"cats/{i}.bin": np.random.default_rng(i).bytes(300_000) for i in range(5)})
    at.file_uploader(key="vision_upload_zip").set_value(("big.zip", big, "application/zip")).run()
    assert not at.exception
    assert "limit is 1 MB" in at.error[0].value


def test_a_good_zip_upload_becomes_a_dataset(app_test):
    entries = {f"{name}/{i}.png": _png(value + i) for name, value in (("dark", 10), ("light", 220)) for i in range(6)}
    at = _open_lab(app_test)
    at.selectbox(key="vision_dataset").set_value("upload_zip").run()
    at.file_uploader(key="vision_upload_zip").set_value(("images.zip", _zip(entries), "application/zip")).run()
    assert not at.exception and not at.error
    metrics = _metrics(at)
    assert metrics["Classes"] == "2"
    total = sum(int(metrics[name].replace(",", "")) for name in ("Training examples", "Validation examples",
                                                                  "Test examples"))
    assert total == 12
    # photos kept at a pretrained backbone's resolution instead of 28x28 / 32x32
    at.selectbox(key="vision_upload_size").set_value(96).run()
    assert not at.exception and not at.error
    assert any("96 × 96 × 1" in caption.value for caption in at.caption)


def test_pretrained_candidate_offline_says_why_and_only_its_train_button_is_off(app_test):
    at = _open_lab(app_test)  # offline: STUDIO_OFFLINE=1, nothing cached
    at.radio(key="vision_model").set_value("mobilenet_v3_small").run()
    warnings = " ".join(warning.value for warning in at.warning)
    assert "needs a one-time 4 MB download of its pretrained weights; offline now" in warnings
    assert at.button(key="vision_train").disabled
    captions = "\n".join(caption.value for caption in at.caption)
    assert "epochs 1-3 train the new head" in captions and "epochs 4-6 unfreeze its top" in captions
    at.radio(key="vision_model").set_value("cnn").run()
    assert not at.button(key="vision_train").disabled and not at.warning


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    """A corrupt .keras file and one whose loading would run code (a Lambda layer)."""
    import keras

    folder = tmp_path_factory.mktemp("keras-files")
    inputs = keras.Input(shape=(8, 8, 1))
    outputs = keras.layers.Lambda(lambda x: x * 2.0)(keras.layers.Flatten()(inputs))
    outputs = keras.layers.Dense(10, activation="softmax")(outputs)
    unsafe = folder / "unsafe.keras"
    keras.Model(inputs, outputs).save(unsafe)
    return {"corrupt": b"PK\x03\x04 definitely not a keras archive", "unsafe": unsafe.read_bytes()}


@pytest.mark.parametrize(("which", "expected"), [("corrupt", "corrupt"), ("unsafe", "code")])
def test_bad_keras_files_are_refused_and_earlier_runs_stay(app_test, keras_files, which, expected):
    at = _open_lab(app_test)
    at.file_uploader(key="lab_model_file").set_value((f"{which}.keras", keras_files[which],
                                                     "application/octet-stream")).run()
    at.button(key="lab_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [error.value for error in at.error]
    assert errors and expected in errors[0].lower(), errors
    at.switch_page("../pages/runs.py").run()
    assert at.info[0].value == translate("runs.empty", "en")  # nothing half-made was stored
