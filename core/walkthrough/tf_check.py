"""The walkthrough's numbers recomputed with tf.GradientTape (TensorFlow imported lazily)."""

from __future__ import annotations


import numpy as np

from core.walkthrough.steps import Walkthrough


def gradient_check(walkthrough: Walkthrough) -> dict[str, float]:
    """Largest |NumPy - tf.GradientTape| per tensor, recomputed in TensorFlow float64 on the same weights."""
    import tensorflow as tf  # lazy: about 4 s on first import

    spec = walkthrough.spec
    dtype = tf.float64
    ws = [tf.Variable(w, dtype=dtype) for w in walkthrough.params.weights]
    bs = [tf.Variable(b, dtype=dtype) for b in walkthrough.params.biases]
    x = tf.constant(walkthrough.x, dtype=dtype)
    y = tf.constant(walkthrough.y, dtype=dtype)
    functions = {"relu": tf.nn.relu, "sigmoid": tf.math.sigmoid, "tanh": tf.math.tanh,
                 "linear": tf.identity, "softmax": tf.nn.softmax}
    zs, acts = [], []
    with tf.GradientTape(persistent=True) as tape:
        a = x
        for w, b, name in zip(ws, bs, spec.activations):
            z = tf.linalg.matvec(w, a) + b
            a = functions[name](z)
            zs.append(z)
            acts.append(a)
        if spec.loss == "mse":
            loss = tf.reduce_mean(tf.square(a - y))
        elif spec.loss == "binary_crossentropy":
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=zs[-1]))
        else:
            loss = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=zs[-1])
    grads = tape.gradient(loss, ws + bs + zs)
    n_layers = spec.n_layers
    dws, dbs, deltas = grads[:n_layers], grads[n_layers:2 * n_layers], grads[2 * n_layers:]
    reference: dict[str, np.ndarray] = {}
    for layer in range(1, n_layers + 1):
        i = layer - 1
        reference[f"z{layer}"] = zs[i].numpy()
        reference[f"a{layer}"] = acts[i].numpy()
        reference[f"delta{layer}"] = deltas[i].numpy()
        if spec.activations[i] != "softmax":
            reference[f"fprime{layer}"] = tape.gradient(acts[i], zs[i]).numpy()
        reference[f"dW{layer}"] = dws[i].numpy()
        reference[f"db{layer}"] = dbs[i].numpy()
        reference[f"W{layer}_new"] = (ws[i] - walkthrough.learning_rate * dws[i]).numpy()
        reference[f"b{layer}_new"] = (bs[i] - walkthrough.learning_rate * dbs[i]).numpy()
    reference["loss"] = np.array([float(loss.numpy())])
    del tape
    ours = walkthrough.tensors()
    return {name: float(np.max(np.abs(ours[name] - reference[name]))) for name in ours}
