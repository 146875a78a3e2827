"""A tiny dense network computed step by step in NumPy float64, so backprop can be shown with real numbers.

Conventions: layer l (1..L) computes z(l) = W(l) a(l-1) + b(l) and a(l) = f(z(l)), with
W(l) of shape (units in l, units in l-1) and a(0) = x. Losses for one sample: mean squared
error and binary cross-entropy average over the output units (as Keras does); categorical
cross-entropy sums over the classes. ReLU's derivative at exactly z = 0 is taken as 0, the
choice TensorFlow makes. `gradient_check` recomputes every tensor with tf.GradientTape.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from core.i18n import StudioError

HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")
OUTPUT_ACTIVATIONS = HIDDEN_ACTIVATIONS + ("softmax",)
LOSSES = ("mse", "binary_crossentropy", "categorical_crossentropy")
MAX_INPUTS = 4
MAX_HIDDEN_LAYERS = 3
MAX_HIDDEN_UNITS = 6
MAX_OUTPUTS = 4
MAX_TRAIN_STEPS = 5000
MAX_LEARNING_RATE = 10.0
CHECK_TOLERANCE = 1e-9


class WalkthroughError(StudioError):
    """The walkthrough's settings or typed weights cannot be used as given."""


# --------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class NetworkSpec:
    """Layer sizes (input, hidden..., output), one activation per non-input layer, and the loss."""

    layer_sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "layer_sizes", tuple(int(size) for size in self.layer_sizes))
        object.__setattr__(self, "activations", tuple(str(name) for name in self.activations))
        _validate_spec(self)

    @property
    def n_layers(self) -> int:
        """Number of weight layers L (hidden layers + output layer)."""
        return len(self.layer_sizes) - 1

    @property
    def n_inputs(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.layer_sizes[-1]

    @property
    def output_activation(self) -> str:
        return self.activations[-1]

    @property
    def fused_output(self) -> bool:
        """True where the output delta simplifies to (y_hat - y) / n: sigmoid+BCE, softmax+CCE."""
        return (self.loss, self.output_activation) in {
            ("binary_crossentropy", "sigmoid"),
            ("categorical_crossentropy", "softmax"),
        }


def _validate_spec(spec: NetworkSpec) -> None:
    sizes = spec.layer_sizes
    shown = ", ".join(str(size) for size in sizes)
    if len(sizes) < 2:
        raise WalkthroughError("errors.walkthrough.too_few_layers", sizes=shown)
    if len(sizes) - 2 > MAX_HIDDEN_LAYERS:
        raise WalkthroughError("errors.walkthrough.too_many_hidden", count=len(sizes) - 2, max=MAX_HIDDEN_LAYERS)
    if min(sizes) < 1:
        raise WalkthroughError("errors.walkthrough.empty_layer", sizes=shown)
    hidden = sizes[1:-1]
    if sizes[0] > MAX_INPUTS or sizes[-1] > MAX_OUTPUTS or any(size > MAX_HIDDEN_UNITS for size in hidden):
        raise WalkthroughError(
            "errors.walkthrough.too_large", sizes=shown, max_inputs=MAX_INPUTS,
            max_hidden=MAX_HIDDEN_LAYERS, max_units=MAX_HIDDEN_UNITS, max_outputs=MAX_OUTPUTS,
        )
    if len(spec.activations) != len(sizes) - 1:
        raise WalkthroughError("errors.walkthrough.activation_count", count=len(spec.activations), need=len(sizes) - 1)
    for layer, name in enumerate(spec.activations, start=1):
        if name not in OUTPUT_ACTIVATIONS:
            raise WalkthroughError("errors.walkthrough.unknown_activation", name=name,
                                   choices=", ".join(OUTPUT_ACTIVATIONS))
        if name == "softmax" and layer < len(sizes) - 1:
            raise WalkthroughError("errors.walkthrough.softmax_hidden", layer=layer)
    if spec.loss not in LOSSES:
        raise WalkthroughError("errors.walkthrough.unknown_loss", name=spec.loss, choices=", ".join(LOSSES))
    out = spec.activations[-1]
    if out == "softmax" and sizes[-1] < 2:
        raise WalkthroughError("errors.walkthrough.softmax_single")
    if spec.loss == "binary_crossentropy" and out == "softmax":
        raise WalkthroughError("errors.walkthrough.softmax_bce")
    if spec.loss == "binary_crossentropy" and out != "sigmoid":
        raise WalkthroughError("errors.walkthrough.bce_needs_sigmoid", activation=out)
    if spec.loss == "categorical_crossentropy" and out != "softmax":
        raise WalkthroughError("errors.walkthrough.cce_needs_softmax", activation=out)


def parse_hidden_sizes(text: str) -> tuple[int, ...]:
    """Hidden layer sizes typed as "3" or "4, 4" (also full-width commas or spaces); "" means none."""
    cleaned = unicodedata.normalize("NFKC", str(text or "")).replace(",", " ").replace(";", " ")
    parts = cleaned.split()
    sizes = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise WalkthroughError("errors.walkthrough.hidden_sizes", text=text) from None
        if not math.isfinite(value) or value != int(value):
            raise WalkthroughError("errors.walkthrough.hidden_sizes", text=text)
        sizes.append(int(value))
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise WalkthroughError("errors.walkthrough.too_many_hidden", count=len(sizes), max=MAX_HIDDEN_LAYERS)
    return tuple(sizes)


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True, eq=False)
class Params:
    """Weights W(l) (units in l x units in l-1) and biases b(l), one pair per layer, float64."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", tuple(np.array(w, dtype=np.float64, ndmin=2) for w in self.weights))
        object.__setattr__(self, "biases", tuple(np.array(b, dtype=np.float64).reshape(-1) for b in self.biases))

    def digest(self) -> str:
        """A short content hash, used to cache per-weights results such as the TensorFlow check."""
        hasher = hashlib.sha1()
        for array in self.weights + self.biases:
            hasher.update(str(array.shape).encode())
            hasher.update(np.ascontiguousarray(array).tobytes())
        return hasher.hexdigest()[:16]

    def equals(self, other: "Params") -> bool:
        return len(self.weights) == len(other.weights) and all(
            a.shape == b.shape and np.array_equal(a, b)
            for a, b in zip(self.weights + self.biases, other.weights + other.biases)
        )


def check_params(spec: NetworkSpec, params: Params) -> None:
    """Raise WalkthroughError unless every W and b has the spec's shape and finite values."""
    if len(params.weights) != spec.n_layers or len(params.biases) != spec.n_layers:
        raise WalkthroughError("errors.walkthrough.table_count", count=len(params.weights), need=spec.n_layers)
    for layer in range(1, spec.n_layers + 1):
        w, b = params.weights[layer - 1], params.biases[layer - 1]
        rows, cols = spec.layer_sizes[layer], spec.layer_sizes[layer - 1]
        if w.shape != (rows, cols) or b.shape != (rows,):
            raise WalkthroughError(
                "errors.walkthrough.table_shape", layer=layer, rows=w.shape[0], cols=w.shape[1] + 1,
                need_rows=rows, need_cols=cols + 1, inputs=cols,
            )
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
            raise WalkthroughError("errors.walkthrough.table_nan", layer=layer, row=1, column="?")


def init_weights(spec: NetworkSpec, *, random_state: int | None = 0, decimals: int | None = 2) -> Params:
    """Glorot-uniform weights rounded to `decimals` (readable formulas) and zero biases, from a seed."""
    rng = np.random.default_rng(random_state)
    weights, biases = [], []
    for fan_in, fan_out in zip(spec.layer_sizes[:-1], spec.layer_sizes[1:]):
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-limit, limit, size=(fan_out, fan_in))
        if decimals is not None:
            w = np.round(w, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
        weights.append(w)
        biases.append(np.zeros(fan_out))
    return Params(tuple(weights), tuple(biases))


def node_names(spec: NetworkSpec) -> list[list[str]]:
    """Plain-text node names per layer: x (or x1..), h1.. (or h1.1.. for several hidden layers), y-hat."""
    names = []
    n_hidden = spec.n_layers - 1
    for layer, size in enumerate(spec.layer_sizes):
        if layer == 0:
            stem = "x"
        elif layer == spec.n_layers:
            stem = "ŷ"
        else:
            stem = "h" if n_hidden == 1 else f"h{layer}."
        if size == 1 and layer in (0, spec.n_layers):
            names.append([stem])
        else:
            names.append([f"{stem}{j}" for j in range(1, size + 1)])
    return names


def _latex_name(name: str) -> str:
    if name.startswith("ŷ"):
        rest = name[1:]
        return r"\hat{y}" + (f"_{{{rest}}}" if rest else "")
    stem, rest = name[0], name[1:]
    return stem + (f"_{{{rest.replace('.', ',')}}}" if rest else "")


def weight_tables(spec: NetworkSpec, params: Params) -> list["Any"]:
    """One pandas DataFrame per layer: a row per unit, a column per incoming node, then the bias "b"."""
    import pandas as pd

    names = node_names(spec)
    tables = []
    for layer in range(1, spec.n_layers + 1):
        data = np.column_stack([params.weights[layer - 1], params.biases[layer - 1]])
        tables.append(pd.DataFrame(data, index=names[layer], columns=[*names[layer - 1], "b"]))
    return tables


def _parse_cell(value: Any, layer: int, row: int, column: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise WalkthroughError("errors.walkthrough.table_empty", layer=layer, row=row, column=column)
    if isinstance(value, (bool, np.bool_)):
        raise WalkthroughError("errors.walkthrough.table_cell", layer=layer, row=row, column=column, value=value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace("−", "-").replace("，", ".")
        try:
            number = float(text)
        except ValueError:
            raise WalkthroughError(
                "errors.walkthrough.table_cell", layer=layer, row=row, column=column, value=value.strip()
            ) from None
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise WalkthroughError(
                "errors.walkthrough.table_cell", layer=layer, row=row, column=column, value=value
            ) from None
    if math.isnan(number):
        raise WalkthroughError("errors.walkthrough.table_nan", layer=layer, row=row, column=column)
    if math.isinf(number):
        raise WalkthroughError("errors.walkthrough.table_inf", layer=layer, row=row, column=column)
    return number


def parse_weight_table(spec: NetworkSpec, tables: Sequence[Any]) -> Params:
    """Typed weight tables (DataFrames or nested lists, [W | b] per layer) to Params, or a clear error."""
    if len(tables) != spec.n_layers:
        raise WalkthroughError("errors.walkthrough.table_count", count=len(tables), need=spec.n_layers)
    weights, biases = [], []
    for layer, table in enumerate(tables, start=1):
        if hasattr(table, "to_numpy"):
            cells = table.to_numpy(dtype=object)
            columns = [str(c) for c in table.columns]
        else:
            rows_in = [list(row) for row in table]
            width = max((len(row) for row in rows_in), default=0)
            if any(len(row) != width for row in rows_in):
                raise WalkthroughError(
                    "errors.walkthrough.table_ragged", layer=layer, need_cols=spec.layer_sizes[layer - 1] + 1
                )
            cells = np.empty((len(rows_in), width), dtype=object)
            for i, row in enumerate(rows_in):
                cells[i, :] = row
            columns = [str(c + 1) for c in range(width)]
        rows, cols = spec.layer_sizes[layer], spec.layer_sizes[layer - 1] + 1
        if cells.ndim != 2 or cells.shape != (rows, cols):
            got_rows = cells.shape[0] if cells.ndim >= 1 else 0
            got_cols = cells.shape[1] if cells.ndim == 2 else 0
            raise WalkthroughError(
                "errors.walkthrough.table_shape", layer=layer, rows=got_rows, cols=got_cols,
                need_rows=rows, need_cols=cols, inputs=cols - 1,
            )
        values = np.empty((rows, cols), dtype=np.float64)
        for i in range(rows):
            for j in range(cols):
                values[i, j] = _parse_cell(cells[i, j], layer, i + 1, columns[j])
        weights.append(values[:, :-1])
        biases.append(values[:, -1])
    return Params(tuple(weights), tuple(biases))


# --------------------------------------------------------------------------- inputs


def check_input(spec: NetworkSpec, x: Sequence[float] | float) -> np.ndarray:
    """The input vector as float64 of the spec's size, finite, or a clear error."""
    vector = np.atleast_1d(np.asarray(x, dtype=np.float64)).reshape(-1)
    if vector.shape != (spec.n_inputs,):
        raise WalkthroughError("errors.walkthrough.input_size", count=vector.size, need=spec.n_inputs)
    if not np.all(np.isfinite(vector)):
        raise WalkthroughError("errors.walkthrough.input_value")
    return vector


def target_vector(spec: NetworkSpec, label: Any) -> np.ndarray:
    """The label as the target vector y: one-hot for categorical cross-entropy, else one value per output."""
    if spec.loss == "categorical_crossentropy":
        raw = np.atleast_1d(np.asarray(label, dtype=np.float64)).reshape(-1)
        if raw.size == 1:
            index = float(raw[0])
            if not math.isfinite(index) or index != int(index) or not 0 <= index < spec.n_outputs:
                raise WalkthroughError("errors.walkthrough.class_index", value=label, last=spec.n_outputs - 1)
            target = np.zeros(spec.n_outputs)
            target[int(index)] = 1.0
            return target
        if raw.shape != (spec.n_outputs,) or not np.all(np.isin(raw, (0.0, 1.0))) or raw.sum() != 1.0:
            raise WalkthroughError("errors.walkthrough.class_index", value=label, last=spec.n_outputs - 1)
        return raw
    try:
        target = np.atleast_1d(np.asarray(label, dtype=np.float64)).reshape(-1)
    except (TypeError, ValueError):
        raise WalkthroughError("errors.walkthrough.label_value") from None
    if target.shape != (spec.n_outputs,):
        raise WalkthroughError("errors.walkthrough.label_size", count=target.size, need=spec.n_outputs)
    if not np.all(np.isfinite(target)):
        raise WalkthroughError("errors.walkthrough.label_value")
    if spec.loss == "binary_crossentropy" and (np.any(target < 0) or np.any(target > 1)):
        raise WalkthroughError("errors.walkthrough.bce_label", values=", ".join(fmt(v) for v in target))
    return target


def check_learning_rate(learning_rate: float) -> float:
    value = float(learning_rate)
    if not math.isfinite(value) or value <= 0 or value > MAX_LEARNING_RATE:
        raise WalkthroughError("errors.walkthrough.learning_rate", value=learning_rate, max=MAX_LEARNING_RATE)
    return value


# --------------------------------------------------------------------------- maths


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


# --------------------------------------------------------------------------- number formatting


def fmt(value: float, digits: int = 6) -> str:
    """A number for people: up to `digits` significant digits, no trailing zeros, never "-0"."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    if text in ("-0", "-0.0"):
        return "0"
    return text


def tex(value: float, digits: int = 6) -> str:
    """fmt() for LaTeX: exponents as \\times 10^{n}."""
    text = fmt(value, digits)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{exponent}}}"
    return text.replace("∞", r"\infty")


def _par(value: float) -> str:
    """A number that may be negative, parenthesised for use in a product or sum."""
    text = tex(value)
    return f"({text})" if text.startswith("-") else text


def _vec(values: np.ndarray) -> str:
    return r"\left(" + ", ".join(tex(v) for v in values) + r"\right)"


# --------------------------------------------------------------------------- steps


@dataclass(frozen=True, eq=False)
class Step:
    """One step of the walkthrough: its formulas with numbers substituted, a sentence key, what the diagram shows."""

    kind: str  # forward | loss | backward | update
    name: str  # forward_z | forward_a | loss | delta_output | gradients | delta_hidden | update
    layer: int | None
    title_key: str
    title_params: dict[str, Any]
    formulas: tuple[str, ...]  # LaTeX; the first is the symbolic rule, the rest have the numbers
    explanation_key: str
    explanation_params: dict[str, Any]
    values: dict[str, Any]
    known_z: int  # layers 1..known_z have z
    known_a: int  # layers 1..known_a have a
    loss_known: bool
    delta_layers: frozenset[int] = field(default_factory=frozenset)
    grad_layers: frozenset[int] = field(default_factory=frozenset)
    updated_layers: frozenset[int] = field(default_factory=frozenset)
    notes: tuple[tuple[str, dict[str, Any]], ...] = ()  # extra (key, params) remarks, e.g. ReLU at z = 0


@dataclass(frozen=True, eq=False)
class Walkthrough:
    """Every number of one forward pass, loss, backward pass and update, plus the steps that show them."""

    spec: NetworkSpec
    params: Params
    x: np.ndarray
    y: np.ndarray
    label: Any
    learning_rate: float
    forward: ForwardPass
    loss: float
    backward: BackwardPass
    updated: Params
    steps: tuple[Step, ...]

    @property
    def y_hat(self) -> np.ndarray:
        return self.forward.output

    def digest(self) -> str:
        """Content hash of everything the numbers depend on (spec, weights, x, y, learning rate)."""
        hasher = hashlib.sha1(repr((self.spec, self.learning_rate)).encode())
        hasher.update(self.params.digest().encode())
        hasher.update(self.x.tobytes())
        hasher.update(self.y.tobytes())
        return hasher.hexdigest()[:16]

    def tensors(self) -> dict[str, np.ndarray]:
        """Every computed tensor by name (z1, a1, loss, delta1, fprime1, dW1, db1, W1_new, b1_new, ...)."""
        out: dict[str, np.ndarray] = {}
        for layer in range(1, self.spec.n_layers + 1):
            out[f"z{layer}"] = self.forward.zs[layer - 1]
            out[f"a{layer}"] = self.forward.activations[layer]
        out["loss"] = np.array([self.loss])
        for layer in range(self.spec.n_layers, 0, -1):
            i = layer - 1
            out[f"delta{layer}"] = self.backward.deltas[i]
            if self.backward.fprimes[i] is not None:
                out[f"fprime{layer}"] = self.backward.fprimes[i]
            out[f"dW{layer}"] = self.backward.weight_grads[i]
            out[f"db{layer}"] = self.backward.bias_grads[i]
        for layer in range(1, self.spec.n_layers + 1):
            out[f"W{layer}_new"] = self.updated.weights[layer - 1]
            out[f"b{layer}_new"] = self.updated.biases[layer - 1]
        return out


_ACT_TEX = {"relu": r"\mathrm{ReLU}", "sigmoid": r"\sigma", "tanh": r"\tanh", "linear": r"\mathrm{id}",
            "softmax": r"\mathrm{softmax}"}


def _prime_tex(name: str, z: float, a: float, d: float) -> str:
    """f'(z) with numbers, e.g. ReLU'(-0.2) = 0 or sigma'(z) = a(1-a) = ..."""
    if name == "relu":
        return rf"\mathrm{{ReLU}}'({tex(z)}) = {tex(d)}"
    if name == "sigmoid":
        return rf"\sigma'({tex(z)}) = {tex(a)}\,(1 - {tex(a)}) = {tex(d)}"
    if name == "tanh":
        return rf"\tanh'({tex(z)}) = 1 - {_par(a)}^2 = {tex(d)}"
    return rf"\mathrm{{id}}'({tex(z)}) = 1"


def _layer_sym(layer: int) -> str:
    return f"^{{({layer})}}"


def build_steps(spec: NetworkSpec, params: Params, x: np.ndarray, y: np.ndarray, learning_rate: float,
                passed: ForwardPass, loss: float, grads: BackwardPass, updated: Params) -> tuple[Step, ...]:
    """The ordered steps: forward z and a per layer, loss, output delta, gradients and deltas back, updates."""
    names = [[_latex_name(n) for n in layer_names] for layer_names in node_names(spec)]
    n_layers = spec.n_layers
    steps: list[Step] = []
    relu_zero_layers = [
        layer for layer in range(1, n_layers + 1)
        if spec.activations[layer - 1] == "relu" and np.any(passed.zs[layer - 1] == 0)
    ]

    # forward
    for layer in range(1, n_layers + 1):
        w, b = params.weights[layer - 1], params.biases[layer - 1]
        a_prev, z = passed.activations[layer - 1], passed.zs[layer - 1]
        prev_sym = "x" if layer == 1 else f"a{_layer_sym(layer - 1)}"
        lines = [rf"z{_layer_sym(layer)} = W{_layer_sym(layer)} {prev_sym} + b{_layer_sym(layer)}"]
        for j in range(w.shape[0]):
            terms = " + ".join(rf"{_par(w[j, i])} \cdot {_par(a_prev[i])}" for i in range(w.shape[1]))
            lines.append(rf"z_{{{names[layer][j]}}} = {terms} + {_par(b[j])} = {tex(z[j])}")
        steps.append(Step(
            "forward", "forward_z", layer, "walkthrough.steps.forward_z", {"layer": layer}, tuple(lines),
            "walkthrough.explain.forward_z", {"layer": layer}, {"z": z},
            known_z=layer, known_a=layer - 1, loss_known=False,
        ))
        act = spec.activations[layer - 1]
        a = passed.activations[layer]
        lines = [rf"a{_layer_sym(layer)} = {_ACT_TEX[act]}\left(z{_layer_sym(layer)}\right)"]
        params_exp: dict[str, Any] = {"layer": layer}
        if act == "softmax":
            denom = " + ".join(rf"e^{{{tex(v)}}}" for v in z)
            for j in range(len(z)):
                lines.append(rf"a_{{{names[layer][j]}}} = \frac{{e^{{{tex(z[j])}}}}}{{{denom}}} = {tex(a[j])}")
            top = int(np.argmax(a))
            params_exp.update(top=top + 1, p=fmt(a[top], 4))  # 1-based, like the node names
        else:
            for j in range(len(z)):
                nm = names[layer][j]
                if act == "relu":
                    body = rf"\max(0, {tex(z[j])})"
                elif act == "sigmoid":
                    body = rf"\frac{{1}}{{1 + e^{{{tex(-z[j])}}}}}"
                elif act == "tanh":
                    body = rf"\tanh({tex(z[j])})"
                else:
                    body = tex(z[j])
                lines.append(rf"a_{{{nm}}} = {body} = {tex(a[j])}")
            if act == "relu":
                params_exp.update(off=int(np.sum(z <= 0)), units=len(z))
        notes = (("walkthrough.notes.relu_zero", {"layer": layer}),) if layer in relu_zero_layers else ()
        steps.append(Step(
            "forward", "forward_a", layer, "walkthrough.steps.forward_a", {"layer": layer}, tuple(lines),
            f"walkthrough.explain.forward_a_{act}", params_exp, {"a": a},
            known_z=layer, known_a=layer, loss_known=False, notes=notes,
        ))

    # loss
    y_hat, z_out = passed.output, passed.zs[-1]
    out_names = names[n_layers]
    n_out = spec.n_outputs
    frac = "" if n_out == 1 else rf"\frac{{1}}{{{n_out}}}"
    if spec.loss == "mse":
        general = r"L = " + (r"(\hat{y} - y)^2" if n_out == 1 else r"\frac{1}{n}\sum_k (\hat{y}_k - y_k)^2")
        parts = " + ".join(rf"({tex(y_hat[k])} - {_par(y[k])})^2" for k in range(n_out))
        numbers = rf"L = {frac}\left[{parts}\right] = {tex(loss)}" if n_out > 1 else rf"L = {parts} = {tex(loss)}"
        exp_key = "walkthrough.explain.loss_mse"
        exp_params = {"loss": fmt(loss, 4)}
    elif spec.loss == "binary_crossentropy":
        general = r"L = -" + (r"\left[y \ln \hat{y} + (1 - y) \ln(1 - \hat{y})\right]" if n_out == 1 else
                              r"\frac{1}{n}\sum_k \left[y_k \ln \hat{y}_k + (1 - y_k) \ln(1 - \hat{y}_k)\right]")
        parts = " + ".join(
            rf"{_par(y[k])} \ln {tex(y_hat[k])} + (1 - {_par(y[k])}) \ln(1 - {tex(y_hat[k])})" for k in range(n_out)
        )
        numbers = rf"L = -{frac}\left[{parts}\right] = {tex(loss)}"
        exp_key = "walkthrough.explain.loss_bce"
        exp_params = {"loss": fmt(loss, 4), "y_hat": fmt(y_hat[0], 4), "y": fmt(y[0], 4)}
    else:
        cls = int(np.argmax(y))
        general = r"L = -\sum_k y_k \ln \hat{y}_k = -\ln \hat{y}_c"
        numbers = rf"L = -\ln \hat{{y}}_{{{cls + 1}}} = -\ln {tex(y_hat[cls])} = {tex(loss)}"
        exp_key = "walkthrough.explain.loss_cce"
        exp_params = {"loss": fmt(loss, 4), "cls": cls + 1, "p": fmt(y_hat[cls], 4)}  # 1-based
    steps.append(Step(
        "loss", "loss", None, "walkthrough.steps.loss", {}, (general, numbers), exp_key, exp_params,
        {"loss": loss}, known_z=n_layers, known_a=n_layers, loss_known=True,
    ))

    # backward: output delta
    delta_out = grads.deltas[-1]
    out_act = spec.output_activation
    top = n_layers
    lines = []
    if spec.fused_output:
        if spec.loss == "binary_crossentropy":
            lines.append(rf"\delta{_layer_sym(top)} = \frac{{\partial L}}{{\partial z{_layer_sym(top)}}} = "
                         + (r"\hat{y} - y" if n_out == 1 else r"\frac{1}{n}(\hat{y} - y)"))
            exp_key = "walkthrough.explain.delta_output_bce"
        else:
            lines.append(rf"\delta{_layer_sym(top)} = \frac{{\partial L}}{{\partial z{_layer_sym(top)}}} = \hat{{y}} - y")
            exp_key = "walkthrough.explain.delta_output_cce"
        for k in range(n_out):
            pre = frac if spec.loss == "binary_crossentropy" else ""
            lines.append(rf"\delta_{{{out_names[k]}}} = {pre}({tex(y_hat[k])} - {_par(y[k])}) = {tex(delta_out[k])}")
    elif out_act == "softmax":
        slope = grads.loss_slope
        lines.append(rf"\delta_j = \hat{{y}}_j \left(g_j - \sum_k g_k \hat{{y}}_k\right),\quad "
                     rf"g_k = \frac{{\partial L}}{{\partial \hat{{y}}_k}} = \frac{{2}}{{n}}(\hat{{y}}_k - y_k)")
        lines.append(r"g = " + _vec(slope) + rf",\quad \sum_k g_k \hat{{y}}_k = {tex(float(np.dot(slope, y_hat)))}")
        dot = float(np.dot(slope, y_hat))
        for k in range(n_out):
            lines.append(rf"\delta_{{{out_names[k]}}} = {tex(y_hat[k])}\,({tex(slope[k])} - {_par(dot)}) = {tex(delta_out[k])}")
        exp_key = "walkthrough.explain.delta_output_softmax_mse"
    else:
        slope, fprime = grads.loss_slope, grads.fprimes[-1]
        lines.append(rf"\delta{_layer_sym(top)} = \frac{{\partial L}}{{\partial \hat{{y}}}} \odot f'(z{_layer_sym(top)}),"
                     rf"\quad \frac{{\partial L}}{{\partial \hat{{y}}_k}} = \frac{{2}}{{n}}(\hat{{y}}_k - y_k)")
        for k in range(n_out):
            lines.append(
                rf"\delta_{{{out_names[k]}}} = \frac{{2}}{{{n_out}}}({tex(y_hat[k])} - {_par(y[k])}) \cdot "
                rf"{_par(fprime[k])} = {tex(delta_out[k])},\quad "
                + _prime_tex(out_act, z_out[k], y_hat[k], fprime[k])
            )
        exp_key = "walkthrough.explain.delta_output_mse"
    steps.append(Step(
        "backward", "delta_output", top, "walkthrough.steps.delta_output", {"layer": top}, tuple(lines),
        exp_key, {"layer": top}, {"delta": delta_out},
        known_z=n_layers, known_a=n_layers, loss_known=True, delta_layers=frozenset({top}),
    ))

    # backward: gradients of layer l, then delta of layer l-1
    deltas_known = {top}
    grads_known: set[int] = set()
    for layer in range(n_layers, 0, -1):
        i = layer - 1
        delta, a_prev = grads.deltas[i], passed.activations[i]
        prev_sym = "x" if layer == 1 else f"a{_layer_sym(layer - 1)}"
        lines = [rf"\frac{{\partial L}}{{\partial W{_layer_sym(layer)}}} = \delta{_layer_sym(layer)} "
                 rf"\left({prev_sym}\right)^\top,\quad \frac{{\partial L}}{{\partial b{_layer_sym(layer)}}} = "
                 rf"\delta{_layer_sym(layer)}"]
        for j in range(len(delta)):
            nm = names[layer][j]
            lines.append(
                rf"\frac{{\partial L}}{{\partial w_{{{nm},\cdot}}}} = {tex(delta[j])} \cdot {_vec(a_prev)} = "
                rf"{_vec(grads.weight_grads[i][j])},\quad \frac{{\partial L}}{{\partial b_{{{nm}}}}} = {tex(delta[j])}"
            )
        grads_known.add(layer)
        steps.append(Step(
            "backward", "gradients", layer, "walkthrough.steps.gradients", {"layer": layer}, tuple(lines),
            "walkthrough.explain.gradients", {"layer": layer},
            {"dW": grads.weight_grads[i], "db": grads.bias_grads[i]},
            known_z=n_layers, known_a=n_layers, loss_known=True,
            delta_layers=frozenset(deltas_known), grad_layers=frozenset(grads_known),
        ))
        if layer == 1:
            break
        below = layer - 1  # the hidden layer whose delta we now compute
        w_next = params.weights[layer - 1]
        z_b, a_b = passed.zs[below - 1], passed.activations[below]
        fprime, upstream, delta_b = grads.fprimes[below - 1], grads.upstream[below - 1], grads.deltas[below - 1]
        act = spec.activations[below - 1]
        lines = [rf"\delta{_layer_sym(below)} = \left(W^{{({layer})\top}} \delta{_layer_sym(layer)}\right)"
                 rf" \odot f'\left(z{_layer_sym(below)}\right)"]
        for j in range(len(delta_b)):
            back = " + ".join(rf"{_par(w_next[k, j])} \cdot {_par(delta[k])}" for k in range(len(delta)))
            lines.append(
                rf"\delta_{{{names[below][j]}}} = \left({back}\right) \cdot {_par(fprime[j])} = "
                rf"{tex(upstream[j])} \cdot {_par(fprime[j])} = {tex(delta_b[j])},\quad "
                + _prime_tex(act, z_b[j], a_b[j], fprime[j])
            )
        deltas_known.add(below)
        key = "walkthrough.explain.delta_hidden_relu" if act == "relu" else "walkthrough.explain.delta_hidden"
        notes = (("walkthrough.notes.relu_zero", {"layer": below}),) if below in relu_zero_layers else ()
        steps.append(Step(
            "backward", "delta_hidden", below, "walkthrough.steps.delta_hidden", {"layer": below}, tuple(lines),
            key, {"layer": below, "next": layer}, {"delta": delta_b, "fprime": fprime},
            known_z=n_layers, known_a=n_layers, loss_known=True,
            delta_layers=frozenset(deltas_known), grad_layers=frozenset(grads_known), notes=notes,
        ))

    # update
    updated_layers: set[int] = set()
    for layer in range(1, n_layers + 1):
        i = layer - 1
        w, b = params.weights[i], params.biases[i]
        lines = [rf"W{_layer_sym(layer)} \leftarrow W{_layer_sym(layer)} - \eta \frac{{\partial L}}{{\partial "
                 rf"W{_layer_sym(layer)}}},\quad b{_layer_sym(layer)} \leftarrow b{_layer_sym(layer)} - \eta "
                 rf"\frac{{\partial L}}{{\partial b{_layer_sym(layer)}}},\quad \eta = {tex(learning_rate)}"]
        for j in range(w.shape[0]):
            nm = names[layer][j]
            lines.append(
                rf"w_{{{nm},\cdot}} = {_vec(w[j])} - {tex(learning_rate)} \cdot {_vec(grads.weight_grads[i][j])} = "
                rf"{_vec(updated.weights[i][j])}"
            )
            lines.append(
                rf"b_{{{nm}}} = {tex(b[j])} - {tex(learning_rate)} \cdot {_par(grads.bias_grads[i][j])} = "
                rf"{tex(updated.biases[i][j])}"
            )
        updated_layers.add(layer)
        steps.append(Step(
            "update", "update", layer, "walkthrough.steps.update", {"layer": layer}, tuple(lines),
            "walkthrough.explain.update", {"layer": layer, "lr": fmt(learning_rate)},
            {"W": updated.weights[i], "b": updated.biases[i]},
            known_z=n_layers, known_a=n_layers, loss_known=True,
            delta_layers=frozenset(range(1, n_layers + 1)), grad_layers=frozenset(range(1, n_layers + 1)),
            updated_layers=frozenset(updated_layers),
        ))
    return tuple(steps)


def _check_finite(spec: NetworkSpec, passed: ForwardPass, loss: float, grads: BackwardPass | None = None) -> None:
    arrays = list(passed.zs) + list(passed.activations) + [np.array([loss])]
    if grads is not None:
        arrays += list(grads.deltas) + list(grads.weight_grads)
    if not all(np.all(np.isfinite(array)) for array in arrays):
        raise WalkthroughError("errors.walkthrough.overflow")


def walk(spec: NetworkSpec, params: Params, x: Sequence[float] | float, label: Any, *,
         learning_rate: float) -> Walkthrough:
    """Validate, run forward, loss, backward and one update in NumPy float64, and build the steps."""
    check_params(spec, params)
    x_vec = check_input(spec, x)
    y = target_vector(spec, label)
    lr = check_learning_rate(learning_rate)
    passed = forward(spec, params, x_vec)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = loss_value(spec, passed, y)
        _check_finite(spec, passed, loss)
        grads = backward(spec, params, passed, y)
        _check_finite(spec, passed, loss, grads)
        updated = sgd_update(params, grads, lr)
    steps = build_steps(spec, params, x_vec, y, lr, passed, loss, grads, updated)
    return Walkthrough(spec, params, x_vec, y, label, lr, passed, loss, grads, updated, steps)


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Weights after n SGD steps on the one sample, and the loss before each step and after the last."""

    params: Params
    losses: tuple[float, ...]


def train(spec: NetworkSpec, params: Params, x: Sequence[float] | float, label: Any, *,
          learning_rate: float, n_steps: int) -> TrainResult:
    """Repeat forward, backward and update n_steps times; a loss that is no longer finite stops with an error."""
    check_params(spec, params)
    x_vec = check_input(spec, x)
    y = target_vector(spec, label)
    lr = check_learning_rate(learning_rate)
    if not isinstance(n_steps, (int, np.integer)) or not 1 <= n_steps <= MAX_TRAIN_STEPS:
        raise WalkthroughError("errors.walkthrough.train_steps", value=n_steps, max=MAX_TRAIN_STEPS)
    losses = []
    current = params
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(int(n_steps) + 1):
            passed = forward(spec, current, x_vec)
            loss = loss_value(spec, passed, y)
            finite = math.isfinite(loss) and all(np.all(np.isfinite(z)) for z in passed.zs)
            if not finite:
                raise WalkthroughError("errors.walkthrough.diverged", step=step, lr=fmt(lr))
            losses.append(loss)
            if step == n_steps:
                break
            current = sgd_update(current, backward(spec, current, passed, y), lr)
    return TrainResult(current, tuple(losses))


# --------------------------------------------------------------------------- TensorFlow check


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


# --------------------------------------------------------------------------- presets


@dataclass(frozen=True, eq=False)
class Preset:
    """A ready-made set-up: architecture, loss, input, label, learning rate, and fixed weights or a seed."""

    id: str
    spec: NetworkSpec
    x: tuple[float, ...]
    label: Any  # a class index for categorical cross-entropy, else one value per output
    learning_rate: float
    seed: int = 0
    params: Params | None = None

    def weights(self) -> Params:
        return self.params if self.params is not None else init_weights(self.spec, random_state=self.seed)


ARTICLE_PRESET = Preset(
    id="article",
    spec=NetworkSpec((1, 3, 1), ("relu", "sigmoid"), "binary_crossentropy"),
    x=(1.0,),
    label=(0.0,),
    learning_rate=0.1,
    params=Params(
        weights=(np.array([[0.5], [0.3], [-0.2]]), np.array([[0.6, 0.4, -0.5]])),
        biases=(np.zeros(3), np.array([0.1])),
    ),
)

PRESETS: Mapping[str, Preset] = {
    "article": ARTICLE_PRESET,
    "regression": Preset("regression", NetworkSpec((2, 3, 1), ("tanh", "linear"), "mse"),
                         x=(0.5, -1.0), label=(0.8,), learning_rate=0.1, seed=4),
    "classifier": Preset("classifier", NetworkSpec((3, 4, 3), ("relu", "softmax"), "categorical_crossentropy"),
                         x=(1.0, 0.5, -0.5), label=2, learning_rate=0.5, seed=8),
    "deep": Preset("deep", NetworkSpec((2, 4, 3, 2), ("tanh", "relu", "sigmoid"), "binary_crossentropy"),
                   x=(0.8, -0.4), label=(1.0, 0.0), learning_rate=0.5, seed=2),
}
