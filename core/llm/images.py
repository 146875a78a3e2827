"""Images as a chat model reads them: a PNG in a data URL (OpenAI's `image_url` content part, which OpenAI, Azure
OpenAI, Qwen-VL through DashScope, vLLM, Ollama and llama.cpp's multimodal server all take).

A dataset's image is float pixels in [0, 1], (height, width) or (height, width, channels). Small images (the
8x8 digits, 28x28 MNIST) are enlarged by a whole factor with nearest-neighbour pixels, so no pixel is invented
and a model whose image processor has a minimum side (Qwen2-VL: 28 px) still takes them.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

DATA_URL_PREFIX = "data:image/png;base64,"
MIN_SIDE = 64  # the shorter side after enlarging (a whole factor, nearest neighbour)


def as_uint8(image: Any) -> np.ndarray:
    """An image as 8-bit pixels, (h, w) for one channel or (h, w, 3) for colour, from floats in [0, 1] or bytes."""
    pixels = np.asarray(image)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[-1] not in (3, 4)):
        raise ValueError(f"an image is (height, width) or (height, width, 1|3|4) pixels, got shape {pixels.shape}; "
                         "pass one image, not a batch.")
    if pixels.dtype != np.uint8:
        pixels = np.clip(np.nan_to_num(pixels.astype(np.float64)), 0.0, 1.0)
        pixels = np.rint(pixels * 255.0).astype(np.uint8)
    return pixels[..., :3] if pixels.ndim == 3 else pixels


def enlarged(pixels: np.ndarray, *, min_side: int = MIN_SIDE) -> np.ndarray:
    """The pixels repeated by the smallest whole factor that makes the shorter side at least `min_side`."""
    factor = max(1, -(-int(min_side) // max(1, min(pixels.shape[:2]))))
    return pixels.repeat(factor, axis=0).repeat(factor, axis=1) if factor > 1 else pixels


def image_data_url(image: Any, *, min_side: int = MIN_SIDE) -> str:
    """One image as a PNG data URL (lossless), enlarged as `enlarged` does."""
    from PIL import Image

    pixels = enlarged(as_uint8(image), min_side=min_side)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return DATA_URL_PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


def data_url_pixels(url: str) -> np.ndarray:
    """The 8-bit pixels of a PNG data URL (what a model receives), for previews and checks."""
    from PIL import Image

    if not str(url).startswith(DATA_URL_PREFIX):
        raise ValueError("not a PNG data URL; make one with core.llm.images.image_data_url.")
    with Image.open(io.BytesIO(base64.b64decode(str(url)[len(DATA_URL_PREFIX):]))) as picture:
        return np.asarray(picture)
