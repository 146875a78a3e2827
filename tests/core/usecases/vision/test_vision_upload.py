"""Uploaded zips of class folders and single photos: real pixel values and every bad-input path."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import numpy as np
import pytest
from PIL import Image

import core.usecases.vision.upload as upload
from core.config import get_settings
from core.errors import DataError
from core.usecases.vision.upload import load_image_zip, prepare_single_image


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def image_bytes(array: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(buffer, format=fmt)
    return buffer.getvalue()


def grey(value: int, size=(20, 30)) -> bytes:
    return image_bytes(np.full(size, value))


def make_zip(entries: dict[str | zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def class_zip(classes: dict[str, int], *, per_class: int = 5, prefix: str = "") -> bytes:
    """One folder per class; every image of a class is one flat grey level, so labels are checkable."""
    return make_zip({
        f"{prefix}{name}/{i}.png": grey(value) for name, value in classes.items() for i in range(per_class)
    })


# --- good uploads ------------------------------------------------------------------------

def test_grey_zip_with_wrapper_folder_and_mac_junk():
    entries = {f"my data/{name}/{i}.png": grey(value) for name, value in
               {"bolt": 0, "nut": 128, "washer": 255}.items() for i in range(5)}
    entries["__MACOSX/my data/bolt/._0.png"] = b"resource fork"
    entries["my data/.DS_Store"] = b"finder"
    entries["my data/nut/Thumbs.db"] = b"windows"
    data = load_image_zip(data=make_zip(entries), name="parts.zip")
    assert data.class_names == ("bolt", "nut", "washer")
    assert data.input_shape == (28, 28, 1)
    assert sum(data.sizes.values()) == 15
    assert data.source_kind == "uploaded" and data.title == "parts.zip"
    assert data.extra["ignored_files"] == 3 and data.extra["color_mode"] == "grayscale"
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    for x, y in ((data.x_train, data.y_train), (data.x_val, data.y_val), (data.x_test, data.y_test)):
        expected = np.array([0.0, 128 / 255, 1.0], dtype=np.float32)[y]
        np.testing.assert_allclose(x.reshape(len(y), -1).min(axis=1), expected, atol=1e-6)
        np.testing.assert_allclose(x.reshape(len(y), -1).max(axis=1), expected, atol=1e-6)
    for split in ("train", "val", "test"):
        assert np.all(data.class_counts(split) >= 1)  # stratified: every class in every split


def test_colour_zip_becomes_rgb_at_requested_size():
    red = image_bytes(np.tile(np.array([255, 0, 0], np.uint8), (10, 10, 1)))
    entries = {f"red/{i}.jpg": image_bytes(np.tile(np.array([255, 0, 0], np.uint8), (12, 9, 1)), "JPEG")
               for i in range(3)}
    entries.update({f"dark/{i}.png": grey(10) for i in range(3)})
    entries["red/extra.png"] = red
    data = load_image_zip(data=make_zip(entries), image_size=(16, 20))
    assert data.input_shape == (16, 20, 3)
    assert data.extra["color_mode"] == "RGB"
    x = np.concatenate([data.x_train, data.x_val, data.x_test])
    y = np.concatenate([data.y_train, data.y_val, data.y_test])
    red_pixels = x[y == data.class_names.index("red")]
    assert red_pixels[..., 0].min() > 0.95 and red_pixels[..., 1:].max() < 0.05  # JPEG noise only
    dark = x[y == data.class_names.index("dark")]
    np.testing.assert_allclose(dark, 10 / 255, atol=1e-6)  # grey image replicated into 3 channels


def test_default_rgb_size_is_32():
    entries = {f"a/{i}.png": image_bytes(np.tile(np.array([0, 0, 200], np.uint8), (8, 8, 1))) for i in range(3)}
    entries.update({f"b/{i}.png": grey(50) for i in range(3)})
    assert load_image_zip(data=make_zip(entries)).input_shape == (32, 32, 3)


def test_aspect_ratio_kept_and_padded_with_border_colour():
    tall = np.zeros((40, 20), np.uint8)
    tall[10:30, 5:15] = 255  # a light block in the middle of a dark, tall image
    entries = {f"tall/{i}.png": image_bytes(tall) for i in range(3)}
    entries.update({f"flat/{i}.png": grey(0) for i in range(3)})
    data = load_image_zip(data=make_zip(entries), image_size=28)
    x = np.concatenate([data.x_train, data.x_val, data.x_test])[..., 0]
    y = np.concatenate([data.y_train, data.y_val, data.y_test])
    block = x[y == data.class_names.index("tall")][0]
    lit_rows = np.flatnonzero(block.max(axis=1) > 0.5)
    lit_cols = np.flatnonzero(block.max(axis=0) > 0.5)
    # 40x20 -> 28x14 (not stretched to 28x28): the block spans half the height and a quarter... of 28
    assert 13 <= len(lit_rows) <= 15 and 6 <= len(lit_cols) <= 8
    assert block[:, :6].max() == 0.0  # padding is the dark border colour


def test_upload_from_path_and_fingerprint_by_seed(tmp_path):
    path = tmp_path / "upload.zip"
    path.write_bytes(class_zip({"a": 0, "b": 255}, per_class=6))
    first = load_image_zip(data=path, seed=0)
    assert load_image_zip(data=str(path), seed=0).fingerprint == first.fingerprint
    assert load_image_zip(data=path.read_bytes(), seed=1).fingerprint != first.fingerprint


def test_minimum_upload_three_per_class_splits():
    data = load_image_zip(data=class_zip({"a": 0, "b": 255}, per_class=3))
    assert data.sizes == {"train": 2, "val": 2, "test": 2}


# --- bad uploads -------------------------------------------------------------------------

def test_zip_slip_is_rejected_and_named():
    entries = {f"a/{i}.png": grey(0) for i in range(3)}
    entries.update({f"b/{i}.png": grey(255) for i in range(3)})
    entries[zipfile.ZipInfo("../evil.png")] = grey(0)
    with pytest.raises(DataError, match=r"unsafe path.*'\.\./evil\.png'") as caught:
        load_image_zip(data=make_zip(entries))
    assert "../evil.png" in caught.value.message("zh")


@pytest.mark.parametrize("name", ["/etc/cron.d/evil.png", "a/../../evil.png", "C:/evil.png", "a\\..\\..\\evil.png"])
def test_other_escaping_paths_are_rejected(name):
    entries = {f"a/{i}.png": grey(0) for i in range(3)} | {f"b/{i}.png": grey(255) for i in range(3)}
    entries[zipfile.ZipInfo(name)] = grey(0)
    with pytest.raises(DataError, match="unsafe path"):
        load_image_zip(data=make_zip(entries))


def test_symlink_entry_is_rejected():
    link = zipfile.ZipInfo("a/link.png")
    link.external_attr = (0o120777 << 16)
    entries = {f"a/{i}.png": grey(0) for i in range(3)} | {f"b/{i}.png": grey(255) for i in range(3)}
    entries[link] = b"/etc/passwd"
    with pytest.raises(DataError, match="unsafe path.*a/link.png"):
        load_image_zip(data=make_zip(entries))


def test_non_image_files_are_named():
    entries = {f"a/{i}.png": grey(0) for i in range(3)} | {f"b/{i}.png": grey(255) for i in range(3)}
    entries["a/notes.txt"] = b"hello"
    entries["b/data.csv"] = b"1,2"
    with pytest.raises(DataError, match=r"2 file\(s\) that are not images.*a/notes.txt, b/data.csv"):
        load_image_zip(data=make_zip(entries))


def test_at_most_five_offending_files_are_named():
    entries = {f"a/{i}.png": grey(0) for i in range(3)} | {f"b/{i}.png": grey(255) for i in range(3)}
    entries.update({f"a/readme{i}.txt": b"x" for i in range(8)})
    with pytest.raises(DataError, match=r"8 file\(s\).*readme4.txt \(\+3\)"):
        load_image_zip(data=make_zip(entries))


def test_truncated_png_is_named():
    good = grey(0, size=(64, 64))
    entries = {f"a/{i}.png": good for i in range(3)} | {f"b/{i}.png": grey(255) for i in range(3)}
    noisy = image_bytes(np.random.default_rng(0).integers(0, 256, (64, 64)))
    entries["b/broken.png"] = noisy[: len(noisy) // 2]
    with pytest.raises(DataError, match=r"1 image\(s\) are damaged.*b/broken.png"):
        load_image_zip(data=make_zip(entries))


def test_text_renamed_to_png_is_corrupt():
    entries = {f"a/{i}.png": grey(0) for i in range(3)} | {f"b/{i}.png": grey(255) for i in range(3)}
    entries["a/fake.jpg"] = b"this is not a jpeg"
    with pytest.raises(DataError, match="damaged.*a/fake.jpg"):
        load_image_zip(data=make_zip(entries))


def test_one_class_is_named():
    with pytest.raises(DataError, match="only one class folder, 'cats'"):
        load_image_zip(data=class_zip({"cats": 0}, prefix="pets/"))


def test_too_few_images_names_the_class():
    entries = {f"a/{i}.png": grey(0) for i in range(5)} | {f"b/{i}.png": grey(255) for i in range(2)}
    with pytest.raises(DataError, match=r"fewer than 3 images \(smallest: 2\): 'b'"):
        load_image_zip(data=make_zip(entries))


def test_images_outside_class_folders():
    entries = {f"a/{i}.png": grey(0) for i in range(3)} | {f"b/{i}.png": grey(255) for i in range(3)}
    entries["loose.png"] = grey(0)
    with pytest.raises(DataError, match="not inside a class folder: loose.png"):
        load_image_zip(data=make_zip(entries))


def test_oversized_upload_is_refused_before_reading():
    with pytest.raises(DataError, match=r"limit is 0\.0 MB"):
        load_image_zip(data=class_zip({"a": 0, "b": 255}), max_bytes=1000)


def test_default_size_limit_comes_from_settings(monkeypatch):
    monkeypatch.setenv("STUDIO_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    with pytest.raises(DataError, match=r"is 1\.5 MB; the limit is 1\.0 MB"):
        load_image_zip(data=b"\0" * (3 * 512 * 1024))


def test_zip_bomb_is_refused():
    entries = {f"a/{i}.png": grey(0) for i in range(3)} | {f"b/{i}.png": grey(255) for i in range(3)}
    entries["a/bomb.png"] = b"\0" * 3_000_000  # compresses to a few KB
    data = make_zip(entries)
    assert len(data) < 100_000
    with pytest.raises(DataError, match="would expand to 2.9 MB; the limit is 1.0 MB"):
        load_image_zip(data=data, max_bytes=100_000)


def test_too_many_files(monkeypatch):
    small = dataclasses.replace(get_settings(), max_upload_files=5)
    monkeypatch.setattr(upload, "get_settings", lambda: small)
    with pytest.raises(DataError, match="holds 6 files; the limit is 5"):
        load_image_zip(data=class_zip({"a": 0, "b": 255}, per_class=3))


def test_encrypted_entry_is_refused():
    data = bytearray(class_zip({"a": 0, "b": 255}, per_class=3))
    # set the "encrypted" flag bit of every entry, in local and central headers
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x1
            start += 4
    with pytest.raises(DataError, match="password-protected"):
        load_image_zip(data=bytes(data))


@pytest.mark.parametrize("payload", [b"", b"hello, not a zip", grey(0)])
def test_not_a_zip(payload):
    with pytest.raises(DataError, match="not a zip file"):
        load_image_zip(data=payload)


def test_empty_zip_and_only_junk():
    with pytest.raises(DataError, match="contains no images"):
        load_image_zip(data=make_zip({"__MACOSX/._a.png": b"x", ".hidden/a.png": grey(0)}))


def test_missing_stored_file(tmp_path):
    with pytest.raises(DataError, match="no longer exists"):
        load_image_zip(data=tmp_path / "gone.zip")


# --- one photo as model input ------------------------------------------------------------

def _digit_one(dark_on_light: bool, size=(120, 90)) -> np.ndarray:
    """A thick vertical stroke (a '1') somewhere off-centre."""
    canvas = np.full(size, 245 if dark_on_light else 5, np.uint8)
    canvas[20:100, 30:42] = 10 if dark_on_light else 250
    return canvas


def test_dark_digit_on_paper_is_inverted_like_mnist():
    photo = prepare_single_image(image_bytes(_digit_one(True)), input_shape=(28, 28, 1))
    reference = prepare_single_image(image_bytes(_digit_one(False)), input_shape=(28, 28, 1))
    assert photo.shape == (1, 28, 28, 1) and photo.dtype == np.float32
    np.testing.assert_allclose(photo, reference, atol=0.02)  # same result as the light-on-dark original
    image = photo[0, :, :, 0]
    assert image[0].max() == 0.0 and image[:, 0].max() == 0.0  # dark background, like MNIST
    assert image.max() == pytest.approx(1.0)
    lit_rows = np.flatnonzero(image.max(axis=1) > 0.5)
    assert len(lit_rows) == 20 and lit_rows[0] == 4  # fitted into the central 20x20 box, MNIST-style


def test_invert_false_keeps_paper_light():
    out = prepare_single_image(image_bytes(_digit_one(True)), input_shape=(28, 28, 1), invert=False,
                               content_fraction=None)
    assert out[0, 0, :, 0].mean() > 0.9


def test_forced_invert_on_light_on_dark():
    out = prepare_single_image(image_bytes(_digit_one(False)), input_shape=(28, 28, 1), invert=True,
                               content_fraction=None)
    assert out[0, 0, :, 0].mean() > 0.9


def test_eight_by_eight_digits_are_sixteenths():
    out = prepare_single_image(image_bytes(_digit_one(True), "JPEG"), input_shape=(8, 8, 1))
    assert out.shape == (1, 8, 8, 1)
    np.testing.assert_array_equal(out * 16, np.round(out * 16))
    assert out.max() == 1.0 and out[0, :, 0, 0].max() == 0.0  # stroke in the middle, not at the edge


def test_colour_photo_for_rgb_model():
    photo = np.zeros((30, 60, 3), np.uint8)
    photo[..., 2] = 255  # blue, wide
    photo[10:20, 25:35] = (255, 0, 0)
    out = prepare_single_image(image_bytes(photo), input_shape=(32, 32, 3))
    assert out.shape == (1, 32, 32, 3)
    np.testing.assert_allclose(out[0, 0, 0], [0, 0, 1], atol=0.01)  # padding takes the border colour
    assert out[0, 16, 16, 0] > 0.9 and out[0, 16, 16, 2] < 0.1  # red centre survives, not inverted


def test_transparent_png_is_flattened_on_white():
    rgba = np.zeros((20, 20, 4), np.uint8)  # fully transparent black
    rgba[5:15, 8:12] = (0, 0, 0, 255)  # opaque black stroke
    out = prepare_single_image(image_bytes(rgba), input_shape=(28, 28, 1))
    assert out[0, 0, 0, 0] == 0.0 and out.max() == pytest.approx(1.0)  # white paper -> inverted -> dark


@pytest.mark.parametrize("payload", [b"", b"definitely not an image", image_bytes(np.zeros((50, 50)))[:60]])
def test_unreadable_single_image(payload):
    with pytest.raises(DataError, match="cannot be read as an image") as caught:
        prepare_single_image(payload, input_shape=(28, 28, 1))
    assert "图片" in caught.value.message("zh")


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="input_shape"):
        prepare_single_image(grey(0), input_shape=(28, 28))
    with pytest.raises(ValueError, match="invert"):
        prepare_single_image(grey(0), input_shape=(28, 28, 1), invert="yes")


def test_chinese_folder_names_from_windows_zips():
    """Windows' built-in zip stores names in GBK without the UTF-8 flag; class names must still read right."""
    placeholders = {"QQQQ": "猫咪", "ZZZZ": "小狗"}
    raw = bytearray(make_zip({f"{p}/{i}.png": grey(v) for p, v in (("QQQQ", 0), ("ZZZZ", 255)) for i in range(3)}))
    for placeholder, chinese in placeholders.items():
        encoded = chinese.encode("gbk")
        assert len(encoded) == len(placeholder)
        raw = bytearray(bytes(raw).replace(placeholder.encode(), encoded))
    data = load_image_zip(data=bytes(raw))
    assert data.class_names == tuple(sorted(["猫咪", "小狗"]))
    utf8 = load_image_zip(data=class_zip({"猫咪": 0, "小狗": 255}, per_class=3))  # flagged UTF-8 names
    assert set(utf8.class_names) == {"猫咪", "小狗"}


def _all_images(dataset) -> set[bytes]:
    return {image.tobytes() for split in (dataset.x_train, dataset.x_val, dataset.x_test) for image in split}


def test_single_channel_images_give_the_same_pixels_whether_the_zip_is_grey_or_mixed_with_colour():
    """Grey PNGs are resized once (grey) unless a colour image joins them; then they get their RGB version too."""
    from core.usecases.vision.images import fit_to_box, to_unit_float

    rng = np.random.default_rng(0)
    greys = {f"g{c}/{i}.png": image_bytes(rng.integers(0, 256, (20, 20))) for c in range(2) for i in range(3)}
    colours = {f"c/{i}.png": image_bytes(rng.integers(0, 256, (20, 20, 3))) for i in range(3)}

    def expected(content: bytes, mode: str, size: tuple[int, int]) -> bytes:
        fitted = np.asarray(fit_to_box(Image.open(io.BytesIO(content)).convert(mode), size))
        return to_unit_float(fitted if mode == "RGB" else fitted[..., np.newaxis]).tobytes()

    only_grey = load_image_zip(data=make_zip(greys))
    assert only_grey.extra["color_mode"] == "grayscale" and only_grey.input_shape == (28, 28, 1)
    assert _all_images(only_grey) == {expected(content, "L", (28, 28)) for content in greys.values()}
    mixed = load_image_zip(data=make_zip({**greys, **colours}))
    assert mixed.extra["color_mode"] == "RGB" and mixed.input_shape == (32, 32, 3)
    assert _all_images(mixed) == {expected(content, "RGB", (32, 32)) for content in {**greys, **colours}.values()}
    grey_rgb = np.frombuffer(expected(greys["g0/0.png"], "RGB", (32, 32)), np.float32).reshape(32, 32, 3)
    assert np.array_equal(grey_rgb[..., 0], grey_rgb[..., 2])  # a grey image stays grey in RGB
