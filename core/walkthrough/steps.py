"""The walkthrough itself: each forward, loss, backward and update step with its numbers; walk and train."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from core.walkthrough.formatting import ACT_TEX, fmt, layer_sym, prime_tex, tex, tex_paren, tex_vector
from core.walkthrough.maths import BackwardPass, ForwardPass, backward, forward, loss_value, sgd_update
from core.walkthrough.network import (
    MAX_TRAIN_STEPS,
    NetworkSpec,
    Params,
    WalkthroughError,
    check_input,
    check_learning_rate,
    check_params,
    latex_name,
    node_names,
    target_vector,
)


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


def build_steps(spec: NetworkSpec, params: Params, x: np.ndarray, y: np.ndarray, learning_rate: float,
                passed: ForwardPass, loss: float, grads: BackwardPass, updated: Params) -> tuple[Step, ...]:
    """The ordered steps: forward z and a per layer, loss, output delta, gradients and deltas back, updates."""
    names = [[latex_name(n) for n in layer_names] for layer_names in node_names(spec)]
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
        prev_sym = "x" if layer == 1 else f"a{layer_sym(layer - 1)}"
        lines = [rf"z{layer_sym(layer)} = W{layer_sym(layer)} {prev_sym} + b{layer_sym(layer)}"]
        for j in range(w.shape[0]):
            terms = " + ".join(rf"{tex_paren(w[j, i])} \cdot {tex_paren(a_prev[i])}" for i in range(w.shape[1]))
            lines.append(rf"z_{{{names[layer][j]}}} = {terms} + {tex_paren(b[j])} = {tex(z[j])}")
        steps.append(Step(
            "forward", "forward_z", layer, "walkthrough.steps.forward_z", {"layer": layer}, tuple(lines),
            "walkthrough.explain.forward_z", {"layer": layer}, {"z": z},
            known_z=layer, known_a=layer - 1, loss_known=False,
        ))
        act = spec.activations[layer - 1]
        a = passed.activations[layer]
        lines = [rf"a{layer_sym(layer)} = {ACT_TEX[act]}\left(z{layer_sym(layer)}\right)"]
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
        parts = " + ".join(rf"({tex(y_hat[k])} - {tex_paren(y[k])})^2" for k in range(n_out))
        numbers = rf"L = {frac}\left[{parts}\right] = {tex(loss)}" if n_out > 1 else rf"L = {parts} = {tex(loss)}"
        exp_key = "walkthrough.explain.loss_mse"
        exp_params = {"loss": fmt(loss, 4)}
    elif spec.loss == "binary_crossentropy":
        general = r"L = -" + (r"\left[y \ln \hat{y} + (1 - y) \ln(1 - \hat{y})\right]" if n_out == 1 else
                              r"\frac{1}{n}\sum_k \left[y_k \ln \hat{y}_k + (1 - y_k) \ln(1 - \hat{y}_k)\right]")
        parts = " + ".join(
            rf"{tex_paren(y[k])} \ln {tex(y_hat[k])} + (1 - {tex_paren(y[k])}) \ln(1 - {tex(y_hat[k])})" for k in range(n_out)
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
            lines.append(rf"\delta{layer_sym(top)} = \frac{{\partial L}}{{\partial z{layer_sym(top)}}} = "
                         + (r"\hat{y} - y" if n_out == 1 else r"\frac{1}{n}(\hat{y} - y)"))
            exp_key = "walkthrough.explain.delta_output_bce"
        else:
            lines.append(rf"\delta{layer_sym(top)} = \frac{{\partial L}}{{\partial z{layer_sym(top)}}} = \hat{{y}} - y")
            exp_key = "walkthrough.explain.delta_output_cce"
        for k in range(n_out):
            pre = frac if spec.loss == "binary_crossentropy" else ""
            lines.append(rf"\delta_{{{out_names[k]}}} = {pre}({tex(y_hat[k])} - {tex_paren(y[k])}) = {tex(delta_out[k])}")
    elif out_act == "softmax":
        slope = grads.loss_slope
        lines.append(rf"\delta_j = \hat{{y}}_j \left(g_j - \sum_k g_k \hat{{y}}_k\right),\quad "
                     rf"g_k = \frac{{\partial L}}{{\partial \hat{{y}}_k}} = \frac{{2}}{{n}}(\hat{{y}}_k - y_k)")
        lines.append(r"g = " + tex_vector(slope) + rf",\quad \sum_k g_k \hat{{y}}_k = {tex(float(np.dot(slope, y_hat)))}")
        dot = float(np.dot(slope, y_hat))
        for k in range(n_out):
            lines.append(rf"\delta_{{{out_names[k]}}} = {tex(y_hat[k])}\,({tex(slope[k])} - {tex_paren(dot)}) = {tex(delta_out[k])}")
        exp_key = "walkthrough.explain.delta_output_softmax_mse"
    else:
        slope, fprime = grads.loss_slope, grads.fprimes[-1]
        lines.append(rf"\delta{layer_sym(top)} = \frac{{\partial L}}{{\partial \hat{{y}}}} \odot f'(z{layer_sym(top)}),"
                     rf"\quad \frac{{\partial L}}{{\partial \hat{{y}}_k}} = \frac{{2}}{{n}}(\hat{{y}}_k - y_k)")
        for k in range(n_out):
            lines.append(
                rf"\delta_{{{out_names[k]}}} = \frac{{2}}{{{n_out}}}({tex(y_hat[k])} - {tex_paren(y[k])}) \cdot "
                rf"{tex_paren(fprime[k])} = {tex(delta_out[k])},\quad "
                + prime_tex(out_act, z_out[k], y_hat[k], fprime[k])
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
        prev_sym = "x" if layer == 1 else f"a{layer_sym(layer - 1)}"
        lines = [rf"\frac{{\partial L}}{{\partial W{layer_sym(layer)}}} = \delta{layer_sym(layer)} "
                 rf"\left({prev_sym}\right)^\top,\quad \frac{{\partial L}}{{\partial b{layer_sym(layer)}}} = "
                 rf"\delta{layer_sym(layer)}"]
        for j in range(len(delta)):
            nm = names[layer][j]
            lines.append(
                rf"\frac{{\partial L}}{{\partial w_{{{nm},\cdot}}}} = {tex(delta[j])} \cdot {tex_vector(a_prev)} = "
                rf"{tex_vector(grads.weight_grads[i][j])},\quad \frac{{\partial L}}{{\partial b_{{{nm}}}}} = {tex(delta[j])}"
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
        lines = [rf"\delta{layer_sym(below)} = \left(W^{{({layer})\top}} \delta{layer_sym(layer)}\right)"
                 rf" \odot f'\left(z{layer_sym(below)}\right)"]
        for j in range(len(delta_b)):
            back = " + ".join(rf"{tex_paren(w_next[k, j])} \cdot {tex_paren(delta[k])}" for k in range(len(delta)))
            lines.append(
                rf"\delta_{{{names[below][j]}}} = \left({back}\right) \cdot {tex_paren(fprime[j])} = "
                rf"{tex(upstream[j])} \cdot {tex_paren(fprime[j])} = {tex(delta_b[j])},\quad "
                + prime_tex(act, z_b[j], a_b[j], fprime[j])
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
        lines = [rf"W{layer_sym(layer)} \leftarrow W{layer_sym(layer)} - \eta \frac{{\partial L}}{{\partial "
                 rf"W{layer_sym(layer)}}},\quad b{layer_sym(layer)} \leftarrow b{layer_sym(layer)} - \eta "
                 rf"\frac{{\partial L}}{{\partial b{layer_sym(layer)}}},\quad \eta = {tex(learning_rate)}"]
        for j in range(w.shape[0]):
            nm = names[layer][j]
            lines.append(
                rf"w_{{{nm},\cdot}} = {tex_vector(w[j])} - {tex(learning_rate)} \cdot {tex_vector(grads.weight_grads[i][j])} = "
                rf"{tex_vector(updated.weights[i][j])}"
            )
            lines.append(
                rf"b_{{{nm}}} = {tex(b[j])} - {tex(learning_rate)} \cdot {tex_paren(grads.bias_grads[i][j])} = "
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
