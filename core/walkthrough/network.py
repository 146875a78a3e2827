"""The tiny network's set-up: limits, spec (layers, activations, loss), weights and their tables, inputs."""

from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from core.i18n import StudioError
from core.walkthrough.formatting import fmt


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


def latex_name(name: str) -> str:
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
