"""Uploaded images: a zip of one folder per class as a Dataset, and one photo as model input.

Zips are read entirely in memory (zipfile + Pillow), never extracted to disk, and checked
before any image is decoded: size, zip bombs, file count, unsafe paths (zip slip), then the
folder layout, non-image files, corrupt images and classes that are too small.
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from core.config import get_settings
from core.data.dataset import Dataset, source_keys, split_stratified
from core.errors import DataError
from core.usecases.vision.images import (
    ImageDecodeError,
    border_pixels,
    fit_to_box,
    flatten,
    is_grey,
    open_image,
    to_unit_float,
)

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
JUNK_NAMES = frozenset({"thumbs.db", "desktop.ini"})
MIN_IMAGES_PER_CLASS = 3
# The files inside may together expand to at most this many times the upload limit (zip bombs).
UNCOMPRESSED_FACTOR = 10
GREY_SIZE = (28, 28)
RGB_SIZE = (32, 32)
MAX_NAMED = 5  # how many offending files an error message names
_DRIVE = re.compile(r"^[A-Za-z]:")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def _list_names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    if len(names) > MAX_NAMED:
        shown += f" (+{len(names) - MAX_NAMED})"
    return shown


def _read_upload(data: bytes | bytearray | memoryview | str | Path, max_bytes: int) -> bytes:
    """The upload's bytes, refusing anything over max_bytes before reading it."""
    if isinstance(data, (str, Path)):
        path = Path(data)
        if not path.is_file():
            raise DataError("errors.data.upload_missing", path=str(path))
        size = path.stat().st_size
        if size > max_bytes:
            raise DataError("errors.data.upload_too_large", size_mb=_mb(size), limit_mb=_mb(max_bytes))
        return path.read_bytes()
    raw = bytes(data)
    if len(raw) > max_bytes:
        raise DataError("errors.data.upload_too_large", size_mb=_mb(len(raw)), limit_mb=_mb(max_bytes))
    return raw


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its author typed it: zips made on Chinese Windows store GBK, not UTF-8."""
    if info.flag_bits & 0x800:  # the zip says the name is UTF-8; zipfile already decoded it
        return info.filename
    raw = info.filename.encode("cp437")  # zipfile decoded the legacy bytes as cp437
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _is_unsafe(name: str, info: zipfile.ZipInfo) -> bool:
    """Absolute paths, drive letters, '..' components or symbolic links: zip slip."""
    name = name.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        return True
    if any(part == ".." for part in name.split("/")):
        return True
    return stat.S_ISLNK(info.external_attr >> 16)


def _is_junk(parts: tuple[str, ...]) -> bool:
    """macOS resource forks, dotfiles and Windows thumbnails: ignored silently."""
    return any(part == "__MACOSX" or part.startswith(".") for part in parts) or parts[-1].lower() in JUNK_NAMES


def _normalise_size(image_size: int | tuple[int, int] | None, grey: bool) -> tuple[int, int]:
    if image_size is None:
        return GREY_SIZE if grey else RGB_SIZE
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if len(size) != 2 or not all(isinstance(v, (int, np.integer)) and 4 <= v <= 512 for v in size):
        raise ValueError(f"image_size={image_size!r} must be an int or (height, width) between 4 and 512.")
    return int(size[0]), int(size[1])


def _class_files(
    archive: zipfile.ZipFile, max_files: int, max_uncompressed: int
) -> tuple[dict[str, list[tuple[str, zipfile.ZipInfo]]], int]:
    """Validate the archive's entries; return {class name: [(name, entry)]} and the count ignored."""
    infos = archive.infolist()
    names = {id(info): _entry_name(info) for info in infos}
    unsafe = [names[id(info)] for info in infos if _is_unsafe(names[id(info)], info)]
    if unsafe:
        raise DataError("errors.data.upload_unsafe_path", path=unsafe[0], count=len(unsafe))
    files = [info for info in infos if not info.is_dir()]
    if len(files) > max_files:
        raise DataError("errors.data.upload_too_many_files", count=len(files), limit=max_files)
    total = sum(info.file_size for info in files)
    if total > max_uncompressed:
        raise DataError("errors.data.upload_uncompressed_too_large", size_mb=_mb(total),
                        limit_mb=_mb(max_uncompressed))
    if any(info.flag_bits & 0x1 for info in files):
        raise DataError("errors.data.upload_encrypted")

    kept = []
    ignored = 0
    for info in files:
        parts = tuple(p for p in PurePosixPath(names[id(info)].replace("\\", "/")).parts if p not in ("", "."))
        if not parts or _is_junk(parts):
            ignored += 1
            continue
        kept.append((parts, info))
    if not kept:
        raise DataError("errors.data.upload_no_images")

    # Strip wrapper folders: "dataset/cats/1.png" -> "cats/1.png" when every file sits under "dataset/".
    while len({parts[0] for parts, _ in kept}) == 1 and all(len(parts) >= 3 for parts, _ in kept):
        kept = [(parts[1:], info) for parts, info in kept]

    non_images = [
        names[id(info)] for parts, info in kept if PurePosixPath(parts[-1]).suffix.lower() not in IMAGE_EXTENSIONS
    ]
    if non_images:
        raise DataError("errors.data.upload_non_images", count=len(non_images), files=_list_names(non_images))
    loose = [names[id(info)] for parts, info in kept if len(parts) == 1]
    if loose:
        raise DataError("errors.data.upload_no_class_folders", count=len(loose), files=_list_names(loose))

    classes: dict[str, list[zipfile.ZipInfo]] = {}
    for parts, info in kept:
        classes.setdefault(parts[0], []).append(info)
    if len(classes) == 1:
        (only,) = classes
        raise DataError("errors.data.upload_one_class", name=only)
    small = sorted(name for name, entries in classes.items() if len(entries) < MIN_IMAGES_PER_CLASS)
    if small:
        found = min(len(classes[name]) for name in small)
        raise DataError("errors.data.upload_too_few_images", classes=_list_names([f"'{n}'" for n in small]),
                        minimum=MIN_IMAGES_PER_CLASS, found=found)
    return {name: [(names[id(info)], info) for info in classes[name]] for name in sorted(classes)}, ignored


_UNREADABLE = (ImageDecodeError, zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)


def _decode(archive: zipfile.ZipFile, info: zipfile.ZipInfo, draft: int):
    """One entry decoded as an 'L' or 'RGB' Pillow image; one of _UNREADABLE when it is not a usable image."""
    return flatten(open_image(archive.read(info), draft=draft))


def load_image_zip(
    *,
    data: bytes | str | Path,
    seed: int = 0,
    max_bytes: int | None = None,
    image_size: int | tuple[int, int] | None = None,
    name: str = "upload",
) -> Dataset:
    """A zip of class folders (PNG/JPEG...) as a Dataset: validated, resized, split 70/10/20 stratified.

    Images become grayscale when all are grey, else RGB; they are resized keeping the aspect
    ratio and padded with their border colour to image_size (default 28x28 grey, 32x32 RGB).
    """
    settings = get_settings()
    max_bytes = settings.max_upload_bytes if max_bytes is None else int(max_bytes)
    raw = _read_upload(data, max_bytes)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise DataError("errors.data.upload_not_zip") from error
    with archive:
        classes, ignored = _class_files(archive, settings.max_upload_files, max_bytes * UNCOMPRESSED_FACTOR)
        grey_size = _normalise_size(image_size, True)
        rgb_size = _normalise_size(image_size, False)
        draft = max(*grey_size, *rgb_size) * 2

        # (label, grey version or None, RGB version or None, entry). A single-channel image needs only its grey
        # version unless the zip turns out to hold colour images too: then its RGB version is made afterwards.
        decoded: list[tuple[int, object, object, zipfile.ZipInfo]] = []
        corrupt: list[str] = []
        for label, (class_name, entries) in enumerate(classes.items()):
            for entry_name, info in entries:
                try:
                    image = _decode(archive, info, draft)
                except _UNREADABLE:
                    corrupt.append(entry_name)
                    continue
                if image.mode == "L":
                    decoded.append((label, fit_to_box(image, grey_size), None, info))
                    continue
                rgb = fit_to_box(image.convert("RGB"), rgb_size)
                grey = fit_to_box(image.convert("L"), grey_size) if is_grey(rgb) else None
                decoded.append((label, grey, rgb, info))
        if corrupt:
            raise DataError("errors.data.upload_corrupt_images", count=len(corrupt), files=_list_names(corrupt))
        if any(grey is None for _, grey, _, _ in decoded):  # colour images: every image is needed in RGB
            decoded = [(label, grey, rgb if rgb is not None else
                        fit_to_box(_decode(archive, info, draft).convert("RGB"), rgb_size), info)
                       for label, grey, rgb, info in decoded]

    all_grey = all(grey is not None for _, grey, _, _ in decoded)
    if all_grey:
        pixels = np.stack([np.asarray(grey) for _, grey, _, _ in decoded])[..., np.newaxis]
    else:
        pixels = np.stack([np.asarray(rgb) for _, _, rgb, _ in decoded])
    y = np.array([label for label, _, _, _ in decoded], dtype=np.int64)
    x = to_unit_float(pixels)
    x_train, y_train, x_val, y_val, x_test, y_test = split_stratified(x, y, random_state=seed)
    class_names = tuple(classes)
    counts = {c: len(entries) for c, entries in classes.items()}
    height, width = pixels.shape[1:3]
    mode = "grayscale" if all_grey else "RGB"
    digest = hashlib.sha256(raw).hexdigest()
    return Dataset(
        id="upload_zip",
        title=name,
        task="multiclass",
        x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val, x_test=x_test, y_test=y_test,
        class_names=class_names,
        source_kind="uploaded",
        provenance=(
            f"Uploaded zip '{name}' (sha256 {digest[:16]}, {_mb(len(raw))} MB): {len(y):,} images in "
            f"{len(class_names)} class folders ({', '.join(f'{c}: {n}' for c, n in counts.items())}); "
            f"{ignored} system files ignored; converted to {mode}, resized to {height}x{width} keeping the "
            f"aspect ratio (padded with the border colour); stratified 70/10/20 train/validation/test split, "
            f"seed {seed}."
        ),
        licence="Provided by the uploader, who is responsible for the right to use these images",
        seed=seed,
        extra={
            "title_key": "datasets.upload_zip.title",
            "sha256": digest,
            "class_counts": counts,
            "color_mode": mode,
            "ignored_files": ignored,
            "original_size": len(y),
            **source_keys("provenance.zip_upload", "provenance.licence_uploader_images", name=name,
                          sha=digest[:16], mb=_mb(len(raw)), images=f"{len(y):,}", classes=len(class_names),
                          counts=", ".join(f"{c}: {n}" for c, n in counts.items()), ignored=ignored,
                          mode_key=f"provenance.mode_{'grey' if all_grey else 'rgb'}", size=f"{height}x{width}",
                          seed=seed),
        },
    )


# --- one image for "upload a photo, get the top-3 classes" -------------------------------

def prepare_single_image(
    data: bytes,
    *,
    input_shape: tuple[int, int, int],
    invert: bool | str = "auto",
    content_fraction: float | str | None = "auto",
) -> np.ndarray:
    """A user's photo as model input shaped (1, *input_shape), float32 in [0, 1].

    Grayscale models (1 channel) were trained on light-on-dark images (MNIST, digits,
    Fashion-MNIST), so invert="auto" inverts when the photo's border is light (dark ink on
    paper, a garment on a white background); the paper is then pushed to 0 and the content
    cropped and scaled to fill content_fraction of the frame ("auto": 20/28 like MNIST for
    frames >= 16 px, the whole frame for 8x8 digits; None: keep the whole photo). 8x8 inputs
    are quantised to sixteenths like load_digits' 0..16 counts. Colour models get the photo
    resized with its aspect ratio kept and padded; invert only when invert=True.
    """
    from PIL import Image

    if len(input_shape) != 3 or input_shape[2] not in (1, 3) or min(input_shape[:2]) < 1:
        raise ValueError(f"input_shape={input_shape!r} must be (height, width, 1 or 3).")
    if invert not in ("auto", True, False):
        raise ValueError(f"invert={invert!r} must be 'auto', True or False.")
    height, width, channels = (int(v) for v in input_shape)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DataError("errors.data.image_unreadable", detail=f"expected image bytes, got {type(data).__name__}")
    try:
        image = flatten(open_image(bytes(data), draft=4 * max(height, width)))
    except ImageDecodeError as error:
        raise DataError("errors.data.image_unreadable", detail=str(error)) from error
    image.thumbnail((1024, 1024), Image.Resampling.LANCZOS)  # bounds the work on phone photos

    if channels == 3:
        rgb = image.convert("RGB")
        if invert is True:
            rgb = Image.fromarray(255 - np.asarray(rgb))  # uint8 (h, w, 3) -> RGB
        fitted = np.asarray(fit_to_box(rgb, (height, width)))
        return to_unit_float(fitted)[np.newaxis]

    grey = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    flip = bool(np.median(border_pixels(grey)) > 0.5) if invert == "auto" else bool(invert)
    if flip:
        grey = 1.0 - grey
    background = float(np.median(border_pixels(grey)))
    peak = float(grey.max())
    if peak - background > 0.1:  # stretch: background to 0, strongest stroke to 1
        grey = np.clip((grey - background) / (peak - background), 0.0, 1.0)

    fill = int(round(float(np.median(border_pixels(grey))) * 255))  # background after inversion/stretch
    if content_fraction == "auto":
        content_fraction = 20 / 28 if min(height, width) >= 16 else 1.0
    box = (height, width)
    if content_fraction is not None:
        if not 0.0 < float(content_fraction) <= 1.0:
            raise ValueError(f"content_fraction={content_fraction!r} must be in (0, 1], 'auto' or None.")
        rows = np.flatnonzero((grey > 0.25).any(axis=1))
        cols = np.flatnonzero((grey > 0.25).any(axis=0))
        if len(rows) and len(cols):
            grey = grey[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
        box = (max(1, round(height * content_fraction)), max(1, round(width * content_fraction)))
    small = Image.fromarray(np.round(grey * 255).astype(np.uint8))
    resample = Image.Resampling.BOX if min(height, width) < 16 else Image.Resampling.LANCZOS
    fitted = to_unit_float(np.asarray(fit_to_box(small, (height, width), box=box, fill=fill, resample=resample)))
    if height == 8 and width == 8:
        fitted = np.round(fitted * 16.0) / 16.0
    return fitted.astype(np.float32)[np.newaxis, ..., np.newaxis]
