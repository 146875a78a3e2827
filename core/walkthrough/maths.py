"""Forward pass, loss, backward pass and the SGD update of the tiny network, in NumPy float64."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.walkthrough.network import NetworkSpec, OUTPUT_ACTIVATIONS, Params, WalkthroughError


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """f(z) for one layer."""
    if name == "relu":
        return np.maximum(z, 0.0) + 0.0
    if name == "sigmoid":
        out = np.empty_like(z)
        positive = z >= 0
        out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
        e = np.exp(z[~positive])
        out[~positive] = e / (1.0 + e)
        return out
    if name == "tanh":
        return np.tanh(z)
    if name == "linear":
        return z.copy()
    if name == "softmax":
        e = np.exp(z - np.max(z))
        return e / e.sum()
    raise WalkthroughError("errors.walkthrough.unknown_activation", name=name, choices=", ".join(OUTPUT_ACTIVATIONS))


def activation_derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f'(z) for an element-wise activation; ReLU'(0) is 0, as in TensorFlow."""
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "linear":
        return np.ones_like(z)
    raise ValueError(f"{name} has no element-wise derivative; softmax uses its Jacobian.")


@dataclass(frozen=True, eq=False)
class ForwardPass:
    """z(l) and a(l) per layer; activations[0] is the input x."""

    zs: tuple[np.ndarray, ...]
    activations: tuple[np.ndarray, ...]

    @property
    def output(self) -> np.ndarray:
        return self.activations[-1]


@dataclass(frozen=True, eq=False)
class BackwardPass:
    """delta(l) = dL/dz(l), f'(z(l)) where element-wise, dL/dW(l), dL/db(l), and the backward sums W^T delta."""

    deltas: tuple[np.ndarray, ...]
    fprimes: tuple[np.ndarray | None, ...]
    weight_grads: tuple[np.ndarray, ...]
    bias_grads: tuple[np.ndarray, ...]
    upstream: tuple[np.ndarray | None, ...]  # W(l+1)^T delta(l+1) for hidden layers, None at the output
    loss_slope: np.ndarray | None  # dL/dy_hat (mean squared error only)


def forward(spec: NetworkSpec, params: Params, x: np.ndarray) -> ForwardPass:
    """z = W a + b and a = f(z), layer by layer."""
    a = np.asarray(x, dtype=np.float64)
    zs, acts = [], [a]
    with np.errstate(over="ignore", invalid="ignore"):
        for w, b, name in zip(params.weights, params.biases, spec.activations):
            z = w @ a + b
            a = activate(name, z)
            zs.append(z)
            acts.append(a)
    return ForwardPass(tuple(zs), tuple(acts))


def loss_value(spec: NetworkSpec, passed: ForwardPass, y: np.ndarray) -> float:
    """The loss of one sample, computed stably from the output z where the output is sigmoid/softmax."""
    z, y_hat = passed.zs[-1], passed.output
    if spec.loss == "mse":
        return float(np.mean((y_hat - y) ** 2))
    if spec.loss == "binary_crossentropy":
        return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))
    shift = np.max(z)
    log_sum_exp = shift + math.log(float(np.sum(np.exp(z - shift))))
    return float(np.sum(y * (log_sum_exp - z)))


def backward(spec: NetworkSpec, params: Params, passed: ForwardPass, y: np.ndarray) -> BackwardPass:
    """delta at the output, delta propagated through f'(z), dW = delta a^T, db = delta."""
    n_layers, n_out = spec.n_layers, spec.n_outputs
    y_hat, z_out = passed.output, passed.zs[-1]
    deltas: list[np.ndarray] = [np.empty(0)] * n_layers
    fprimes: list[np.ndarray | None] = [None] * n_layers
    upstream: list[np.ndarray | None] = [None] * n_layers
    loss_slope = None
    out_act = spec.output_activation
    if spec.fused_output:
        scale = 1.0 / n_out if spec.loss == "binary_crossentropy" else 1.0
        deltas[-1] = (y_hat - y) * scale
    else:  # mean squared error with any output activation
        loss_slope = 2.0 * (y_hat - y) / n_out
        if out_act == "softmax":
            deltas[-1] = y_hat * (loss_slope - float(np.dot(loss_slope, y_hat)))
        else:
            fprimes[-1] = activation_derivative(out_act, z_out, y_hat)
            deltas[-1] = loss_slope * fprimes[-1]
    for layer in range(n_layers - 1, 0, -1):  # hidden layers, 1-based index `layer`
        idx = layer - 1
        upstream[idx] = params.weights[layer].T @ deltas[layer]
        fprimes[idx] = activation_derivative(spec.activations[idx], passed.zs[idx], passed.activations[layer])
        deltas[idx] = upstream[idx] * fprimes[idx]
    weight_grads = tuple(np.outer(deltas[i], passed.activations[i]) for i in range(n_layers))
    bias_grads = tuple(d.copy() for d in deltas)
    return BackwardPass(tuple(deltas), tuple(fprimes), weight_grads, bias_grads, tuple(upstream), loss_slope)


def sgd_update(params: Params, grads: BackwardPass, learning_rate: float) -> Params:
    """One plain gradient-descent step: W <- W - lr dL/dW, b <- b - lr dL/db."""
    return Params(
        tuple(w - learning_rate * g for w, g in zip(params.weights, grads.weight_grads)),
        tuple(b - learning_rate * g for b, g in zip(params.biases, grads.bias_grads)),
    )
