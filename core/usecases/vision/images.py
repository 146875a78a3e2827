"""Shared image helpers for the vision data sources: IDX parsing, splits, safe Pillow decoding."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np

# Pillow decoders we accept; anything else (EPS, exotic plug-ins) is refused as "not an image".
PIL_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF")
# Largest decoded image we accept (pixels); a 1 MB PNG can otherwise expand to gigabytes.
MAX_PIXELS = 40_000_000
# Channels that differ by at most this much (0..255) count as grey (JPEG chroma noise).
GREY_TOLERANCE = 8


class ImageDecodeError(ValueError):
    """Bytes that are not a usable image; callers turn it into a DataError naming the file."""


def to_unit_float(pixels: np.ndarray, scale: float = 255.0) -> np.ndarray:
    """uint8 pixels to float32 in [0, 1], without a float64 temporary."""
    return np.divide(pixels, np.float32(scale), dtype=np.float32)  # one pass; 10x faster than astype + /=


# --- IDX files (MNIST / Fashion-MNIST) ---------------------------------------------------

_IDX_UBYTE = 0x08


def parse_idx(raw: bytes) -> np.ndarray:
    """Parse an uncompressed IDX file (LeCun's MNIST format) of unsigned bytes."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _IDX_UBYTE:
        raise ValueError("not an IDX file of unsigned bytes")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError("IDX header is truncated")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        raise ValueError(f"IDX body holds {len(raw) - header} bytes, header promises {expected}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def read_idx_gz(path: Path) -> np.ndarray:
    """Read a gzip-compressed IDX file."""
    with gzip.open(path, "rb") as handle:
        return parse_idx(handle.read())


def check_images_labels(images: np.ndarray, labels: np.ndarray, *, shape: tuple[int, ...], classes: int) -> None:
    """Raise ValueError unless images are (n, *shape) and labels are n values in 0..classes-1."""
    if images.ndim != 1 + len(shape) or tuple(images.shape[1:]) != shape:
        raise ValueError(f"images have shape {images.shape}, expected (n, {', '.join(map(str, shape))})")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"{len(labels)} labels for {len(images)} images")
    if len(labels) and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"labels outside 0..{classes - 1}")


def carve_validation(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    val_fraction: float = 0.1,
    random_state: int = 0,
) -> tuple[np.ndarray, ...]:
    """Keep an official test split; carve a stratified validation split out of train (fixed seed)."""
    from sklearn.model_selection import train_test_split

    index = np.arange(len(y_train))
    train_idx, val_idx = train_test_split(
        index, test_size=val_fraction, random_state=random_state, stratify=y_train
    )
    return (
        x_train[train_idx], y_train[train_idx].astype(np.int64),
        x_train[val_idx], y_train[val_idx].astype(np.int64),
        x_test, y_test.astype(np.int64),
    )


# --- Pillow -----------------------------------------------------------------------------

def open_image(data: bytes, *, draft: int | None = None):
    """Decode image bytes fully (orientation from EXIF applied); ImageDecodeError if unusable.

    draft: JPEGs may be decoded at 1/2..1/8 scale as long as both sides stay >= draft pixels
    (much faster for phone photos that will be shrunk anyway).
    """
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data), formats=PIL_FORMATS) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageDecodeError(f"image is {width}x{height} pixels; the limit is {MAX_PIXELS:,}")
            if width < 1 or height < 1:
                raise ImageDecodeError("image has no pixels")
            if draft and image.format == "JPEG":
                image.draft(None, (draft, draft))
            image.load()
            return ImageOps.exif_transpose(image)
    except ImageDecodeError:
        raise
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, DecompressionBombError...
        raise ImageDecodeError(str(error) or type(error).__name__) from error


def flatten(image, *, background: int = 255):
    """Drop transparency by compositing on white; return an 'L' or 'RGB' image."""
    from PIL import Image

    if image.mode in ("L", "RGB"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if array.max(initial=0) > 255 else 255.0
        return Image.fromarray(np.clip(array / top * 255.0, 0, 255).round().astype(np.uint8))
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA" if image.mode == "PA" or "transparency" in image.info else "RGB")
    if image.mode == "LA":
        base = Image.new("L", image.size, background)
        base.paste(image.convert("L"), mask=image.getchannel("A"))
        return base
    if image.mode in ("RGBA", "RGBa"):
        rgba = image.convert("RGBA")
        base = Image.new("RGB", image.size, (background,) * 3)
        base.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
        return base
    return image.convert("RGB")


def is_grey(image) -> bool:
    """True for single-channel images and colour images whose channels (almost) agree."""
    if image.mode == "L":
        return True
    array = np.asarray(image.convert("RGB"), dtype=np.int16)
    return bool(
        np.abs(array[..., 0] - array[..., 1]).max(initial=0) <= GREY_TOLERANCE
        and np.abs(array[..., 1] - array[..., 2]).max(initial=0) <= GREY_TOLERANCE
    )


def border_pixels(array: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels (about 5% of each side, at least one pixel) as (k, channels)."""
    height, width = array.shape[:2]
    band_h = max(1, height // 20)
    band_w = max(1, width // 20)
    pieces = [array[:band_h], array[-band_h:], array[:, :band_w], array[:, -band_w:]]
    channels = 1 if array.ndim == 2 else array.shape[2]
    return np.concatenate([piece.reshape(-1, channels) for piece in pieces])


def fit_to_box(image, size: tuple[int, int], *, box: tuple[int, int] | None = None, fill=None, resample=None):
    """Resize keeping the aspect ratio so it fits `box` (default: `size`), centred on a `size` canvas.

    `fill` is the padding colour; by default the median colour of the image's border, so the
    padding blends with the background.
    """
    from PIL import Image

    height, width = size
    box_h, box_w = box or size
    if fill is None:
        border = border_pixels(np.asarray(image))
        median = np.median(border, axis=0).astype(np.uint8)
        fill = int(median[0]) if image.mode == "L" else tuple(int(v) for v in median)
    scale = min(box_w / image.width, box_h / image.height)
    new_w = max(1, min(box_w, round(image.width * scale)))
    new_h = max(1, min(box_h, round(image.height * scale)))
    if resample is None:
        resample = Image.Resampling.LANCZOS
    resized = image.resize((new_w, new_h), resample, reducing_gap=3.0)
    canvas = Image.new(image.mode, (width, height), fill)
    canvas.paste(resized, ((width - new_w) // 2, (height - new_h) // 2))
    return canvas
