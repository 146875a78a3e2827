"""The source article's worked example: its claimed numbers beside the correct ones, with what went wrong."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.walkthrough.tiny_net import ARTICLE_PRESET, Walkthrough, fmt, walk


@dataclass(frozen=True)
class ArticleClaim:
    """One number the article states, the value the network really gives, and a key saying what went wrong."""

    id: str
    quantity_key: str
    claimed: str
    correct: str
    reason_key: str
    reason_params: dict[str, Any]


def article_walkthrough() -> Walkthrough:
    """The article's network (x = 1, ReLU 0.5/0.3/-0.2, sigmoid output, BCE, label 0, lr 0.1), computed exactly."""
    preset = ARTICLE_PRESET
    return walk(preset.spec, preset.weights(), preset.x, preset.label, learning_rate=preset.learning_rate)


def article_comparison(walkthrough: Walkthrough | None = None) -> list[ArticleClaim]:
    """The article's claims next to the values computed by NumPy (and checked against TensorFlow)."""
    w = walkthrough or article_walkthrough()
    z_out = float(w.forward.zs[-1][0])
    y_hat = float(w.y_hat[0])
    delta = float(w.backward.deltas[-1][0])
    grads = w.backward.weight_grads[-1][0]
    relu_slope = float(w.backward.fprimes[0][2])
    w_old = float(w.params.weights[-1][0, 0])
    w_new = float(w.updated.weights[-1][0, 0])
    lr = w.learning_rate
    hidden = w.forward.activations[1]
    weighted = z_out - float(w.params.biases[-1][0])
    article_delta = 0.5

    def claim(id_: str, claimed: str, correct: str, **params: Any) -> ArticleClaim:
        return ArticleClaim(id_, f"walkthrough.article.quantity.{id_}", claimed, correct,
                            f"walkthrough.article.why.{id_}", params)

    return [
        claim("z_out", "0.33", fmt(z_out), weighted=fmt(weighted), bias=fmt(w.params.biases[-1][0]),
              z=fmt(z_out)),
        claim("y_hat", "0.5", fmt(y_hat), z=fmt(z_out), y_hat=fmt(y_hat, 4),
              sig_claimed=fmt(1.0 / (1.0 + math.exp(-0.33)), 3)),
        claim("delta_out", "0.5", fmt(delta), y_hat=fmt(y_hat, 4), y=fmt(w.y[0])),
        claim("grad_out", "0.25, 0.15, 0.5", ", ".join(fmt(g) for g in grads),
              delta=fmt(delta, 4), a=", ".join(fmt(v) for v in hidden), a3=fmt(hidden[2])),
        claim("relu_slope", "1", fmt(relu_slope), z3=fmt(w.forward.zs[0][2])),
        claim("w_update", f"{fmt(w_old)} - {fmt(lr)} × 0.5 = 0.05",
              f"{fmt(w_old)} - {fmt(lr)} × {fmt(grads[0])} = {fmt(w_new)}",
              own=fmt(w_old - lr * article_delta), w_new=fmt(w_new, 4)),
    ]
