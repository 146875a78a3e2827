"""Pretrained image backbones (keras.applications) with a new classification head, for fine-tuning.

The model takes the studio's images as they are, float32 in [0, 1] shaped (height, width, 1 or 3),
and does the rest inside itself, so it is saved, served and traced like any other vision model:
grey images are repeated to 3 channels, resized to the backbone's resolution, scaled to [0, 255]
(the backbones' own preprocessing layers take it from there), then the backbone (a nested model
named "backbone"), global average pooling, dropout and the float32 softmax "probabilities".

Only built-in Keras layers: the .keras file loads in safe mode. Weights come from a local file
(core.models.weights downloads it once); without one the backbone is randomly initialised,
which is what tests, parameter counts and the offline benchmark use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import keras
from keras import layers

from core.usecases.vision.models import _check_dropout, _check_shape, _classifier_head

BACKBONE_LAYER = "backbone"
IMAGE_SIZE_RANGE = (32, 224)
DEFAULT_IMAGE_SIZE = 96  # small inputs (8x8 digits, 28x28 MNIST) are upscaled to this


@dataclass(frozen=True)
class Backbone:
    """A keras.applications constructor, its weight file key and where its "top blocks" start."""

    application: str  # attribute of keras.applications
    weights_key: str  # core.models.weights.WEIGHT_FILES key
    unfreeze_from: str  # name prefix of the first backbone layer unfrozen in stage 2
    parameters: int  # weights of the backbone without top (the same at every input size)
    features: int  # channels it hands to the head


BACKBONES = {
    # Stage 2 unfreezes the last two inverted-residual blocks and the final 1x1 conv.
    "mobilenet_v3_small": Backbone("MobileNetV3Small", "mobilenet_v3_small", "expanded_conv_9_", 939_120, 576),
    # Stage 2 unfreezes the last three MBConv blocks and the top conv.
    "efficientnet_v2_b0": Backbone("EfficientNetV2B0", "efficientnet_v2_b0", "block6f_", 5_919_312, 1280),
}


def parameter_count(backbone: str, num_classes: int) -> int:
    """Weights of build_backbone_classifier(..., backbone=backbone) without building it (seconds saved)."""
    spec = BACKBONES[backbone]
    return spec.parameters + spec.features * int(num_classes) + int(num_classes)


def _check_image_size(image_size: int | None, shape: tuple[int, int, int]) -> int:
    """The backbone's resolution: image_size, or (None) the input's own size clamped to 96-224 px."""
    low, high = IMAGE_SIZE_RANGE
    if image_size is None:
        return int(min(max(shape[0], shape[1], DEFAULT_IMAGE_SIZE), high))
    if not isinstance(image_size, int) or not low <= image_size <= high:
        raise ValueError(f"image_size must be an int in [{low}, {high}] pixels, got {image_size!r}; use e.g. 96.")
    return image_size


def build_backbone_classifier(
    input_shape: Sequence[int],
    num_classes: int,
    *,
    backbone: str = "mobilenet_v3_small",
    image_size: int | None = None,
    dropout: float = 0.2,
    weights_path: str | None = None,
    freeze_batch_norm: bool = True,
) -> keras.Model:
    """A keras.applications backbone (no top) under a new softmax head; ImageNet weights from weights_path.

    freeze_batch_norm: the backbone's batch normalisation layers stay frozen from the start and
    run on their ImageNet statistics (the usual practice when fine-tuning on a small data set).
    A randomly initialised backbone trained from scratch needs False: its initial statistics
    (mean 0, variance 1) shrink the features to ~1e-9 and nothing learns.
    """
    shape = _check_shape(input_shape, num_classes)
    dropout = _check_dropout(dropout)
    size = _check_image_size(image_size, shape)
    try:
        spec = BACKBONES[backbone]
    except KeyError:
        raise ValueError(f"backbone must be one of {', '.join(BACKBONES)}, got {backbone!r}.") from None
    if shape[-1] not in (1, 3):
        raise ValueError(f"A pretrained backbone takes grey (1) or colour (3) channels, got {shape[-1]}.")
    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    if shape[-1] == 1:
        x = layers.Concatenate(axis=-1, name="grey_to_rgb")([x, x, x])
    if shape[:2] != (size, size):
        x = layers.Resizing(size, size, interpolation="bilinear", name="resize")(x)
    x = layers.Rescaling(255.0, name="to_pixel_range")(x)
    net = getattr(keras.applications, spec.application)(
        input_shape=(size, size, 3), include_top=False, weights=None, include_preprocessing=True,
    )
    if weights_path:
        net.load_weights(str(weights_path))
    for layer in net.layers:
        if freeze_batch_norm and isinstance(layer, layers.BatchNormalization):
            layer.trainable = False
    # Re-wrapped under one fixed name (EfficientNetV2 reads its constructor's name as its variant).
    x = keras.Model(net.inputs[0], net.outputs[0], name=BACKBONE_LAYER)(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    if dropout > 0:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = _classifier_head(x, num_classes)
    return keras.Model(inputs=inputs, outputs=outputs, name=f"{backbone}_finetuned")


def build_mobilenet_v3_small(input_shape: Sequence[int], num_classes: int, *, image_size: int | None = None,
                             dropout: float = 0.2, weights_path: str | None = None,
                             freeze_batch_norm: bool = True) -> keras.Model:
    """MobileNetV3-Small (ImageNet) fine-tuned: 0.9 M backbone weights, fast on a CPU."""
    return build_backbone_classifier(input_shape, num_classes, backbone="mobilenet_v3_small",
                                     image_size=image_size, dropout=dropout, weights_path=weights_path,
                                     freeze_batch_norm=freeze_batch_norm)


def build_efficientnet_v2_b0(input_shape: Sequence[int], num_classes: int, *, image_size: int | None = None,
                             dropout: float = 0.2, weights_path: str | None = None,
                             freeze_batch_norm: bool = True) -> keras.Model:
    """EfficientNetV2-B0 (ImageNet) fine-tuned: 5.9 M backbone weights, more accurate, slower."""
    return build_backbone_classifier(input_shape, num_classes, backbone="efficientnet_v2_b0",
                                     image_size=image_size, dropout=dropout, weights_path=weights_path,
                                     freeze_batch_norm=freeze_batch_norm)
