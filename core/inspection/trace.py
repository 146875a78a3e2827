"""Backprop walkthrough (b): one real sample traced layer by layer through a trained Keras model.

Forward: every layer's output shape, activation statistics, histogram and (for 4-D outputs)
feature maps, then the class probabilities. Backward: the L2 norm of the loss gradient with
respect to each layer's weights and output, the input saliency, and what one plain SGD step on
this sample does to its loss. The run's model is never modified: the step is taken on a clone.
TensorFlow is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from core.i18n import StudioError

HISTOGRAM_BINS = 30
MAX_FEATURE_MAPS = 16
PROBABILITY_EPSILON = 1e-7  # Keras clips probabilities to [eps, 1 - eps] in cross-entropy; so do we


class TraceError(StudioError):
    """A sample or model cannot be traced (wrong shape, index out of range, not a Keras network)."""


@dataclass(frozen=True)
class LayerTrace:
    """What one layer did to the sample: output shape and statistics, histogram, feature maps, gradient norms."""

    name: str
    class_name: str
    output_shape: tuple[int, ...]  # without the batch axis
    mean: float
    std: float
    min: float
    max: float
    zero_fraction: float
    histogram_counts: np.ndarray  # (bins,)
    histogram_edges: np.ndarray  # (bins + 1,)
    feature_maps: np.ndarray | None  # (k, height, width) for 4-D outputs, else None
    feature_channels: tuple[int, ...]  # channel index of each feature map
    weight_grad_norm: float | None  # None: the layer has no trainable weights
    activation_grad_norm: float | None  # None: the loss does not depend on this output

    @property
    def size(self) -> int:
        """Number of values the layer outputs for one sample."""
        return int(np.prod(self.output_shape)) if self.output_shape else 1


@dataclass(frozen=True)
class ModelTrace:
    """One sample's full trace: per-layer forward/backward figures, probabilities, saliency and one SGD step."""

    layers: list[LayerTrace]
    probabilities: np.ndarray  # (num_classes,)
    label: int
    loss: float
    predicted: int
    saliency: np.ndarray  # input shape without channels, in [0, 1]
    learning_rate: float
    loss_after_sgd_step: float
    probabilities_after_sgd_step: np.ndarray
    predicted_after_sgd_step: int

    @property
    def prediction_changed(self) -> bool:
        return self.predicted != self.predicted_after_sgd_step

    def layer(self, name: str) -> LayerTrace:
        """The trace of the layer called `name`."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)


def check_traceable(model: Any) -> Any:
    """Return `model` if it is a Keras network with layers; else TraceError (e.g. a scikit-learn baseline)."""
    import keras

    if not isinstance(model, keras.Model):
        raise TraceError("errors.trace.not_keras", kind=type(model).__name__)
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs or len(inputs) != 1 or len(model.outputs) != 1:
        raise TraceError("errors.trace.not_functional", name=model.name)
    return model


def pick_sample(x: np.ndarray, y: np.ndarray, index: Any) -> tuple[np.ndarray, int]:
    """Sample `index` of a split (x, y), refusing an index outside it with a message naming the range."""
    count = len(y)
    try:
        position = int(index)
    except (TypeError, ValueError):
        raise TraceError("errors.trace.index_out_of_range", index=index, last=count - 1) from None
    if isinstance(index, float) and not float(index).is_integer():
        raise TraceError("errors.trace.index_out_of_range", index=index, last=count - 1)
    if not 0 <= position < count:
        raise TraceError("errors.trace.index_out_of_range", index=index, last=count - 1)
    return np.asarray(x[position]), int(y[position])


def _as_batch(model: Any, x: Any) -> np.ndarray:
    """The sample as a (1, *input_shape) float32 batch; TraceError when its shape does not fit the model."""
    expected = tuple(int(d) for d in model.input_shape[1:])
    array = np.asarray(x, dtype=np.float32)
    if array.shape == expected:
        array = array[np.newaxis]
    elif array.shape != (1, *expected):
        raise TraceError("errors.trace.bad_shape", shape=tuple(array.shape), expected=expected)
    if not np.all(np.isfinite(array)):
        raise TraceError("errors.trace.not_finite")
    return array


def _norm(value: Any) -> float | None:
    if value is None:
        return None
    return float(np.linalg.norm(np.asarray(value, dtype=np.float64).ravel()))


def _feature_maps(activation: np.ndarray, limit: int) -> tuple[np.ndarray | None, tuple[int, ...]]:
    """Up to `limit` channels of a (h, w, c) activation as (k, h, w): the most active ones, in channel order."""
    if activation.ndim != 3:
        return None, ()
    channels = activation.shape[-1]
    if channels <= limit:
        chosen = np.arange(channels)
    else:
        strength = np.abs(activation).mean(axis=(0, 1))
        chosen = np.sort(np.argsort(-strength, kind="stable")[:limit])
    return np.moveaxis(activation[..., chosen], -1, 0).astype(np.float32), tuple(int(c) for c in chosen)


def _layer_trace(layer: Any, activation: np.ndarray, weight_grads: Sequence[Any] | None, activation_grad: Any,
                 *, bins: int, max_feature_maps: int) -> LayerTrace:
    values = activation.astype(np.float64).ravel()
    finite = values[np.isfinite(values)]
    if finite.size:
        counts, edges = np.histogram(finite, bins=bins)
        stats = (float(finite.mean()), float(finite.std()), float(finite.min()), float(finite.max()))
    else:
        counts, edges = np.zeros(bins, dtype=np.int64), np.linspace(0.0, 1.0, bins + 1)
        stats = (math.nan,) * 4
    maps, channels = _feature_maps(activation, max_feature_maps)
    if weight_grads is None:
        weight_norm = None
    else:
        present = [np.asarray(g) for g in weight_grads if g is not None]
        weight_norm = float(np.sqrt(sum(float(np.sum(np.square(g.astype(np.float64)))) for g in present)))
    return LayerTrace(
        name=layer.name,
        class_name=type(layer).__name__,
        output_shape=tuple(int(d) for d in activation.shape),
        mean=stats[0], std=stats[1], min=stats[2], max=stats[3],
        zero_fraction=float(np.mean(values == 0.0)) if values.size else 0.0,
        histogram_counts=counts.astype(np.int64),
        histogram_edges=edges.astype(np.float64),
        feature_maps=maps,
        feature_channels=channels,
        weight_grad_norm=weight_norm,
        activation_grad_norm=_norm(activation_grad),
    )


def _is_probabilities(output: np.ndarray) -> bool:
    return bool(np.all(output >= 0.0) and abs(float(np.sum(output)) - 1.0) < 1e-3)


def _loss(output: Any, label: int, *, from_logits: bool) -> Any:
    """Sparse categorical cross-entropy of one sample: -ln p[label], p clipped like Keras does.

    Computed from the output tensor itself (Keras would silently reach back to the softmax's
    logits), so the gradient with respect to the probabilities layer exists too.
    """
    import tensorflow as tf

    output = tf.cast(output, tf.float32)[0]
    if from_logits:
        return -tf.nn.log_softmax(output)[label]
    return -tf.math.log(tf.clip_by_value(output[label], PROBABILITY_EPSILON, 1.0 - PROBABILITY_EPSILON))


def trace_sample(model: Any, x: Any, y: Any, *, learning_rate: float = 0.01, bins: int = HISTOGRAM_BINS,
                 max_feature_maps: int = MAX_FEATURE_MAPS) -> ModelTrace:
    """Trace one sample (x, true class y) through a functional Keras classifier, forward and backward.

    The forward pass runs with training=False (dropout and augmentation off, batch normalisation
    with its moving statistics). Gradients come from one tf.GradientTape over every layer's output.
    """
    import keras
    import tensorflow as tf

    check_traceable(model)
    lr = float(learning_rate) if isinstance(learning_rate, (int, float)) else math.nan
    if not math.isfinite(lr) or lr <= 0:
        raise TraceError("errors.trace.bad_learning_rate", value=learning_rate)
    batch = _as_batch(model, x)
    num_classes = int(model.output_shape[-1])
    try:
        label = int(y)
    except (TypeError, ValueError):
        label = -1
    if not 0 <= label < num_classes or (isinstance(y, float) and not float(y).is_integer()):
        raise TraceError("errors.trace.bad_label", label=y, last=num_classes - 1)

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    probe = keras.Model(inputs=model.inputs, outputs=[_output_in_graph(layer) for layer in layers])
    x_tensor = tf.constant(batch)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x_tensor)
        outputs = probe(x_tensor, training=False)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        final = outputs[-1]
        from_logits = not _is_probabilities(np.asarray(final[0]))
        loss = _loss(final, label, from_logits=from_logits)
    weights = [list(layer.trainable_weights) for layer in layers]
    flat_weights = [w for group in weights for w in group]
    grads = tape.gradient(loss, [x_tensor, *outputs, *flat_weights],
                          unconnected_gradients=tf.UnconnectedGradients.NONE)
    del tape
    input_grad = grads[0]
    activation_grads = grads[1:1 + len(outputs)]
    weight_grads_flat = grads[1 + len(outputs):]

    traces: list[LayerTrace] = []
    grads_by_layer: dict[str, list[Any]] = {}
    cursor = 0
    for layer, output, activation_grad, group in zip(layers, outputs, activation_grads, weights):
        layer_grads = weight_grads_flat[cursor:cursor + len(group)]
        cursor += len(group)
        grads_by_layer[layer.name] = list(layer_grads)
        traces.append(_layer_trace(layer, np.asarray(output[0]), layer_grads if group else None,
                                   None if activation_grad is None else np.asarray(activation_grad),
                                   bins=int(bins), max_feature_maps=int(max_feature_maps)))

    final_np = np.asarray(final[0], dtype=np.float64)
    probabilities = _softmax(final_np) if from_logits else final_np
    saliency = _saliency(np.zeros_like(batch[0]) if input_grad is None else np.asarray(input_grad[0]))
    after = _after_sgd_step(model, batch, grads_by_layer, lr)
    after_probabilities = _softmax(after) if from_logits else after
    loss_after = float(_loss(after[np.newaxis].astype(np.float32), label, from_logits=from_logits))
    return ModelTrace(
        layers=traces,
        probabilities=probabilities,
        label=label,
        loss=float(loss),
        predicted=int(np.argmax(probabilities)),
        saliency=saliency,
        learning_rate=lr,
        loss_after_sgd_step=loss_after,
        probabilities_after_sgd_step=after_probabilities,
        predicted_after_sgd_step=int(np.argmax(after_probabilities)),
    )


def _output_in_graph(layer: Any) -> Any:
    """The layer's output in the traced model's graph.

    A nested model (e.g. a pretrained backbone) answers .output with its own inner graph's tensor,
    which the outer inputs do not reach; its call in the outer graph is its inbound node.
    """
    import keras

    if isinstance(layer, keras.Model) and layer._inbound_nodes:
        outputs = layer._inbound_nodes[-1].output_tensors
        return outputs[0] if len(outputs) == 1 else outputs
    return layer.output


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - np.max(logits))
    return shifted / shifted.sum()


def _saliency(gradient: np.ndarray) -> np.ndarray:
    """|dLoss/dInput|, the largest over channels for images, scaled so the strongest pixel is 1."""
    magnitude = np.abs(np.asarray(gradient, dtype=np.float64))
    if magnitude.ndim == 3:
        magnitude = magnitude.max(axis=-1)
    peak = float(magnitude.max()) if magnitude.size else 0.0
    return magnitude / peak if peak > 0 and math.isfinite(peak) else np.zeros_like(magnitude)


def _after_sgd_step(model: Any, batch: np.ndarray, grads_by_layer: dict[str, list[Any]], lr: float) -> np.ndarray:
    """Model output for `batch` after w <- w - lr * grad on a clone of the model (the original is untouched)."""
    import keras

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    for layer in clone.layers:
        for variable, grad in zip(layer.trainable_weights, grads_by_layer.get(layer.name, [])):
            if grad is not None:
                variable.assign(variable - lr * np.asarray(grad, dtype=variable.dtype))
    return np.asarray(clone(batch, training=False)[0], dtype=np.float64)
